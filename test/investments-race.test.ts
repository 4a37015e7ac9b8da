/**
 * Races on the real PostgreSQL (spec §7: "never oversold, however many requests race"): concurrent
 * creates against a small allocation, concurrent cancellations, concurrent idempotent retries.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../src/db/database.ts';
import { setCampaignActive } from '../src/products/service.ts';
import {
  campaignBody,
  createTenant,
  DISTRIBUTOR,
  ISSUER,
  identify,
  investorWithWallet,
  listedProduct,
  type Response,
  startTestServer,
  type Tenant,
  type TestServer,
  unitsReserved,
} from './helpers.ts';

let server: TestServer;
let t: Tenant;
beforeAll(async () => {
  server = await startTestServer();
  t = await createTenant(server);
});
afterAll(async () => server?.close());

const INVESTMENTS = `${DISTRIBUTOR}/investments/`;
const SIGNED = '2026-03-01T10:00:00Z';
const END_STATES = ['KYC_INSUFFICIENT', 'ABORTION', 'REJECTION', 'CANCELLATION', 'PAYMENT_MISSING'];

async function investors(n: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await t.distributor.post(`${DISTRIBUTOR}/investors/`, {
        natural_person: { forename: `Investor${i}`, surname: 'Racer' },
      });
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    }),
  );
}

const reservedOf = (campaignId: string) => unitsReserved(server.db, campaignId);

async function storedUnits(campaignId: string) {
  const rows = await server.db
    .selectFrom('investments')
    .select(['units', 'status'])
    .where('campaign_id', '=', campaignId)
    .execute();
  const live = rows.filter((r) => !END_STATES.includes(r.status));
  return { count: rows.length, live: live.reduce((a, r) => a + Number(r.units), 0) };
}

async function funding(productId: string, campaignId: string) {
  const res = await t.distributor.get(
    `${DISTRIBUTOR}/products/${productId}/campaigns/${campaignId}/funding-information/`,
  );
  expect(res.status, res.text).toBe(200);
  return res.body;
}

describe('never oversold (spec §7)', () => {
  it('200 concurrent creates of 1..5 units against an allocation of 50: exactly what fits', async () => {
    const { product, campaign } = await listedProduct(
      t,
      { asset_code: 'RACE' },
      { allocation: 50, min_number_of_tokens: 1, max_number_of_tokens: 5 },
    );
    const people = await investors(8);
    const asks = Array.from({ length: 200 }, (_, i) => ({
      investor_id: people[i % people.length]!,
      units: 1 + Math.floor(Math.random() * 5),
    }));
    const results = await Promise.all(
      asks.map((a) =>
        t.distributor.post(INVESTMENTS, { ...a, campaign_id: campaign.id, signed_at: SIGNED }).then((r) => ({
          ...a,
          res: r as Response,
        })),
      ),
    );
    const created = results.filter((r) => r.res.status === 201);
    const refused = results.filter((r) => r.res.status !== 201);
    // Nothing but a success or a clean 409 allocation_exceeded.
    for (const r of refused) {
      expect(r.res.status, r.res.text).toBe(409);
      expect(r.res.body.code).toBe('allocation_exceeded');
    }
    for (const r of created) expect(r.res.body).toMatchObject({ units: r.units, status: 'KYC_PENDING' });
    const sum = created.reduce((a, r) => a + r.units, 0);
    expect(sum).toBeLessThanOrEqual(50);
    // Every refusal asked for more than was left; what was left only shrank during the race, so
    // each refused request asked for more than the final remainder: sum + smallest refusal > 50.
    expect(refused.length).toBeGreaterThan(0);
    const minRefused = Math.min(...refused.map((r) => r.units));
    expect(sum + minRefused).toBeGreaterThan(50);
    for (const r of refused) {
      const m = /has (\d+) units left; (\d+) asked/.exec(r.res.body.detail);
      if (m) {
        expect(Number(m[1])).toBeLessThan(Number(m[2]));
        expect(Number(m[1])).toBeGreaterThanOrEqual(50 - sum);
      }
    }
    // The stored state agrees: rows, reserved units, funding information.
    expect(await storedUnits(campaign.id)).toEqual({ count: created.length, live: sum });
    expect(await reservedOf(campaign.id)).toBe(sum);
    expect(new Set(created.map((r) => r.res.body.id)).size).toBe(created.length);
    const info = await funding(product.id, campaign.id);
    expect(info).toMatchObject({ units_available: 50 - sum, units_signed: sum, investments_count: created.length });

    // Some investors abort: their units go back and fit again.
    const aborted = created.slice(0, 4);
    const freed = aborted.reduce((a, r) => a + r.units, 0);
    const cancels = await Promise.all(
      aborted.map((r) =>
        t.distributor.post(`${INVESTMENTS}${r.res.body.id}/cancellation/`, { cancellation_date: SIGNED }),
      ),
    );
    for (const c of cancels) {
      expect(c.status, c.text).toBe(200);
      expect(c.body.status).toBe('ABORTION');
    }
    expect(await reservedOf(campaign.id)).toBe(sum - freed);
    expect((await funding(product.id, campaign.id)).units_available).toBe(50 - sum + freed);
    const units = Math.min(5, 50 - sum + freed);
    const again = await t.distributor.post(INVESTMENTS, {
      investor_id: people[0],
      campaign_id: campaign.id,
      units,
      signed_at: SIGNED,
    });
    expect(again.status, again.text).toBe(201);
    expect(await reservedOf(campaign.id)).toBe(sum - freed + units);
    expect((await funding(product.id, campaign.id)).units_available).toBe(50 - sum + freed - units);
  });

  it('30 concurrent single-unit creates against an allocation of 10: exactly 10 succeed', async () => {
    const { campaign } = await listedProduct(
      t,
      { asset_code: 'RACE10' },
      { allocation: 10, min_number_of_tokens: 1, max_number_of_tokens: 1 },
    );
    const people = await investors(3);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.distributor.post(INVESTMENTS, {
          investor_id: people[i % 3],
          campaign_id: campaign.id,
          units: 1,
          signed_at: SIGNED,
        }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    expect(results.filter((r) => r.status === 409 && r.body.code === 'allocation_exceeded')).toHaveLength(20);
    expect(await reservedOf(campaign.id)).toBe(10);
    expect(await storedUnits(campaign.id)).toEqual({ count: 10, live: 10 });
  });
});

describe('concurrent end states release units once', () => {
  it('20 concurrent cancellations of one investment: one 200, the rest 409; units released once', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'CANCEL20' }, { allocation: 100 });
    const [investorId] = await investors(1);
    const keep = await t.distributor.post(INVESTMENTS, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 10,
      signed_at: SIGNED,
    });
    const target = await t.distributor.post(INVESTMENTS, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 7,
      signed_at: SIGNED,
    });
    expect(keep.status).toBe(201);
    expect(await reservedOf(campaign.id)).toBe(17);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.distributor.post(`${INVESTMENTS}${target.body.id}/cancellation/`, { cancellation_date: SIGNED }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status, r.text).toBe(409);
      expect(r.body.code).toBe('cancellation_not_allowed');
    }
    expect(await reservedOf(campaign.id)).toBe(10);
    const changes = await server.db
      .selectFrom('events')
      .select('type')
      .where('investment_id', '=', target.body.id)
      .where('type', '=', 'investment.status_changed')
      .execute();
    expect(changes).toHaveLength(1);
  });

  it('the issuer’s rejection racing the investor’s abortion: exactly one wins', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'DUEL' }, { allocation: 100 });
    const [investorId] = await investors(1);
    for (let round = 0; round < 5; round++) {
      const inv = await t.distributor.post(INVESTMENTS, {
        investor_id: investorId,
        campaign_id: campaign.id,
        units: 5,
        signed_at: SIGNED,
      });
      const [abort, reject] = await Promise.all([
        t.distributor.post(`${INVESTMENTS}${inv.body.id}/cancellation/`, { cancellation_date: SIGNED }),
        t.issuer.post(`${ISSUER}/investments/${inv.body.id}/cancellation/`, {
          reason: 'REJECTION',
          cancellation_date: SIGNED,
        }),
      ]);
      expect([abort.status, reject.status].sort()).toEqual([200, 409]);
      const winner = abort.status === 200 ? 'ABORTION' : 'REJECTION';
      expect((await t.distributor.get(`${INVESTMENTS}${inv.body.id}/`)).body.status).toBe(winner);
      expect(await reservedOf(campaign.id)).toBe(0);
    }
  });
});

describe('KYC completing while creates race', () => {
  it('leaves no investment behind in KYC_PENDING, each e-mailed exactly once', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'KYCRACE' }, { allocation: 1000 });
    const [investorId] = await investors(1);
    const creates = Array.from({ length: 20 }, () =>
      t.distributor.post(INVESTMENTS, {
        investor_id: investorId,
        campaign_id: campaign.id,
        units: 2,
        signed_at: SIGNED,
      }),
    );
    const identification = identify(t.distributor, investorId!);
    const results = await Promise.all(creates);
    expect((await identification).status).toBe(201);
    for (const r of results) expect(r.status, r.text).toBe(201);
    const rows = await server.db
      .selectFrom('investments')
      .select(['id', 'status'])
      .where('campaign_id', '=', campaign.id)
      .execute();
    expect(rows).toHaveLength(20);
    for (const row of rows) expect(row.status).toBe('WAITING_FOR_ACCEPTANCE');
    const mails = await server.db
      .selectFrom('emails')
      .select('investment_id')
      .where(
        'investment_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    expect(mails.map((m) => m.investment_id).sort()).toEqual(rows.map((r) => r.id).sort());
  });
});

describe('concurrent idempotent retries (spec §3)', () => {
  it('10 concurrent requests under one key: one investment, units reserved once, identical replays', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'IDEMRACE' }, { allocation: 100 });
    const [investorId] = await investors(1);
    const headers = { 'X-Idempotency-Key': `race-${randomBytes(6).toString('hex')}` };
    const body = { investor_id: investorId, campaign_id: campaign.id, units: 9, signed_at: SIGNED };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.distributor.post(INVESTMENTS, body, { headers })),
    );
    const ok = results.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status, r.text).toBe(409);
      expect(r.body.code).toBe('idempotency_key_in_use');
    }
    expect(new Set(ok.map((r) => r.text)).size).toBe(1);
    const replay = await t.distributor.post(INVESTMENTS, body, { headers });
    expect(replay.text).toBe(ok[0]!.text);
    expect(await storedUnits(campaign.id)).toEqual({ count: 1, live: 9 });
    expect(await reservedOf(campaign.id)).toBe(9);
  });
});

/** A transaction that runs `work` and then stays open (holding its locks) until released. */
function heldTransaction(work: (trx: Trx) => Promise<unknown>) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const done = server.db.transaction().execute(async (trx) => {
    await work(trx);
    started();
    await gate;
  });
  return { ready: Promise.race([ready, done]), release, done };
}

/** Waits until a statement matching `pattern` waits for a lock. */
async function blockedOn(pattern: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock' and query ilike ${pattern}`.execute(server.db);
    if (Number(rows[0]!.n) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no statement like ${pattern} is waiting for a lock`);
}

describe('a campaign switched off while a create is in flight', () => {
  // Regression: a create that read the campaign before a concurrent switch-off must not reserve
  // units on it afterwards (the switch-off hands the unreserved units back to the product). The
  // interleaving is forced with row locks, so the test is deterministic.
  it('never lets a product hold more units than max_issuable_amount', async () => {
    const { product, campaign } = await listedProduct(
      t,
      { asset_code: 'SWOFF', max_issuable_amount: 10 },
      { allocation: 10, max_number_of_tokens: 10 },
    );
    const { investorId, walletId } = await investorWithWallet(t.distributor, {
      person: { forename: 'Late', surname: 'Comer' },
    });

    // The issuer switches the campaign off (committed below).
    const switchOff = heldTransaction((trx) => setCampaignActive(trx, t.issuerId, product.id, campaign.id, false));
    await switchOff.ready;
    // The create reads the campaign as active, then waits on the campaign row the switch-off holds
    // (its insert's foreign key); its reservation, the last statement, comes after the switch-off.
    const create = t.distributor.post(INVESTMENTS, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 10,
      signed_at: SIGNED,
      wallet: walletId,
    });
    await blockedOn('%insert into "investments"%');
    // A new campaign for the units the switch-off frees waits for the product.
    const replacement = t.issuer.post(
      `${ISSUER}/products/${product.id}/campaigns/`,
      campaignBody(t.platformId, { allocation: 10, max_number_of_tokens: 10 }),
    );
    await blockedOn('%from "products"%for update%');
    switchOff.release();
    await switchOff.done;
    // The create re-checks the row the switch-off left: refused; the replacement goes through.
    const first = await create;
    const second = await replacement;

    const campaigns = await server.db
      .selectFrom('campaigns')
      .select(['allocation', 'units_reserved', 'is_campaign_active'])
      .where('product_id', '=', product.id)
      .execute();
    const inForce = campaigns.reduce((a, c) => a + Number(c.is_campaign_active ? c.allocation : c.units_reserved), 0);
    // Either the late create or the replacement campaign must have been refused.
    expect([first.status, second.status], `${first.text}\n${second.text}`).toContain(409);
    expect(inForce).toBeLessThanOrEqual(10);
  });
});

describe('invariant: units_reserved = the units of live investments', () => {
  it('holds for every campaign after all of the above', async () => {
    const campaigns = await server.db.selectFrom('campaigns').select(['id', 'units_reserved', 'allocation']).execute();
    expect(campaigns.length).toBeGreaterThan(3);
    for (const c of campaigns) {
      expect(Number(c.units_reserved)).toBe((await storedUnits(c.id)).live);
      expect(c.units_reserved).toBeLessThanOrEqual(c.allocation);
    }
  });
});
