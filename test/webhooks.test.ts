import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTenant,
  DISTRIBUTOR,
  drainerJobs,
  ISSUER,
  identify,
  listedProduct,
  startTestServer,
  startWorkingServer,
  type Tenant,
  type TestServer,
  type WorkingServer,
} from './helpers.ts';
import { startReceiver, waitFor } from './webhook-receiver.ts';

let server: WorkingServer;
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  server = await startWorkingServer({ webhookRetryDelays: [1, 1, 1], environment: 'webhook-test' });
  a = await createTenant(server, 'A');
  b = await createTenant(server, 'B');
}, 60_000);
afterAll(async () => server?.close());

async function signedInvestment(t: Tenant, assetCode: string) {
  const { campaign } = await listedProduct(t, { asset_code: assetCode });
  const investor = await t.distributor.post(`${DISTRIBUTOR}/investors/`, {
    natural_person: { forename: 'Erika', surname: 'Mustermann' },
  });
  const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
    investor_id: investor.body.id,
    campaign_id: campaign.id,
    units: 3,
    signed_at: '2026-02-01T10:00:00Z',
  });
  expect(created.status, created.text).toBe(201);
  await identify(t.distributor, investor.body.id, { document_id: 'T22000129', verified_at: '2026-02-01T11:00:00Z' });
  await t.distributor.post(`${DISTRIBUTOR}/investments/${created.body.id}/cancellation/`, {
    cancellation_date: '2026-02-02T10:00:00Z',
  });
  return created.body.id as string;
}

describe('webhook delivery (spec §8)', () => {
  it('delivers signed events in order per investment and keeps webhook-id across retries', async () => {
    // The first delivery is answered 500 twice, then 200.
    const receiver = await startReceiver((_r, i) => (i < 2 ? 500 : 200));
    const sub = await a.distributor.post(`${DISTRIBUTOR}/webhooks/`, { url: receiver.url, description: 'test' });
    expect(sub.status, sub.text).toBe(201);
    expect(sub.body.secret).toMatch(/^whsec_/);
    expect((await a.distributor.get(`${DISTRIBUTOR}/webhooks/${sub.body.id}/`)).body).not.toHaveProperty('secret');
    const id = await signedInvestment(a, 'HOOK1');
    // created, KYC_PENDING → WAITING, WAITING → ABORTION: three events, the first tried three times.
    await waitFor(() => receiver.received.filter((r) => r.status === 200).length >= 3, 20_000, 'three deliveries');
    const verifier = new Webhook(sub.body.secret);
    const bodies = receiver.received.map((r) => {
      const verified = verifier.verify(r.body, r.headers as Record<string, string>) as {
        type: string;
        data: { status?: string };
      };
      return { id: r.headers['webhook-id'], status: r.status, payload: verified };
    });
    expect(bodies[0]!.id).toBe(bodies[1]!.id);
    expect(bodies[1]!.id).toBe(bodies[2]!.id);
    expect(bodies.slice(0, 3).map((x) => x.status)).toEqual([500, 500, 200]);
    const delivered = bodies.filter((x) => x.status === 200).map((x) => x.payload);
    expect(delivered.map((p) => (p.type === 'investment.created' ? 'created' : p.data.status))).toEqual([
      'created',
      'WAITING_FOR_ACCEPTANCE',
      'ABORTION',
    ]);
    const first = JSON.parse(receiver.received[2]!.body);
    expect(first).toMatchObject({
      type: 'investment.created',
      environment: 'webhook-test',
      data: { investment_id: id },
    });
    expect(first.timestamp).toMatch(/Z$/);

    // The delivery log has every attempt.
    const log = await a.distributor.get(`${DISTRIBUTOR}/webhooks/${sub.body.id}/deliveries/`);
    expect(log.status, log.text).toBe(200);
    expect(log.body.count).toBe(3);
    const firstDelivery = log.body.results[0];
    expect(firstDelivery).toMatchObject({ status: 'succeeded', attempts_count: 3, event_type: 'investment.created' });
    expect(firstDelivery.attempts.map((x: { status_code: number }) => x.status_code)).toEqual([500, 500, 200]);
    expect(firstDelivery.attempts[0].response_excerpt).toContain('500');
    expect(typeof firstDelivery.attempts[0].latency_ms).toBe('number');

    // The same events can be polled.
    const events = await a.distributor.get(`${DISTRIBUTOR}/events/?investment_id=${id}`);
    expect(events.body.results.map((e: { id: string }) => e.id)).toEqual(
      bodies.filter((x) => x.status === 200).map((x) => x.id),
    );
    await a.distributor.delete(`${DISTRIBUTOR}/webhooks/${sub.body.id}/`);
    await receiver.close();
  });

  it("never sends a platform another platform's events, and sends issuers their products' events", async () => {
    const receiverA = await startReceiver();
    const receiverB = await startReceiver();
    const receiverIssuerB = await startReceiver();
    const subA = await a.distributor.post(`${DISTRIBUTOR}/webhooks/`, { url: receiverA.url });
    const subB = await b.distributor.post(`${DISTRIBUTOR}/webhooks/`, { url: receiverB.url });
    const subIssuerB = await b.issuer.post(`${ISSUER}/webhooks/`, {
      url: receiverIssuerB.url,
      events: ['investment.created'],
    });
    expect(subIssuerB.status, subIssuerB.text).toBe(201);
    const idA = await signedInvestment(a, 'ISOA');
    const idB = await signedInvestment(b, 'ISOB');
    await waitFor(
      () => receiverA.received.length >= 3 && receiverB.received.length >= 3 && receiverIssuerB.received.length >= 1,
    );
    await new Promise((r) => setTimeout(r, 500));
    const ids = (rs: typeof receiverA.received) => new Set(rs.map((r) => JSON.parse(r.body).data.investment_id));
    expect(ids(receiverA.received)).toEqual(new Set([idA]));
    expect(ids(receiverB.received)).toEqual(new Set([idB]));
    expect(receiverIssuerB.received.map((r) => JSON.parse(r.body).type)).toEqual(['investment.created']);
    expect(ids(receiverIssuerB.received)).toEqual(new Set([idB]));
    const eventsB = await b.distributor.get(`${DISTRIBUTOR}/events/`);
    expect(eventsB.body.results.every((e: { data: { investment_id: string } }) => e.data.investment_id !== idA)).toBe(
      true,
    );
    for (const [t, sub] of [
      [a, subA],
      [b, subB],
    ] as const) {
      await t.distributor.delete(`${DISTRIBUTOR}/webhooks/${sub.body.id}/`);
    }
    await b.issuer.delete(`${ISSUER}/webhooks/${subIssuerB.body.id}/`);
    expect((await a.distributor.get(`${DISTRIBUTOR}/webhooks/${subB.body.id}/`)).status).toBe(404);
    await Promise.all([receiverA.close(), receiverB.close(), receiverIssuerB.close()]);
  });

  it('disables a subscription on 410, fails a delivery after its retries, and redelivers it', async () => {
    const gone = await startReceiver(() => 410);
    const subGone = await a.distributor.post(`${DISTRIBUTOR}/webhooks/`, { url: gone.url });
    let answer = 503;
    const flaky = await startReceiver(() => answer);
    const subFlaky = await a.distributor.post(`${DISTRIBUTOR}/webhooks/`, {
      url: flaky.url,
      events: ['investment.created'],
    });
    await signedInvestment(a, 'GONE');
    await waitFor(async () => {
      const w = await a.distributor.get(`${DISTRIBUTOR}/webhooks/${subGone.body.id}/`);
      return w.body.is_active === false;
    });
    const disabled = await a.distributor.get(`${DISTRIBUTOR}/webhooks/${subGone.body.id}/`);
    expect(disabled.body.disabled_reason).toContain('410');
    expect(gone.received).toHaveLength(1);
    // 1 + 3 retries (WEBHOOK_RETRY_DELAYS=1,1,1), then failed.
    await waitFor(async () => {
      const log = await a.distributor.get(`${DISTRIBUTOR}/webhooks/${subFlaky.body.id}/deliveries/?status=failed`);
      return log.body.count === 1;
    });
    expect(flaky.received).toHaveLength(4);
    const failed = (await a.distributor.get(`${DISTRIBUTOR}/webhooks/${subFlaky.body.id}/deliveries/`)).body.results[0];
    expect(failed).toMatchObject({ status: 'failed', attempts_count: 4, last_status_code: 503 });
    answer = 204;
    const again = await a.distributor.post(
      `${DISTRIBUTOR}/webhooks/${subFlaky.body.id}/deliveries/${failed.id}/redeliver/`,
    );
    expect(again.status, again.text).toBe(202);
    await waitFor(() => flaky.received.some((r) => r.status === 204));
    expect(new Set(flaky.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    await Promise.all([gone.close(), flaky.close()]);
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const target = await startReceiver();
    const redirecting = await startReceiver(() => 302);
    const sub = await a.distributor.post(`${DISTRIBUTOR}/webhooks/`, {
      url: redirecting.url,
      events: ['investment.created'],
    });
    await signedInvestment(a, 'REDIR');
    await waitFor(async () => {
      const log = await a.distributor.get(`${DISTRIBUTOR}/webhooks/${sub.body.id}/deliveries/`);
      return log.body.results[0]?.attempts.length >= 1;
    });
    const log = await a.distributor.get(`${DISTRIBUTOR}/webhooks/${sub.body.id}/deliveries/`);
    expect(log.body.results[0].attempts[0]).toMatchObject({ status_code: 302, error: 'redirect (302) not followed' });
    expect(target.received).toHaveLength(0);
    await a.distributor.delete(`${DISTRIBUTOR}/webhooks/${sub.body.id}/`);
    await Promise.all([target.close(), redirecting.close()]);
  });

  it('refuses link-local and cloud metadata targets', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/hook',
      'http://metadata.google.internal/',
    ]) {
      const res = await a.distributor.post(`${DISTRIBUTOR}/webhooks/`, { url });
      expect(res.status, url).toBe(400);
      expect(res.body.errors).toHaveProperty('url');
    }
    const registrar = await a.issuer.post(`${ISSUER}/webhooks/`, { url: 'http://127.0.0.1:1/x', events: ['nope'] });
    expect(registrar.status).toBe(400);
    expect(registrar.body.errors).toHaveProperty(['events.0']);
  });
});

describe("waking a subscription's drainer (migrations 010, 011)", () => {
  let quiet: TestServer;
  let t: Tenant;

  // No workers here: the drainer jobs stay queued to be looked at.
  beforeAll(async () => {
    quiet = await startTestServer();
    t = await createTenant(quiet, 'Quiet');
  });
  afterAll(async () => quiet?.close());

  const drainers = (webhookId: string) => drainerJobs(quiet.db, 'deliver_webhooks', 'webhook_id', webhookId);

  it('queues one drainer while it waits; a started one is not relied on', async () => {
    const sub = await t.distributor.post(`${DISTRIBUTOR}/webhooks/`, { url: 'http://127.0.0.1:9/hook' });
    expect(sub.status, sub.text).toBe(201);
    const key = `deliver_webhooks:${sub.body.id}`;
    const investor = () =>
      t.distributor.post(`${DISTRIBUTOR}/investors/`, { natural_person: { forename: 'Q', surname: 'Uiet' } });
    const { campaign } = await listedProduct(t, { asset_code: 'QUIET' });
    const invest = async () => {
      const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
        investor_id: (await investor()).body.id,
        campaign_id: campaign.id,
        units: 1,
        signed_at: '2026-02-01T10:00:00Z',
      });
      expect(created.status, created.text).toBe(201);
    };
    await invest();
    await invest();
    // Two transactions with deliveries: one drainer, due, not started.
    // The second transaction left it as it was: not queued again (its revision is still 0).
    expect(await drainers(sub.body.id)).toEqual([{ key, locked_at: null, due: true, revision: 0 }]);
    const deliveries = await quiet.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('webhook_id', '=', sub.body.id)
      .execute();
    expect(deliveries).toHaveLength(2);

    // It starts (a worker locks it): the next delivery queues another one.
    await sql`update graphile_worker._private_jobs set locked_at = now(), locked_by = 'test' where key = ${key}`.execute(
      quiet.db,
    );
    await invest();
    const after = await drainers(sub.body.id);
    expect(after).toHaveLength(2);
    // graphile-worker takes the key off the started job; the new one has it.
    expect(after[0]).toMatchObject({ key: null, locked_at: expect.any(String) });
    expect(after[1]).toEqual({ key, locked_at: null, due: true, revision: 0 });
  });
});
