import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, ISSUER, productBody, startTestServer, type Tenant, type TestServer } from './helpers.ts';

let server: TestServer;
let t: Tenant;
beforeAll(async () => {
  server = await startTestServer();
  t = await createTenant(server);
});
afterAll(async () => server?.close());

describe('HTTP conventions', () => {
  it('serves OpenAPI 3.1 generated from the route schemas', async () => {
    const res = await server.api.get('/api/external/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = Object.keys(res.body.paths);
    for (const path of [
      '/api/external/oauth/token',
      '/api/external/issuer/v2/issuers/',
      '/api/external/issuer/v2/distribution-platforms/',
      '/api/external/issuer/v2/products/',
      '/api/external/issuer/v2/products/{id}/',
      '/api/external/issuer/v2/listings/',
      '/api/external/issuer/v2/products/{product_id}/campaigns/',
      '/api/external/issuer/v2/products/{product_id}/campaigns/{id}/',
      '/api/external/distributor/v2/products/',
      '/api/external/distributor/v2/products/{product_id}/campaigns/{id}/',
      '/api/external/distributor/v2/investors/',
      '/api/external/distributor/v2/documents/',
      '/api/external/distributor/v2/investments/',
      '/api/external/distributor/v2/investments/{id}/',
      '/api/external/distributor/v2/investments/{id}/signed-documents/',
      '/api/external/distributor/v2/investments/{id}/cancellation/',
      '/api/external/distributor/v2/products/{product_id}/campaigns/{id}/funding-information/',
      '/api/external/issuer/v2/investments/',
      '/api/external/issuer/v2/investments/{id}/cancellation/',
      '/api/external/v2/investments/',
      '/api/external/v2/investments/{id}/',
    ]) {
      expect(paths, path).toContain(path);
    }
    const create = res.body.paths['/api/external/issuer/v2/products/{product_id}/campaigns/'].post;
    expect(create.requestBody.content['application/json'].schema.required).toContain('allocation');
    // Every operation documents its refusals and failures: problem+json, or RFC 6749's JSON at
    // the token endpoint.
    let operations = 0;
    for (const [path, item] of Object.entries<Record<string, any>>(res.body.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        operations += 1;
        const media = path.endsWith('/oauth/token') ? 'application/json' : 'application/problem+json';
        for (const range of ['4XX', '5XX']) {
          const schema = op.responses?.[range]?.content?.[media]?.schema;
          expect(schema?.required, `${method} ${path} ${range}`).toEqual(
            media === 'application/json'
              ? ['error', 'error_description']
              : ['type', 'title', 'status', 'detail', 'code'],
          );
        }
      }
    }
    expect(operations).toBeGreaterThan(50);
  });

  it('serves the API reference page', async () => {
    const redirect = await server.api.get('/docs');
    expect([200, 301, 302]).toContain(redirect.status);
    const res = await server.api.get('/docs/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain('/api/external/openapi.json');
    // The reference's script is served by Kontor itself, not by a CDN.
    const script = res.text.match(/<script[^>]+src="([^"]+)"/)?.[1];
    expect(script).toBeTruthy();
    expect(script!.startsWith('http')).toBe(false);
    const js = await server.api.get(new URL(script!, `${server.url}/docs/`).pathname);
    expect(js.status).toBe(200);
  });

  it('answers health and readiness', async () => {
    expect((await server.api.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await server.api.get('/readyz')).body).toEqual({ status: 'ready' });
  });

  it('answers paths without the trailing slash the same', async () => {
    const product = await t.issuer.post(`${ISSUER}/products`, productBody({ asset_code: 'SLASH' }));
    expect(product.status).toBe(201);
    const a = await t.issuer.get(`${ISSUER}/products/${product.body.id}/`);
    const b = await t.issuer.get(`${ISSUER}/products/${product.body.id}`);
    expect(b.status).toBe(200);
    expect(b.text).toBe(a.text);
  });

  it('echoes a request id, or makes one', async () => {
    const own = await t.issuer.get(`${ISSUER}/products/`, { headers: { 'x-request-id': 'req-123' } });
    expect(own.headers.get('x-request-id')).toBe('req-123');
    const made = await t.issuer.get(`${ISSUER}/products/`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes and ids with problem+json 404', async () => {
    const route = await t.issuer.get('/api/external/issuer/v2/nothing/');
    expect(route.status).toBe(404);
    expect(route.headers.get('content-type')).toContain('application/problem+json');
    expect(route.body).toMatchObject({ status: 404, code: 'not_found', type: 'urn:kontor:problem:not_found' });
    expect((await t.issuer.get(`${ISSUER}/products/not-a-uuid/`)).status).toBe(404);
    expect((await t.issuer.get(`${ISSUER}/products/00000000-0000-7000-8000-000000000000/`)).status).toBe(404);
  });

  it('emits timestamps in UTC with Z and ids as UUIDv7', async () => {
    const product = await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'TIME' }));
    expect(product.body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(product.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
