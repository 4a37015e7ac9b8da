import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, setAllowance } from '../src/parties/service.ts';
import { createTenant, getToken, ISSUER, startTestServer, type Tenant, type TestServer } from './helpers.ts';

let server: TestServer;
let a: Tenant;
let b: Tenant;
beforeAll(async () => {
  server = await startTestServer();
  a = await createTenant(server, 'A');
  b = await createTenant(server, 'B');
});
afterAll(async () => server?.close());

describe('distribution platforms (issuer API)', () => {
  it("lists every platform with this issuer's allowance", async () => {
    const list = await a.issuer.get(`${ISSUER}/distribution-platforms/`);
    expect(list.status, list.text).toBe(200);
    expect(list.body.count).toBe(2);
    const byId = Object.fromEntries(list.body.results.map((p: { id: string; is_allowed: boolean }) => [p.id, p]));
    expect(byId[a.platformId]).toMatchObject({ is_allowed: true, platform_company_name: 'A Platform GmbH' });
    expect(byId[b.platformId]).toMatchObject({ is_allowed: false });
    await server.db.transaction().execute((trx) => setAllowance(trx, a.issuerId, a.platformId, false));
    const one = await a.issuer.get(`${ISSUER}/distribution-platforms/${a.platformId}/`);
    expect(one.body.is_allowed).toBe(false);
    await server.db.transaction().execute((trx) => setAllowance(trx, a.issuerId, a.platformId, true));
    expect((await a.issuer.get(`${ISSUER}/distribution-platforms/${a.platformId}/`)).body.is_allowed).toBe(true);
    expect((await a.issuer.get(`${ISSUER}/distribution-platforms/00000000-0000-7000-8000-000000000000/`)).status).toBe(
      404,
    );
  });

  it('gives the registrar null for is_allowed', async () => {
    const registrar = await server.db
      .transaction()
      .execute((trx) => createApiClient(trx, { name: 'ops', principal: 'registrar' }));
    const token = await getToken(server.api, registrar.client_id, registrar.client_secret);
    const list = await server.api.get(`${ISSUER}/distribution-platforms/?limit=1`, { token });
    expect(list.body.count).toBe(2);
    expect(list.body.results).toHaveLength(1);
    expect(list.body.results[0].is_allowed).toBeNull();
    expect(list.body.next).toContain('offset=1');
  });
});

describe('issuers', () => {
  it('reads and updates its own issuer, replacing the blocks it names', async () => {
    const res = await a.issuer.patch(`${ISSUER}/issuers/${a.issuerId}/`, {
      bank_account: { account_holder: 'A Issuer GmbH', iban: 'de89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.bank_account.iban).toBe('DE89370400440532013000');
    expect(res.body.legal_person.company_name).toBe('A Issuer GmbH');
    const cleared = await a.issuer.patch(`${ISSUER}/issuers/${a.issuerId}/`, { legal_person: null });
    expect(cleared.status).toBe(400);
    expect(cleared.body.errors).toHaveProperty('legal_person');
    expect((await b.issuer.patch(`${ISSUER}/issuers/${a.issuerId}/`, { bank_account: null })).status).toBe(404);
  });
});
