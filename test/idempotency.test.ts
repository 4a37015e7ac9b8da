import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, ISSUER, productBody, startTestServer, type Tenant, type TestServer } from './helpers.ts';

let server: TestServer;
let t: Tenant;
beforeAll(async () => {
  server = await startTestServer();
  t = await createTenant(server);
});
afterAll(async () => server?.close());

const countProducts = async () =>
  Number(
    (
      await server.db
        .selectFrom('products')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('idempotency (spec §3, invariant 6)', () => {
  it('replays the stored response byte for byte and creates nothing more', async () => {
    const before = await countProducts();
    const body = productBody({ asset_code: 'IDEM1' });
    const headers = { 'X-Idempotency-Key': 'create-product-1' };
    const first = await t.issuer.post(`${ISSUER}/products/`, body, { headers });
    expect(first.status).toBe(201);
    const again = await t.issuer.post(`${ISSUER}/products/`, body, { headers });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // The other header name and the path without its trailing slash are the same scope.
    const alias = await t.issuer.post(`${ISSUER}/products`, body, {
      headers: { 'Idempotency-Key': 'create-product-1' },
    });
    expect(alias.text).toBe(first.text);
    expect(await countProducts()).toBe(before + 1);
  });

  it('refuses the same key with a different body (422)', async () => {
    const headers = { 'X-Idempotency-Key': 'create-product-2' };
    expect((await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'IDEM2' }), { headers })).status).toBe(
      201,
    );
    const other = await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'IDEM3' }), { headers });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
  });

  it('keys are per client: another client may use the same key', async () => {
    const other = await createTenant(server, 'Beta');
    const headers = { 'X-Idempotency-Key': 'shared-key' };
    const a = await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'SHA' }), { headers });
    const b = await other.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'SHB' }), { headers });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.id).not.toBe(b.body.id);
  });

  it('does not store a refused request: the key can be retried after fixing the body', async () => {
    const headers = { 'X-Idempotency-Key': 'fix-and-retry' };
    const bad = await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'FIX', interest_rate: 'x' }), {
      headers,
    });
    expect(bad.status).toBe(400);
    const good = await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'FIX' }), { headers });
    expect(good.status).toBe(201);
  });

  it('creates exactly one object for 20 concurrent requests with one key', async () => {
    const before = await countProducts();
    const body = productBody({ asset_code: 'RACE' });
    const headers = { 'X-Idempotency-Key': 'race-key' };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.issuer.post(`${ISSUER}/products/`, body, { headers })),
    );
    const created = results.filter((r) => r.status === 201);
    const inUse = results.filter((r) => r.status === 409);
    expect(created.length + inUse.length).toBe(20);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.text)).size).toBe(1);
    for (const r of inUse) expect(r.body.code).toBe('idempotency_key_in_use');
    expect(await countProducts()).toBe(before + 1);
  });

  it('refuses a key longer than 255 characters', async () => {
    const res = await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'LONG' }), {
      headers: { 'X-Idempotency-Key': 'k'.repeat(256) },
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.errors)).toEqual(['header.X-Idempotency-Key']);
  });
});
