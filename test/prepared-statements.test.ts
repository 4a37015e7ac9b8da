import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/db/ids.ts';
import { getInvestor } from '../src/investors/service.ts';
import { insertStatements } from '../src/registry/service.ts';
import { createInvestor, createTenant, DISTRIBUTOR, startTestServer, type Tenant, type TestServer } from './helpers.ts';

let server: TestServer;
let t: Tenant;

beforeAll(async () => {
  server = await startTestServer();
  t = await createTenant(server, 'Prepared');
});
afterAll(async () => server?.close());

describe('named prepared statements (src/db/prepared.ts)', () => {
  it('prepares a parameterized statement once per connection and reuses it', async () => {
    const investorId = await createInvestor(t.distributor);
    await server.db.connection().execute(async (conn) => {
      const prepared = async () =>
        (
          await sql<{ name: string }>`
            select name from pg_prepared_statements where statement like 'select * from "investors" where "id" = $1%'`.execute(
            conn,
          )
        ).rows.map((r) => r.name);
      await getInvestor(conn, t.platformId, investorId);
      const names = await prepared();
      expect(names).toHaveLength(1);
      expect(names[0]).toMatch(/^kontor_\d+$/);
      await getInvestor(conn, t.platformId, investorId);
      expect(await prepared()).toEqual(names);
    });
  });

  it('a column added under running statements: 503 schema_changed once per connection, then answers again', async () => {
    const investorId = await createInvestor(t.distributor);
    const path = `${DISTRIBUTOR}/investors/${investorId}/`;
    expect((await t.distributor.get(path)).status).toBe(200);
    await sql`alter table investors add column probe integer`.execute(server.db);

    const statuses: number[] = [];
    while (statuses.slice(-2).join() !== '200,200' && statuses.length < 100) {
      const res = await t.distributor.get(path);
      statuses.push(res.status);
      if (res.status !== 200) {
        expect(res.status, res.text).toBe(503);
        expect(res.body.code).toBe('schema_changed');
        expect(res.headers.get('retry-after')).toBe('1');
      }
    }
    expect(statuses).toContain(503);
    expect(statuses.slice(-2)).toEqual([200, 200]);
  });

  // Regression: after five executions PostgreSQL may plan a prepared statement generically; an
  // ON CONFLICT whose index predicate compared with a parameter then failed to find its index
  // (42P10) on every registry statement a connection issued from then on.
  it('an ON CONFLICT on a partial index keeps finding it under a generic plan', async () => {
    await server.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 10; i++) {
        await sql`savepoint attempt`.execute(trx);
        const error = await insertStatements(trx, [
          {
            id: uuidv7(),
            investment_id: uuidv7(), // no such investment: planned, then refused by its foreign key
            reason: 'ANNUAL',
            units: 1n,
            remaining_amount: 1n,
            chain_transaction_hash: null,
            year: 2026,
            content: Buffer.from('%PDF-1.4\n'),
            sha256: '0'.repeat(64),
            created_at: new Date().toISOString(),
          },
        ]).then(
          () => null,
          (e: { code?: string }) => e,
        );
        expect(error?.code, `execution ${i + 1}`).toBe('23503');
        await sql`rollback to savepoint attempt`.execute(trx);
      }
    });
  });
});
