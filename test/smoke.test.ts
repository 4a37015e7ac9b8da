import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, DISTRIBUTOR, ISSUER, listedProduct, startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

describe('smoke', () => {
  it('creates a product and campaign and the distributor sees them', async () => {
    const t = await createTenant(server);
    const { product, campaign } = await listedProduct(t);
    const list = await t.distributor.get(`${DISTRIBUTOR}/products/`);
    expect(list.status).toBe(200);
    expect(list.body.results.map((p: { id: string }) => p.id)).toEqual([product.id]);
    const c = await t.distributor.get(`${DISTRIBUTOR}/products/${product.id}/campaigns/${campaign.id}`);
    expect(c.status).toBe(200);
    expect(c.body.price_per_token).toEqual({ amount: '100', decimals: 2, currency: 'EUR' });
    const own = await t.issuer.get(`${ISSUER}/issuers/`);
    expect(own.body.count).toBe(1);
  });
});
