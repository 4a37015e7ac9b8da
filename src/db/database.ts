import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { PreparingClient } from './prepared.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;

/**
 * Kontor's own type parsers, for its own pools only (graphile-worker shares the `pg` module and
 * must keep the defaults: it writes job ids into JSON and compares Dates).
 * - bigint (int8) as BigInt: units and money are exact (invariant 8);
 * - date stays 'YYYY-MM-DD': no time zone may shift it;
 * - timestamptz as RFC 3339 UTC with microseconds, always six digits so that the strings sort
 *   like the instants they name (the session time zone is UTC).
 */
export const kontorTypes = new pg.TypeOverrides();
kontorTypes.setTypeParser(20, (value: string) => BigInt(value));
kontorTypes.setTypeParser(1082, (value: string) => value);
kontorTypes.setTypeParser(1184, (value: string) => {
  const [date, rest] = value.split(' ');
  const time = rest!.replace(/\+00(:00)?$/, '');
  const [whole, fraction = ''] = time.split('.');
  return `${date}T${whole}.${fraction.padEnd(6, '0')}Z`;
});

export function createDb(url: string, max = 20): { db: Db; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    options: '-c TimeZone=UTC',
    application_name: 'kontor',
    types: kontorTypes,
    Client: PreparingClient,
  });
  // A client losing its connection (idle or checked out) must not crash the process; the query
  // in flight fails on its own and the pool replaces the client.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, pool };
}

// Beside this module in src/db, beside the bundle in dist/.
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const MIGRATION_LOCK = 7_364_112_001;

/**
 * Applies pending SQL migrations in order, each in its own transaction, and the job queue's own
 * schema (graphile-worker), so that use cases can enqueue jobs in their transactions even in a
 * process that runs no workers. Safe to run concurrently.
 */
export async function migrate(db: Db, url: string): Promise<string[]> {
  const applied = await migrateSchema(db);
  const { Logger, runMigrations } = await import('graphile-worker');
  await runMigrations({ connectionString: url, logger: new Logger(() => () => {}) });
  return applied;
}

async function migrateSchema(db: Db): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const applied: string[] = [];
  await db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      await sql`create table if not exists kontor_migrations (
        name text primary key, applied_at timestamptz not null default now())`.execute(conn);
      const done = new Set(
        (await sql<{ name: string }>`select name from kontor_migrations`.execute(conn)).rows.map((r) => r.name),
      );
      for (const file of files) {
        if (done.has(file)) continue;
        const text = readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
        await conn.transaction().execute(async (trx) => {
          await sql.raw(text).execute(trx);
          await sql`insert into kontor_migrations (name) values (${file})`.execute(trx);
        });
        applied.push(file);
      }
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
  return applied;
}

export async function pendingMigrations(db: Db): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql'));
  try {
    const rows = (await sql<{ name: string }>`select name from kontor_migrations`.execute(db)).rows;
    const done = new Set(rows.map((r) => r.name));
    return files.filter((f) => !done.has(f)).sort();
  } catch {
    return files.sort();
  }
}
