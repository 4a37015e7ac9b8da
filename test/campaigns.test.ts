import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  campaignBody,
  createTenant,
  DISTRIBUTOR,
  ISSUER,
  listedProduct,
  productBody,
  startTestServer,
  type Tenant,
  type TestServer,
} from './helpers.ts';

let server: TestServer;
let t: Tenant;
beforeAll(async () => {
  server = await startTestServer();
  t = await createTenant(server);
});
afterAll(async () => server?.close());

async function listed(overrides = {}) {
  const product = await t.issuer.post(`${ISSUER}/products/`, productBody(overrides));
  expect(product.status).toBe(201);
  const listing = await t.issuer.post(`${ISSUER}/listings/`, {
    product_id: product.body.id,
    distribution_platform_id: t.platformId,
  });
  expect(listing.status).toBe(201);
  return product.body;
}

describe('campaign allocation (invariant 1)', () => {
  it('100 concurrent campaign creations never exceed max_issuable_amount', async () => {
    // 1000 units, campaigns of 30: at most 33 fit.
    const product = await listed({ max_issuable_amount: 1000, asset_code: 'RACE' });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.issuer.post(
          `${ISSUER}/products/${product.id}/campaigns/`,
          campaignBody(t.platformId, { allocation: 30, name: `c${i}` }),
        ),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(33);
    expect(statuses.filter((s) => s === 409)).toHaveLength(67);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('allocation_exceeded');
    const rows = await server.db
      .selectFrom('campaigns')
      .select((eb) => eb.fn.sum<string>('allocation').as('total'))
      .where('product_id', '=', product.id)
      .executeTakeFirstOrThrow();
    expect(Number(rows.total)).toBe(990);
  });

  it('frees the unused allocation of a switched-off campaign and re-checks on reactivation', async () => {
    const product = await listed({ max_issuable_amount: 100, asset_code: 'SWITCH' });
    const path = `${ISSUER}/products/${product.id}/campaigns/`;
    const first = await t.issuer.post(path, campaignBody(t.platformId, { allocation: 100 }));
    expect(first.status).toBe(201);
    expect((await t.issuer.post(path, campaignBody(t.platformId, { allocation: 1 }))).status).toBe(409);
    const off = await t.issuer.patch(`${path}${first.body.id}/`, { is_campaign_active: false });
    expect(off.status).toBe(200);
    expect(off.body.is_campaign_active).toBe(false);
    const replacement = await t.issuer.post(path, campaignBody(t.platformId, { allocation: 60 }));
    expect(replacement.status).toBe(201);
    const on = await t.issuer.patch(`${path}${first.body.id}/`, { is_campaign_active: true });
    expect(on.status).toBe(409);
    expect(on.body.code).toBe('allocation_exceeded');
  });

  it('lets no product shrink below its campaigns', async () => {
    const { product } = await listedProduct(t, { asset_code: 'SHRINK' }, { allocation: 500 });
    const res = await t.issuer.patch(`${ISSUER}/products/${product.id}/`, { max_issuable_amount: 499 });
    expect(res.status).toBe(409);
    expect((await t.issuer.patch(`${ISSUER}/products/${product.id}/`, { max_issuable_amount: 500 })).status).toBe(200);
  });
});

describe('campaign rules', () => {
  it('keeps every field of the seed example and only lets is_campaign_active change', async () => {
    const { product, campaign } = await listedProduct(t, { asset_code: 'FIELDS' });
    expect(campaign).toMatchObject({
      product_id: product.id,
      distribution_platform_id: t.platformId,
      allocation: 10000,
      price_per_token: { amount: '100', decimals: 2, currency: 'EUR' },
      min_number_of_tokens: 1,
      max_number_of_tokens: 100,
      name: 'Test',
      legal_persons_allowed: true,
      natural_persons_allowed: true,
      country: 'DEU',
      rule_type: 'public_offering',
      agio_percent: '0',
      is_campaign_active: true,
      minimum_investment_amount: null,
    });
    const path = `${ISSUER}/products/${product.id}/campaigns/${campaign.id}/`;
    const res = await t.issuer.patch(path, { allocation: 5, is_campaign_active: false });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual({ allocation: ['cannot be changed after creation'] });
    const unknown = await t.issuer.patch(path, { colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toHaveProperty('colour');
  });

  it('needs a listing and an allowed platform', async () => {
    const product = await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'UNLISTED' }));
    const res = await t.issuer.post(`${ISSUER}/products/${product.body.id}/campaigns/`, campaignBody(t.platformId));
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('product_not_listed');

    const other = await createTenant(server, 'Gamma');
    const listing = await t.issuer.post(`${ISSUER}/listings/`, {
      product_id: product.body.id,
      distribution_platform_id: other.platformId,
    });
    expect(listing.status).toBe(403);
    expect(listing.body.code).toBe('platform_not_allowed');
  });

  it('checks the minimum investment rule, currency and token bounds', async () => {
    const product = await listed({ asset_code: 'RULES' });
    const path = `${ISSUER}/products/${product.id}/campaigns/`;
    const noMinimum = await t.issuer.post(path, campaignBody(t.platformId, { rule_type: 'minimum_investment_amount' }));
    expect(noMinimum.status).toBe(400);
    expect(noMinimum.body.errors).toHaveProperty('minimum_investment_amount');
    const ok = await t.issuer.post(
      path,
      campaignBody(t.platformId, {
        rule_type: 'minimum_investment_amount',
        minimum_investment_amount: { amount: '20000000', decimals: 2, currency: 'EUR' },
        agio_percent: '2.50',
      }),
    );
    expect(ok.status).toBe(201);
    expect(ok.body.minimum_investment_amount).toEqual({ amount: '20000000', decimals: 2, currency: 'EUR' });
    expect(ok.body.agio_percent).toBe('2.5');
    const usd = await t.issuer.post(
      path,
      campaignBody(t.platformId, { price_per_token: { amount: '100', decimals: 2, currency: 'USD' } }),
    );
    expect(usd.status).toBe(400);
    expect(usd.body.errors).toHaveProperty(['price_per_token.currency']);
    const bounds = await t.issuer.post(
      path,
      campaignBody(t.platformId, { min_number_of_tokens: 10, max_number_of_tokens: 5 }),
    );
    expect(bounds.status).toBe(400);
    expect(bounds.body.errors).toHaveProperty('max_number_of_tokens');
  });

  it('shows a platform only its own campaigns', async () => {
    const other = await createTenant(server, 'Delta');
    const { product, campaign } = await listedProduct(t, { asset_code: 'OWN' });
    // The same issuer also lists the product on another platform it is allowed on.
    await server.db
      .insertInto('issuer_platform_allowances')
      .values({ issuer_id: t.issuerId, distribution_platform_id: other.platformId, is_allowed: true })
      .execute();
    await t.issuer.post(`${ISSUER}/listings/`, { product_id: product.id, distribution_platform_id: other.platformId });
    const theirs = await t.issuer.post(`${ISSUER}/products/${product.id}/campaigns/`, campaignBody(other.platformId));
    expect(theirs.status).toBe(201);
    const mine = await t.distributor.get(`${DISTRIBUTOR}/products/${product.id}/campaigns/`);
    expect(mine.body.results.map((c: { id: string }) => c.id)).toEqual([campaign.id]);
    expect((await t.distributor.get(`${DISTRIBUTOR}/products/${product.id}/campaigns/${theirs.body.id}/`)).status).toBe(
      404,
    );
    expect(
      (await other.distributor.get(`${DISTRIBUTOR}/products/${product.id}/campaigns/${campaign.id}/`)).status,
    ).toBe(404);
  });
});

describe('products', () => {
  it('checks the ISIN and keeps it unique', async () => {
    const bad = await t.issuer.post(`${ISSUER}/products/`, productBody({ isin: 'DE000BAY0018', asset_code: 'ISIN1' }));
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toHaveProperty('isin');
    const good = await t.issuer.post(`${ISSUER}/products/`, productBody({ isin: 'DE000BAY0017', asset_code: 'ISIN1' }));
    expect(good.status).toBe(201);
    const dup = await t.issuer.post(`${ISSUER}/products/`, productBody({ isin: 'DE000BAY0017', asset_code: 'ISIN2' }));
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('isin_taken');
  });

  it('wants the interest fields together and fixes the terms after creation', async () => {
    const res = await t.issuer.post(
      `${ISSUER}/products/`,
      productBody({ asset_code: 'INT', day_count_convention: null, interest_frequency: null }),
    );
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors).sort()).toEqual(['day_count_convention', 'interest_frequency']);
    const product = await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'FIXED' }));
    const patch = await t.issuer.patch(`${ISSUER}/products/${product.body.id}/`, { interest_rate: '9', name: 'x' });
    expect(patch.status).toBe(400);
    expect(patch.body.errors).toEqual({ interest_rate: ['cannot be changed after creation'] });
    const renamed = await t.issuer.patch(`${ISSUER}/products/${product.body.id}/`, {
      name: 'Renamed',
      status: 'CLOSED',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Renamed', status: 'CLOSED', interest_rate: '5.25', token: null });
  });

  it('never shows an issuer another issuer’s products', async () => {
    const other = await createTenant(server, 'Epsilon');
    const product = await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'MINE' }));
    expect((await other.issuer.get(`${ISSUER}/products/${product.body.id}/`)).status).toBe(404);
    expect((await other.issuer.patch(`${ISSUER}/products/${product.body.id}/`, { name: 'x' })).status).toBe(404);
    expect((await other.issuer.get(`${ISSUER}/products/${product.body.id}/campaigns/`)).status).toBe(404);
    const list = await other.issuer.get(`${ISSUER}/products/`);
    expect(list.body.results.map((p: { id: string }) => p.id)).not.toContain(product.body.id);
  });

  it('paginates oldest first with absolute links', async () => {
    const other = await createTenant(server, 'Zeta');
    for (let i = 0; i < 5; i++)
      await other.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: `P${i}`, name: `p${i}` }));
    const page = await other.issuer.get(`${ISSUER}/products/?limit=2&offset=2`);
    expect(page.status).toBe(200);
    expect(page.body.count).toBe(5);
    expect(page.body.results.map((p: { name: string }) => p.name)).toEqual(['p2', 'p3']);
    expect(page.body.next).toBe(`${server.url}${ISSUER}/products/?limit=2&offset=4`);
    expect(page.body.previous).toBe(`${server.url}${ISSUER}/products/?limit=2&offset=0`);
    const last = await other.issuer.get(page.body.next);
    expect(last.body.next).toBeNull();
    expect((await other.issuer.get(`${ISSUER}/products/?limit=501`)).status).toBe(400);
  });
});
