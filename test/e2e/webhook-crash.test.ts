/**
 * A receiver that is down for a while gets every event afterwards, and none is lost when the
 * server is killed (SIGKILL) and restarted in the middle of deliveries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/runtime/ports.ts';
import { Api, createTenant, DISTRIBUTOR, freshDatabase, listedProduct, type TestDatabase } from '../helpers.ts';
import { startReceiver, waitFor } from '../webhook-receiver.ts';
import { type KontorProcess, startKontorProcess, tempHome } from './process.ts';

let database: TestDatabase;
let kontor: KontorProcess | null = null;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => {
  await kontor?.stop('SIGKILL');
  await database?.drop();
});

describe('webhook delivery across a crash', () => {
  it('delivers every event once the receiver is back, after a SIGKILL and a restart', async () => {
    const env = {
      KONTOR_HOME: tempHome(),
      DATABASE_URL: database.url,
      ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
      // Many quick retries: the receiver stays down for several of them.
      WEBHOOK_RETRY_DELAYS: Array.from({ length: 40 }, () => '1').join(','),
    };
    kontor = await startKontorProcess(env);
    const t = await createTenant({ db: database.db, api: new Api(kontor.url) });
    const port = await freePort();
    const sub = await t.distributor.post(`${DISTRIBUTOR}/webhooks/`, { url: `http://127.0.0.1:${port}/hook` });
    expect(sub.status, sub.text).toBe(201);
    const { campaign } = await listedProduct(t, { asset_code: 'CRASH' });
    const investments: string[] = [];
    for (let i = 0; i < 5; i++) {
      const investor = await t.distributor.post(`${DISTRIBUTOR}/investors/`, {
        natural_person: { forename: 'Ida', surname: `Crash${i}` },
      });
      const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
        investor_id: investor.body.id,
        campaign_id: campaign.id,
        units: 1,
        signed_at: '2026-02-01T10:00:00Z',
      });
      expect(created.status, created.text).toBe(201);
      investments.push(created.body.id);
      const abort = await t.distributor.post(`${DISTRIBUTOR}/investments/${created.body.id}/cancellation/`, {
        cancellation_date: '2026-02-01T11:00:00Z',
      });
      expect(abort.status, abort.text).toBe(200);
    }
    const expected = await database.db
      .selectFrom('events')
      .select(['id', 'investment_id', 'seq'])
      .where('distribution_platform_id', '=', t.platformId)
      .orderBy('seq')
      .execute();
    expect(expected).toHaveLength(10);
    // Deliveries are being retried against the closed port…
    await waitFor(async () => {
      const tried = await database.db
        .selectFrom('webhook_attempts')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(tried.n) >= 3;
    });
    // …when the server dies without a chance to clean up.
    expect(await kontor.stop('SIGKILL')).toBeNull();
    const receiver = await startReceiver(() => 200, port);
    kontor = await startKontorProcess(env);
    await waitFor(
      () => new Set(receiver.received.map((r) => r.headers['webhook-id'])).size === expected.length,
      30_000,
      'every event delivered',
    );
    const delivered = receiver.received.map((r) => ({
      id: String(r.headers['webhook-id']),
      investment: JSON.parse(r.body).data.investment_id as string,
    }));
    expect(new Set(delivered.map((d) => d.id))).toEqual(new Set(expected.map((e) => e.id)));
    // In order per investment: the first delivery of each event keeps the events' order.
    for (const investment of investments) {
      const firstSeen = [...new Set(delivered.filter((d) => d.investment === investment).map((d) => d.id))];
      expect(firstSeen).toEqual(expected.filter((e) => e.investment_id === investment).map((e) => e.id));
    }
    expect(await kontor.stop('SIGTERM'), kontor.output()).toBe(0);
    kontor = null;
    await receiver.close();
  });
});
