/** Invariant 7: a client sees only its own principal's objects (404 otherwise), and only its surface. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTenant,
  DISTRIBUTOR,
  ISSUER,
  identify,
  investorWithWallet,
  listedProduct,
  startTestServer,
  type Tenant,
  type TestServer,
} from './helpers.ts';

let server: TestServer;
let a: Tenant;
let b: Tenant;
let ids: { product: string; campaign: string; investor: string; wallet: string; identification: string };

beforeAll(async () => {
  server = await startTestServer();
  a = await createTenant(server, 'A');
  b = await createTenant(server, 'B');
  const { product, campaign } = await listedProduct(a, { asset_code: 'ISO' });
  const { investorId, walletId } = await investorWithWallet(a.distributor, {
    address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    person: { forename: 'Max', surname: 'Mustermann' },
  });
  const identification = await identify(a.distributor, investorId, {
    document_type: 'PASSPORT',
    document_id: 'C01X00T47',
    document_valid_to: '2034-01-01',
    verified_at: '2026-01-02T10:00:00Z',
  });
  ids = {
    product: product.id,
    campaign: campaign.id,
    investor: investorId,
    wallet: walletId,
    identification: identification.body.id,
  };
});
afterAll(async () => server?.close());

describe('tenant isolation', () => {
  it("gives another platform 404 for this platform's investors, wallets and products", async () => {
    const paths = [
      `${DISTRIBUTOR}/investors/${ids.investor}/`,
      `${DISTRIBUTOR}/investors/${ids.investor}/identifications/`,
      `${DISTRIBUTOR}/investors/${ids.investor}/benefiting-persons/`,
      `${DISTRIBUTOR}/investors/${ids.investor}/wallets/`,
      `${DISTRIBUTOR}/investors/${ids.investor}/wallets/${ids.wallet}/`,
      `${DISTRIBUTOR}/products/${ids.product}/`,
      `${DISTRIBUTOR}/products/${ids.product}/campaigns/`,
      `${DISTRIBUTOR}/products/${ids.product}/campaigns/${ids.campaign}/`,
    ];
    for (const path of paths) {
      expect((await a.distributor.get(path)).status, path).toBe(200);
      const res = await b.distributor.get(path);
      expect(res.status, path).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    const writes = [
      b.distributor.patch(`${DISTRIBUTOR}/investors/${ids.investor}/`, { is_beneficiary: true }),
      b.distributor.patch(`${DISTRIBUTOR}/investors/${ids.investor}/wallets/${ids.wallet}/`, {
        receiving_enabled: false,
      }),
      b.distributor.post(`${DISTRIBUTOR}/investors/${ids.investor}/identifications/`, {
        document_type: 'PASSPORT',
        document_id: 'X',
        document_valid_to: '2034-01-01',
        verified_at: '2026-01-02T10:00:00Z',
      }),
      b.distributor.post(`${DISTRIBUTOR}/investors/${ids.investor}/wallets/eth-managed/`, {}),
    ];
    for (const res of await Promise.all(writes)) expect(res.status, res.text).toBe(404);
    const list = await b.distributor.get(`${DISTRIBUTOR}/investors/`);
    expect(list.body.results.map((i: { id: string }) => i.id)).not.toContain(ids.investor);
    expect((await b.distributor.get(`${DISTRIBUTOR}/products/`)).body.count).toBe(0);
  });

  it("never shows an issuer another issuer's objects", async () => {
    for (const path of [
      `${ISSUER}/products/${ids.product}/`,
      `${ISSUER}/products/${ids.product}/campaigns/`,
      `${ISSUER}/products/${ids.product}/campaigns/${ids.campaign}/`,
      `${ISSUER}/issuers/${a.issuerId}/`,
    ]) {
      expect((await a.issuer.get(path)).status, path).toBe(200);
      expect((await b.issuer.get(path)).status, path).toBe(404);
    }
    expect((await b.issuer.get(`${ISSUER}/products/`)).body.count).toBe(0);
    expect((await b.issuer.get(`${ISSUER}/issuers/`)).body.results.map((i: { id: string }) => i.id)).toEqual([
      b.issuerId,
    ]);
    expect((await b.issuer.get(`${ISSUER}/listings/`)).body.count).toBe(0);
  });

  it('refuses a token on the wrong surface with 403', async () => {
    for (const path of [`${ISSUER}/products/`, `${ISSUER}/issuers/`, `${ISSUER}/products/${ids.product}/`]) {
      const res = await a.distributor.get(path);
      expect(res.status, path).toBe(403);
      expect(res.body.code).toBe('wrong_surface');
    }
    for (const path of [
      `${DISTRIBUTOR}/investors/`,
      `${DISTRIBUTOR}/products/`,
      `${DISTRIBUTOR}/investors/${ids.investor}/`,
    ]) {
      expect((await a.issuer.get(path)).status, path).toBe(403);
    }
  });
});
