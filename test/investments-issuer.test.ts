/**
 * Investments seen from the issuer API (all platforms, its products only; cancellation with a
 * reason) and the distributor's lists (filters, pagination, the legacy prefix).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAllowance } from '../src/parties/service.ts';
import {
  bothDocuments,
  campaignBody,
  createInvestor,
  createTenant,
  DISTRIBUTOR,
  ISSUER,
  invest,
  listedProduct,
  startTestServer,
  type Tenant,
  type TestServer,
  uploadPdf,
} from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

const SIGNED = '2026-03-01T10:00:00Z';
const LEGACY = '/api/external/v2';

const ids = (res: { body: { results: { id: string }[] } }) => res.body.results.map((r) => r.id);

describe('issuer API: its products’ investments, on every platform', () => {
  let t: Tenant; // issuer I with platform P1
  let u: Tenant; // issuer I2 with platform P2; I is allowed on P2 as well
  let o: Tenant; // an outsider
  let productX: string;
  let productY: string;
  const inv: Record<string, any> = {};

  beforeAll(async () => {
    t = await createTenant(server, 'Iss');
    u = await createTenant(server, 'Second');
    o = await createTenant(server, 'Outsider');
    await server.db.transaction().execute((trx) => setAllowance(trx, t.issuerId, u.platformId, true));
    const x = await listedProduct(t, { asset_code: 'XPROD' });
    productX = x.product.id;
    const listing = await t.issuer.post(`${ISSUER}/listings/`, {
      product_id: productX,
      distribution_platform_id: u.platformId,
    });
    expect(listing.status, listing.text).toBe(201);
    const x2 = await t.issuer.post(`${ISSUER}/products/${productX}/campaigns/`, campaignBody(u.platformId));
    expect(x2.status, x2.text).toBe(201);
    const y = await listedProduct(t, { asset_code: 'YPROD' });
    productY = y.product.id;
    const z = await listedProduct(u, { asset_code: 'ZPROD' });
    const w = await listedProduct(o, { asset_code: 'WPROD' });

    const a = await createInvestor(t.distributor);
    const b = await createInvestor(t.distributor, { kyc: true });
    const c = await createInvestor(u.distributor);
    const d = await createInvestor(o.distributor);
    const signed = { signed_at: SIGNED };
    inv.i1 = await invest(t.distributor, { investor_id: a, campaign_id: x.campaign.id, units: 1, ...signed });
    inv.i2 = await invest(t.distributor, { investor_id: b, campaign_id: x.campaign.id, units: 2, ...signed });
    inv.i3 = await invest(t.distributor, { investor_id: a, campaign_id: y.campaign.id, units: 3, ...signed });
    inv.i4 = await invest(u.distributor, { investor_id: c, campaign_id: x2.body.id, units: 4, ...signed });
    inv.i5 = await invest(u.distributor, { investor_id: c, campaign_id: z.campaign.id, units: 5, ...signed });
    inv.i6 = await invest(o.distributor, { investor_id: d, campaign_id: w.campaign.id, units: 6, ...signed });
    expect(inv.i2.status).toBe('WAITING_FOR_ACCEPTANCE');
  });

  it('lists every investment into its products whatever the platform, oldest first', async () => {
    const all = await t.issuer.get(`${ISSUER}/investments/`);
    expect(all.status, all.text).toBe(200);
    expect(all.body.count).toBe(4);
    expect(ids(all)).toEqual([inv.i1.id, inv.i2.id, inv.i3.id, inv.i4.id]);
    expect(all.body.results[3]).toMatchObject({ product_id: productX, units: 4 });
    // The same read on both sides.
    const mine = await t.issuer.get(`${ISSUER}/investments/${inv.i4.id}/`);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual((await u.distributor.get(`${DISTRIBUTOR}/investments/${inv.i4.id}/`)).body);
    // The second platform's own issuer sees only its own product's investment, not I's on its platform.
    expect(ids(await u.issuer.get(`${ISSUER}/investments/`))).toEqual([inv.i5.id]);
    expect((await u.issuer.get(`${ISSUER}/investments/${inv.i4.id}/`)).status).toBe(404);
    // Platforms see the investments made through them.
    expect(ids(await u.distributor.get(`${DISTRIBUTOR}/investments/`))).toEqual([inv.i4.id, inv.i5.id]);
    expect(ids(await t.distributor.get(`${DISTRIBUTOR}/investments/`))).toEqual([inv.i1.id, inv.i2.id, inv.i3.id]);
    expect((await t.distributor.get(`${DISTRIBUTOR}/investments/${inv.i4.id}/`)).status).toBe(404);
  });

  it('a platform cannot invest into the same issuer’s campaign of another platform (400 campaign_id)', async () => {
    const res = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: inv.i1.investor_id,
      campaign_id: inv.i4.campaign_id,
      units: 1,
      signed_at: SIGNED,
    });
    expect(res.status, res.text).toBe(400);
    expect(Object.keys(res.body.errors)).toEqual(['campaign_id']);
    expect((await t.issuer.get(`${ISSUER}/investments/`)).body.count).toBe(4);
  });

  it('filters by product_id and status', async () => {
    const q = async (query: string) => {
      const res = await t.issuer.get(`${ISSUER}/investments/?${query}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.count).toBe(res.body.results.length);
      return ids(res);
    };
    expect(await q(`product_id=${productX}`)).toEqual([inv.i1.id, inv.i2.id, inv.i4.id]);
    expect(await q(`product_id=${productY}`)).toEqual([inv.i3.id]);
    expect(await q('status=WAITING_FOR_ACCEPTANCE')).toEqual([inv.i2.id]);
    expect(await q(`status=KYC_PENDING&product_id=${productX}`)).toEqual([inv.i1.id, inv.i4.id]);
    expect(await q('status=PAID')).toEqual([]);
    // Another issuer's product: nothing.
    expect(await q(`product_id=${inv.i5.product_id}`)).toEqual([]);
    for (const bad of ['status=DONE', 'product_id=123', 'investor_id=' + inv.i1.investor_id]) {
      const res = await t.issuer.get(`${ISSUER}/investments/?${bad}`);
      expect(res.status, `${bad}: ${res.text}`).toBe(400);
    }
  });

  it('answers another issuer with 404 and empty lists', async () => {
    for (const key of ['i1', 'i2', 'i3', 'i4']) {
      const id = inv[key].id;
      const read = await o.issuer.get(`${ISSUER}/investments/${id}/`);
      expect(read.status).toBe(404);
      expect(read.body.code).toBe('not_found');
      expect((await o.issuer.patch(`${ISSUER}/investments/${id}/`, { accepted_at: SIGNED })).status).toBe(404);
      expect(
        (
          await o.issuer.post(`${ISSUER}/investments/${id}/cancellation/`, {
            reason: 'REJECTION',
            cancellation_date: SIGNED,
          })
        ).status,
      ).toBe(404);
      expect((await o.issuer.get(`${ISSUER}/investments/${id}/signed-documents/`)).status).toBe(404);
    }
    expect(ids(await o.issuer.get(`${ISSUER}/investments/`))).toEqual([inv.i6.id]);
    const filtered = await o.issuer.get(`${ISSUER}/investments/?product_id=${productX}`);
    expect(filtered.body).toMatchObject({ count: 0, results: [], next: null, previous: null });
    // Nothing changed.
    expect((await t.issuer.get(`${ISSUER}/investments/${inv.i2.id}/`)).body.status).toBe('WAITING_FOR_ACCEPTANCE');
  });

  it('cancels an investment made through another platform, releasing its units there', async () => {
    const before = await server.db
      .selectFrom('campaigns')
      .select('units_reserved')
      .where('id', '=', inv.i4.campaign_id)
      .executeTakeFirstOrThrow();
    const res = await t.issuer.post(`${ISSUER}/investments/${inv.i4.id}/cancellation/`, {
      reason: 'KYC_INSUFFICIENT',
      cancellation_date: '2026-03-05T10:00:00Z',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'KYC_INSUFFICIENT', cancellation_reason: 'KYC_INSUFFICIENT' });
    const funding = await u.distributor.get(
      `${DISTRIBUTOR}/products/${productX}/campaigns/${inv.i4.campaign_id}/funding-information/`,
    );
    expect(funding.body.units_available).toBe(10000 - Number(before.units_reserved) + 4);
    expect((await u.distributor.get(`${DISTRIBUTOR}/investments/${inv.i4.id}/`)).body.status).toBe('KYC_INSUFFICIENT');
  });
});

describe('issuer cancellation reasons (spec §7)', () => {
  let t: Tenant;
  let product: { id: string };
  let campaign: { id: string };
  let reviewProduct: { id: string };
  let reviewCampaign: { id: string };
  let kycDone: string;
  let kycOpen: string;

  beforeAll(async () => {
    t = await createTenant(server, 'Cancel');
    ({ product, campaign } = await listedProduct(t, { asset_code: 'CXL' }, { allocation: 1000 }));
    ({ product: reviewProduct, campaign: reviewCampaign } = await listedProduct(t, {
      asset_code: 'CXLREV',
      requires_review: true,
    }));
    kycDone = await createInvestor(t.distributor, { kyc: true });
    kycOpen = await createInvestor(t.distributor);
  });

  type State = 'KYC_PENDING' | 'REVIEW_PENDING' | 'WAITING_FOR_ACCEPTANCE' | 'ACCEPTED' | 'PAID' | 'ABORTION';

  /** An investment of 6 units in the given state. */
  async function investmentIn(state: State) {
    const base = { campaign_id: campaign.id, units: 6, signed_at: SIGNED };
    let body: Record<string, unknown>;
    switch (state) {
      case 'KYC_PENDING':
      case 'ABORTION':
        body = { ...base, investor_id: kycOpen };
        break;
      case 'REVIEW_PENDING':
        body = { ...base, campaign_id: reviewCampaign.id, investor_id: kycDone };
        break;
      case 'WAITING_FOR_ACCEPTANCE':
        body = { ...base, investor_id: kycDone };
        break;
      case 'ACCEPTED':
        body = {
          ...base,
          investor_id: kycDone,
          signed_documents: await bothDocuments(t.distributor),
          accepted_at: '2026-03-02T10:00:00Z',
        };
        break;
      case 'PAID':
        body = {
          ...base,
          investor_id: kycDone,
          signed_documents: await bothDocuments(t.distributor),
          accepted_at: '2026-03-02T10:00:00Z',
          paid_at: '2026-03-03T10:00:00Z',
        };
        break;
    }
    const created = await invest(t.distributor, body);
    if (state === 'ABORTION') {
      const abort = await t.distributor.post(`${DISTRIBUTOR}/investments/${created.id}/cancellation/`, {
        cancellation_date: SIGNED,
      });
      expect(abort.status, abort.text).toBe(200);
      return abort.body;
    }
    expect(created.status).toBe(state);
    return created;
  }

  async function available(campaignId: string): Promise<number> {
    const productId = campaignId === campaign.id ? product.id : reviewProduct.id;
    const res = await t.distributor.get(
      `${DISTRIBUTOR}/products/${productId}/campaigns/${campaignId}/funding-information/`,
    );
    expect(res.status, res.text).toBe(200);
    return res.body.units_available;
  }

  const ALLOWED: [State, string][] = [
    ['KYC_PENDING', 'REJECTION'],
    ['REVIEW_PENDING', 'REJECTION'],
    ['WAITING_FOR_ACCEPTANCE', 'REJECTION'],
    ['KYC_PENDING', 'KYC_INSUFFICIENT'],
    ['REVIEW_PENDING', 'KYC_INSUFFICIENT'],
    ['WAITING_FOR_ACCEPTANCE', 'KYC_INSUFFICIENT'],
    ['ACCEPTED', 'PAYMENT_MISSING'],
    ['ACCEPTED', 'CANCELLATION'],
    ['PAID', 'CANCELLATION'],
  ];
  it.each(ALLOWED)('%s → %s: 200, units released', async (state, reason) => {
    const investment = await investmentIn(state);
    const before = await available(investment.campaign_id);
    const res = await t.issuer.post(`${ISSUER}/investments/${investment.id}/cancellation/`, {
      reason,
      cancellation_date: '2026-03-10T12:00:00+02:00',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({
      id: investment.id,
      status: reason,
      cancellation_reason: reason,
      cancellation_date: '2026-03-10T10:00:00.000000Z',
    });
    expect((await t.distributor.get(`${DISTRIBUTOR}/investments/${investment.id}/`)).body.status).toBe(reason);
    expect(await available(investment.campaign_id)).toBe(before + 6);
    const event = await server.db
      .selectFrom('events')
      .select('data')
      .where('investment_id', '=', investment.id)
      .where('type', '=', 'investment.status_changed')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(event.data).toMatchObject({ status: reason, previous_status: state, investment_id: investment.id });
    // An end state is final: no reason applies any more.
    const again = await t.issuer.post(`${ISSUER}/investments/${investment.id}/cancellation/`, {
      reason: 'CANCELLATION',
      cancellation_date: '2026-03-11T12:00:00Z',
    });
    expect(again.status).toBe(409);
    expect(await available(investment.campaign_id)).toBe(before + 6);
  });

  const REFUSED: [State, string][] = [
    ['ACCEPTED', 'REJECTION'],
    ['PAID', 'REJECTION'],
    ['ACCEPTED', 'KYC_INSUFFICIENT'],
    ['PAID', 'KYC_INSUFFICIENT'],
    ['KYC_PENDING', 'PAYMENT_MISSING'],
    ['WAITING_FOR_ACCEPTANCE', 'PAYMENT_MISSING'],
    ['PAID', 'PAYMENT_MISSING'],
    ['KYC_PENDING', 'CANCELLATION'],
    ['REVIEW_PENDING', 'CANCELLATION'],
    ['WAITING_FOR_ACCEPTANCE', 'CANCELLATION'],
    ['ABORTION', 'REJECTION'],
    ['ABORTION', 'KYC_INSUFFICIENT'],
    ['ABORTION', 'PAYMENT_MISSING'],
    ['ABORTION', 'CANCELLATION'],
  ];
  it.each(REFUSED)('%s → %s: 409 cancellation_not_allowed, nothing changes', async (state, reason) => {
    const investment = await investmentIn(state);
    const before = await available(investment.campaign_id);
    const res = await t.issuer.post(`${ISSUER}/investments/${investment.id}/cancellation/`, {
      reason,
      cancellation_date: '2026-03-10T12:00:00Z',
    });
    expect(res.status, res.text).toBe(409);
    expect(res.body.code).toBe('cancellation_not_allowed');
    const read = (await t.distributor.get(`${DISTRIBUTOR}/investments/${investment.id}/`)).body;
    expect(read.status).toBe(state);
    expect(read.cancellation_reason).toBe(state === 'ABORTION' ? 'ABORTION' : null);
    expect(await available(investment.campaign_id)).toBe(before);
  });

  it('refuses a bad reason, a missing date, and the reason on the distributor API (400)', async () => {
    const investment = await investmentIn('KYC_PENDING');
    const path = `${ISSUER}/investments/${investment.id}/cancellation/`;
    expect((await t.issuer.post(path, { reason: 'ABORTION', cancellation_date: SIGNED })).status).toBe(400);
    expect((await t.issuer.post(path, { reason: 'REJECTION' })).status).toBe(400);
    expect((await t.issuer.post(path, { reason: 'REJECTION', cancellation_date: '2026-03-10' })).status).toBe(400);
    const withReason = await t.distributor.post(`${DISTRIBUTOR}/investments/${investment.id}/cancellation/`, {
      reason: 'REJECTION',
      cancellation_date: SIGNED,
    });
    expect(withReason.status).toBe(400);
    expect((await t.distributor.get(`${DISTRIBUTOR}/investments/${investment.id}/`)).body.status).toBe('KYC_PENDING');
  });

  it('the investor’s cancellation is ABORTION before acceptance only', async () => {
    for (const state of ['KYC_PENDING', 'REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE'] as const) {
      const investment = await investmentIn(state);
      const res = await t.distributor.post(`${DISTRIBUTOR}/investments/${investment.id}/cancellation/`, {
        cancellation_date: SIGNED,
      });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ status: 'ABORTION', cancellation_reason: 'ABORTION' });
    }
    for (const state of ['ACCEPTED', 'PAID', 'ABORTION'] as const) {
      const investment = await investmentIn(state);
      const res = await t.distributor.post(`${DISTRIBUTOR}/investments/${investment.id}/cancellation/`, {
        cancellation_date: SIGNED,
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('cancellation_not_allowed');
    }
  });

  // Regression: PENDING → REJECTION keeps signed_at null; the table's check allows it (it once
  // answered 500).
  it('rejects a PENDING web subscription (PENDING → REJECTION) and releases its units', async () => {
    const web = await invest(t.distributor, { investor_id: kycOpen, campaign_id: campaign.id, units: 6 });
    expect(web.status).toBe('PENDING');
    const before = await available(campaign.id);
    const res = await t.issuer.post(`${ISSUER}/investments/${web.id}/cancellation/`, {
      reason: 'REJECTION',
      cancellation_date: '2026-03-10T12:00:00Z',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe('REJECTION');
    expect(await available(campaign.id)).toBe(before + 6);
  });
});

describe('distributor lists: filters, pagination, the legacy prefix', () => {
  let d: Tenant;
  let x: { product: { id: string }; campaign: { id: string } };
  let y: { product: { id: string }; campaign: { id: string } };
  let a: string;
  let b: string;
  const n: string[] = [];
  const LIST = `${DISTRIBUTOR}/investments/`;

  beforeAll(async () => {
    d = await createTenant(server, 'Lister');
    x = await listedProduct(d, { asset_code: 'LX' });
    y = await listedProduct(d, { asset_code: 'LY' });
    a = await createInvestor(d.distributor);
    b = await createInvestor(d.distributor, { kyc: true });
    const rows = [
      { investor_id: a, campaign_id: x.campaign.id, units: 1, signed_at: SIGNED }, // KYC_PENDING
      { investor_id: b, campaign_id: x.campaign.id, units: 2, signed_at: SIGNED }, // WAITING
      { investor_id: a, campaign_id: y.campaign.id, units: 3, signed_at: SIGNED }, // KYC_PENDING
      { investor_id: b, campaign_id: y.campaign.id, units: 4, signed_at: SIGNED }, // WAITING
      { investor_id: a, campaign_id: x.campaign.id, units: 5 }, // PENDING
    ];
    for (const row of rows) n.push((await invest(d.distributor, row)).id);
    const docs = await d.distributor.post(`${LIST}${n[1]}/signed-documents/`, {
      category: 'effecta_document',
      document_id: await uploadPdf(d.distributor, 'terms.pdf'),
    });
    expect(docs.status, docs.text).toBe(201);
  });

  it('filters by status, campaign_id, investor_id and product_id, alone and together', async () => {
    const q = async (query: string) => {
      const res = await d.distributor.get(`${LIST}?${query}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body.count).toBe(res.body.results.length);
      return ids(res);
    };
    expect(await q('')).toEqual(n);
    expect(await q('status=WAITING_FOR_ACCEPTANCE')).toEqual([n[1], n[3]]);
    expect(await q('status=PENDING')).toEqual([n[4]]);
    expect(await q('status=KYC_PENDING')).toEqual([n[0], n[2]]);
    expect(await q(`campaign_id=${x.campaign.id}`)).toEqual([n[0], n[1], n[4]]);
    expect(await q(`investor_id=${a}`)).toEqual([n[0], n[2], n[4]]);
    expect(await q(`product_id=${y.product.id}`)).toEqual([n[2], n[3]]);
    expect(await q(`investor_id=${b}&product_id=${x.product.id}`)).toEqual([n[1]]);
    expect(await q(`investor_id=${a}&campaign_id=${y.campaign.id}&status=KYC_PENDING`)).toEqual([n[2]]);
    expect(await q(`investor_id=${a}&status=WAITING_FOR_ACCEPTANCE`)).toEqual([]);
    for (const bad of ['campaign_id=nope', 'investor_id=1', 'product_id=x', 'status=waiting', 'colour=red']) {
      const res = await d.distributor.get(`${LIST}?${bad}`);
      expect(res.status, `${bad}: ${res.text}`).toBe(400);
      expect(res.body.code).toBe('validation_error');
    }
  });

  it('paginates oldest first with absolute next/previous links that keep the filters', async () => {
    const first = await d.distributor.get(`${LIST}?limit=2`);
    expect(first.body).toMatchObject({ count: 5, previous: null, next: `${server.url}${LIST}?limit=2&offset=2` });
    expect(ids(first)).toEqual([n[0], n[1]]);
    const second = await d.distributor.get(first.body.next);
    expect(ids(second)).toEqual([n[2], n[3]]);
    expect(second.body.previous).toBe(`${server.url}${LIST}?limit=2&offset=0`);
    const third = await d.distributor.get(second.body.next);
    expect(ids(third)).toEqual([n[4]]);
    expect(third.body.next).toBeNull();
    const beyond = await d.distributor.get(`${LIST}?offset=10`);
    expect(beyond.body).toMatchObject({ count: 5, results: [], next: null });
    const filtered = await d.distributor.get(`${LIST}?investor_id=${a}&limit=2`);
    expect(filtered.body.count).toBe(3);
    expect(ids(filtered)).toEqual([n[0], n[2]]);
    const next = new URL(filtered.body.next);
    expect(next.searchParams.get('investor_id')).toBe(a);
    expect(ids(await d.distributor.get(filtered.body.next))).toEqual([n[4]]);
    for (const bad of ['limit=0', 'limit=501', 'offset=-1', 'limit=two']) {
      expect((await d.distributor.get(`${LIST}?${bad}`)).status, bad).toBe(400);
    }
    expect((await d.distributor.get(`${LIST}?limit=500`)).body.count).toBe(5);
  });

  it('answers the same under the legacy prefix /api/external/v2/ for a distributor', async () => {
    const current = await d.distributor.get(LIST);
    const legacy = await d.distributor.get(`${LEGACY}/investments/`);
    expect(legacy.status, legacy.text).toBe(200);
    expect(legacy.body).toEqual(current.body);
    expect((await d.distributor.get(`${LEGACY}/investments`)).body).toEqual(current.body);
    const filtered = await d.distributor.get(`${LEGACY}/investments/?status=WAITING_FOR_ACCEPTANCE&investor_id=${b}`);
    expect(filtered.body).toEqual(
      (await d.distributor.get(`${LIST}?status=WAITING_FOR_ACCEPTANCE&investor_id=${b}`)).body,
    );
    for (const id of n) {
      const one = await d.distributor.get(`${LEGACY}/investments/${id}/`);
      expect(one.status).toBe(200);
      expect(one.text).toBe((await d.distributor.get(`${LIST}${id}/`)).text);
      expect((await d.distributor.get(`${LEGACY}/investments/${id}`)).text).toBe(one.text);
    }
    const docs = await d.distributor.get(`${LEGACY}/investments/${n[1]}/signed-documents/`);
    expect(docs.status).toBe(200);
    expect(docs.body.count).toBe(1);
    expect(docs.body.results).toEqual((await d.distributor.get(`${LIST}${n[1]}/signed-documents/`)).body.results);
    // Paginated under its own prefix.
    const page = await d.distributor.get(`${LEGACY}/investments/?limit=2`);
    expect(page.body.next).toBe(`${server.url}${LEGACY}/investments/?limit=2&offset=2`);
  });

  it('the legacy prefix: 403 for an issuer token, 404 for another platform’s investment, reads only', async () => {
    const issuer = await d.issuer.get(`${LEGACY}/investments/`);
    expect(issuer.status).toBe(403);
    expect((await d.issuer.get(`${LEGACY}/investments/${n[0]}/`)).status).toBe(403);
    const stranger = await createTenant(server, 'Stranger');
    expect((await stranger.distributor.get(`${LEGACY}/investments/${n[0]}/`)).status).toBe(404);
    expect((await stranger.distributor.get(`${LEGACY}/investments/`)).body.count).toBe(0);
    // Not routed: creating, updating and cancelling live on the distributor surface only.
    const before = await d.distributor.get(LIST);
    const post = await d.distributor.post(`${LEGACY}/investments/`, {
      investor_id: a,
      campaign_id: x.campaign.id,
      units: 1,
      signed_at: SIGNED,
    });
    expect(post.status).toBe(404);
    expect((await d.distributor.patch(`${LEGACY}/investments/${n[0]}/`, { wallet: null })).status).toBe(404);
    expect(
      (await d.distributor.post(`${LEGACY}/investments/${n[0]}/cancellation/`, { cancellation_date: SIGNED })).status,
    ).toBe(404);
    expect((await d.distributor.get(LIST)).body).toEqual(before.body);
    // Without a token: 401 or 404 never 200.
    expect((await d.distributor.get(`${LEGACY}/investments/`, { token: null })).status).toBe(401);
  });
});
