import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../src/parties/service.ts';
import {
  createTenant,
  DISTRIBUTOR,
  getToken,
  ISSUER,
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

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

async function tokenRequest(path: string, body: string, headers: Record<string, string>) {
  return server.api.request('POST', path, { raw: body, headers, token: null });
}

describe('OAuth 2.0 client credentials (spec §2)', () => {
  it.each(['/api/external/oauth/token', '/api/external/issuer/oauth/token', '/api/external/distributor/oauth/token'])(
    'issues a token with a form body at %s',
    async (path) => {
      const res = await tokenRequest(
        path,
        form({
          grant_type: 'client_credentials',
          client_id: t.issuerClient.client_id,
          client_secret: t.issuerClient.client_secret,
        }),
        { 'content-type': 'application/x-www-form-urlencoded' },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
      expect(res.body.scope.split(' ')).toContain('products:write');
      const products = await server.api.get(`${ISSUER}/products/`, { token: res.body.access_token });
      expect(products.status).toBe(200);
    },
  );

  it('accepts a JSON body and HTTP Basic client authentication', async () => {
    const json = await server.api.post(
      '/api/external/oauth/token',
      {
        grant_type: 'client_credentials',
        client_id: t.distributorClient.client_id,
        client_secret: t.distributorClient.client_secret,
      },
      { token: null },
    );
    expect(json.status).toBe(200);
    const basic = Buffer.from(`${t.distributorClient.client_id}:${t.distributorClient.client_secret}`).toString(
      'base64',
    );
    const res = await tokenRequest('/api/external/oauth/token', form({ grant_type: 'client_credentials' }), {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${basic}`,
    });
    expect(res.status).toBe(200);
    expect(res.body.access_token).toBeTruthy();
  });

  it('answers RFC 6749 §5.2 errors', async () => {
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const wrongSecret = await tokenRequest(
      '/api/external/oauth/token',
      form({ grant_type: 'client_credentials', client_id: t.issuerClient.client_id, client_secret: 'nope' }),
      headers,
    );
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error).toBe('invalid_client');
    expect(wrongSecret.headers.get('www-authenticate')).toContain('Basic');

    const unknown = await tokenRequest(
      '/api/external/oauth/token',
      form({ grant_type: 'client_credentials', client_id: 'kc_unknown', client_secret: 'x' }),
      headers,
    );
    expect(unknown.body.error).toBe('invalid_client');

    const grant = await tokenRequest('/api/external/oauth/token', form({ grant_type: 'password' }), headers);
    expect(grant.status).toBe(400);
    expect(grant.body.error).toBe('unsupported_grant_type');

    const missing = await tokenRequest('/api/external/oauth/token', form({ client_id: 'x' }), headers);
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');

    const scope = await tokenRequest(
      '/api/external/oauth/token',
      form({
        grant_type: 'client_credentials',
        client_id: t.distributorClient.client_id,
        client_secret: t.distributorClient.client_secret,
        scope: 'investors:read issuers:write',
      }),
      headers,
    );
    expect(scope.status).toBe(400);
    expect(scope.body.error).toBe('invalid_scope');
  });

  it('grants a narrower scope and enforces scopes per route', async () => {
    const token = await getToken(server.api, t.issuerClient.client_id, t.issuerClient.client_secret, 'products:read');
    const api = server.api.withToken(token);
    expect((await api.get(`${ISSUER}/products/`)).status).toBe(200);
    const write = await api.post(`${ISSUER}/products/`, { name: 'x' });
    expect(write.status).toBe(403);
    expect(write.headers.get('content-type')).toContain('application/problem+json');
    expect(write.body.code).toBe('insufficient_scope');
  });

  it('refuses missing, forged and wrong-surface tokens', async () => {
    const none = await server.api.get(`${ISSUER}/products/`);
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('unauthenticated');
    const forged = await server.api.get(`${ISSUER}/products/`, { token: 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl' });
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe('invalid_token');
    expect((await t.distributor.get(`${ISSUER}/products/`)).status).toBe(403);
    expect((await t.issuer.get(`${DISTRIBUTOR}/products/`)).status).toBe(403);
    const registrar = await server.db
      .transaction()
      .execute((trx) => createApiClient(trx, { name: 'ops', principal: 'registrar' }));
    const registrarToken = await getToken(server.api, registrar.client_id, registrar.client_secret);
    expect((await server.api.get(`${DISTRIBUTOR}/products/`, { token: registrarToken })).status).toBe(403);
    expect((await server.api.get(`${ISSUER}/issuers/`, { token: registrarToken })).status).toBe(200);
  });

  it('lets only the registrar create issuers', async () => {
    const body = { legal_person: { company_name: 'New Issuer AG' } };
    const byIssuer = await t.issuer.post(`${ISSUER}/issuers/`, body);
    expect(byIssuer.status).toBe(403);
    expect(byIssuer.body.code).toBe('registrar_only');
    const registrar = await server.db
      .transaction()
      .execute((trx) => createApiClient(trx, { name: 'ops', principal: 'registrar' }));
    const api = server.api.withToken(await getToken(server.api, registrar.client_id, registrar.client_secret));
    const created = await api.post(`${ISSUER}/issuers/`, body);
    expect(created.status).toBe(201);
    expect(created.body.legal_person.company_name).toBe('New Issuer AG');
    // The issuer client does not see the new issuer.
    expect((await t.issuer.get(`${ISSUER}/issuers/${created.body.id}/`)).status).toBe(404);
  });
});

describe('access tokens verified once per process', () => {
  it('still refuses a token once it has expired, however often it was accepted before', async () => {
    const { SignJWT } = await import('jose');
    const { tokenSigningKey } = await import('../src/http/auth.ts');
    const me = await t.distributor.get(`${DISTRIBUTOR}/investors/`);
    expect(me.status).toBe(200);
    const exp = Math.floor(Date.now() / 1000) + 2;
    // The same claims a token from the token endpoint carries, expiring in about two seconds.
    const real = JSON.parse(Buffer.from(t.distributor.token!.split('.')[1]!, 'base64url').toString());
    const short = await new SignJWT({ scope: real.scope, ptype: real.ptype, pid: real.pid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('kontor')
      .setSubject(real.sub)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(await tokenSigningKey(server.db));
    const get = () =>
      server.api.request('GET', `${DISTRIBUTOR}/investors/`, { token: short }) as Promise<{
        status: number;
        body: { code?: string };
      }>;
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 50));
    const late = await get();
    expect(late.status).toBe(401);
    expect(late.body.code).toBe('invalid_token');
  });
});
