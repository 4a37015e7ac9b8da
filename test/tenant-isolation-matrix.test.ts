/**
 * Invariant 7 as a matrix over the OpenAPI description: for every operation whose path names an
 * object, tenant A's object is 404 for tenant B (same surface, a body that passes the schema, so
 * the refusal is about the object), and A's own principal on the other surface gets 403. A's own
 * reads of the same paths succeed, so every id in the matrix is real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Api,
  createInvestor,
  createTenant,
  DISTRIBUTOR,
  deliver,
  deployedToken,
  ISSUER,
  listedProduct,
  newAddress,
  paidInvestment,
  startWorkingServer,
  type Tenant,
  uploadPdf,
  type WorkingServer,
} from './helpers.ts';
import { waitFor } from './webhook-receiver.ts';

type Schema = Record<string, any>;
let server: WorkingServer;
let a: Tenant;
let b: Tenant;
/** A's object per path segment before a parameter (the resource the parameter names). */
const ofA: Record<string, string> = {};
let spec: { paths: Record<string, Record<string, any>> };

beforeAll(async () => {
  server = await startWorkingServer({ ledgerPollMs: 200 });
  a = await createTenant(server, 'A');
  b = await createTenant(server, 'B');
  const { product, campaign } = await listedProduct(a, { asset_code: 'MTRX' });
  await deployedToken(a, product.id);
  const paid = await paidInvestment(a.distributor, campaign.id, { units: 3 });
  const credit = await deliver(a.distributor, paid.investmentId);
  const receiver = newAddress();
  await createInvestor(a.distributor, { address: receiver, kyc: true });
  const transfer = await a.distributor.post(`${DISTRIBUTOR}/transfers/`, {
    product: product.id,
    source_wallet: paid.walletId,
    target_address: receiver,
    amount: 1,
  });
  expect(transfer.status, transfer.text).toBe(202);
  const webhook = await a.distributor.post(`${DISTRIBUTOR}/webhooks/`, { url: 'http://127.0.0.1:9/hook' });
  const issuerWebhook = await a.issuer.post(`${ISSUER}/webhooks/`, { url: 'http://127.0.0.1:9/hook' });
  const statements = await a.distributor.get(`${DISTRIBUTOR}/investments/${paid.investmentId}/registry-statements/`);
  const listings = await a.issuer.get(`${ISSUER}/listings/`);
  Object.assign(ofA, {
    issuers: a.issuerId,
    products: product.id,
    campaigns: campaign.id,
    listings: listings.body.results[0].id,
    investors: paid.investorId,
    wallets: paid.walletId,
    investments: paid.investmentId,
    'registry-statements': statements.body.results[0].id,
    credits: credit.id,
    transfers: transfer.body.id,
    documents: await uploadPdf(a.distributor, 'matrix.pdf'),
    'issuer-documents': await uploadPdf(a.issuer, 'matrix.pdf', ISSUER),
    // The webhook of the surface being called; see objectFor.
    webhooks: webhook.body.id,
    'issuer-webhooks': issuerWebhook.body.id,
  });
  // A delivery of A's platform webhook (the target refuses; the delivery exists once fanned out).
  const deliveries = async () =>
    (await a.distributor.get(`${DISTRIBUTOR}/webhooks/${webhook.body.id}/deliveries/`)).body;
  await waitFor(async () => (await deliveries()).count > 0, 30_000, 'a webhook delivery');
  ofA.deliveries = (await deliveries()).results[0].id;
  spec = await (await fetch(`${server.kontor.apiUrl}/api/external/openapi.json`)).json();
}, 120_000);
afterAll(async () => server?.close());

/** The platforms' directory is shared by design (issuers choose platforms from it): not tenant data. */
const SHARED = ['distribution-platforms'];

function objectFor(path: string, param: string): string | undefined {
  const segments = path.split('/');
  const index = segments.indexOf(`{${param}}`);
  const resource = segments[index - 1]!;
  // Webhooks and documents belong to a principal: the issuer's on the issuer API.
  if (path.startsWith(ISSUER) && (resource === 'webhooks' || resource === 'documents'))
    return ofA[`issuer-${resource}`];
  return ofA[resource];
}

/** The smallest body the schema accepts, so that a refusal is about the object, not the body. */
function minimal(schema: Schema | undefined): unknown {
  if (!schema) return undefined;
  if (schema.anyOf) return minimal(schema.anyOf.find((s: Schema) => s.type !== 'null') ?? schema.anyOf[0]);
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case 'object':
      return Object.fromEntries((schema.required ?? []).map((k: string) => [k, minimal(schema.properties?.[k])]));
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'string':
      if (schema.pattern && !schema.format) {
        const fits = ['1', 'EUR', 'MR', 'x'].find((candidate) => new RegExp(schema.pattern).test(candidate));
        if (fits) return fits;
      }
      return (
        (
          {
            uuid: '00000000-0000-7000-8000-000000000000',
            'date-time': '2026-01-01T00:00:00Z',
            date: '2026-01-01',
            email: 'a@example.org',
            uri: 'https://example.org/',
            'eip55-address': '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
            iban: 'DE89370400440532013000',
            'iso3166-alpha3': 'DEU',
            decimal: '1',
          } as Record<string, string>
        )[schema.format] ?? 'x'.repeat(Math.max(1, schema.minLength ?? 1))
      );
    default:
      return null;
  }
}

interface Case {
  method: string;
  path: string;
  url: string;
  body: unknown;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    if (params.length === 0 || SHARED.some((s) => path.includes(`/${s}/`))) continue;
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'patch', 'put', 'delete'].includes(method)) continue;
      let url = path;
      let complete = true;
      for (const param of params) {
        const id = objectFor(path, param);
        if (!id) complete = false;
        else url = url.replace(`{${param}}`, id);
      }
      expect(complete, `no object of A for ${method} ${path}`).toBe(true);
      out.push({
        method: method.toUpperCase(),
        path,
        url,
        body:
          method === 'get' || method === 'delete'
            ? undefined
            : (minimal(op.requestBody?.content?.['application/json']?.schema) ?? {}),
      });
    }
  }
  return out;
}

function call(api: Api, c: Case, url = c.url) {
  return api.request(c.method, url, c.body === undefined ? {} : { body: c.body });
}

describe('the tenant isolation matrix', () => {
  it("gives every other principal 404 for A's objects on every endpoint, and 403 on the wrong surface", async () => {
    const all = cases();
    expect(all.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const c of all) {
      const issuerSurface = c.path.startsWith(ISSUER);
      const mine = issuerSurface ? a.issuer : a.distributor;
      const theirs = issuerSurface ? b.issuer : b.distributor;
      const res = await call(theirs, c);
      if (res.status !== 404) failures.push(`${c.method} ${c.path}: B got ${res.status} ${res.text.slice(0, 160)}`);
      // A's client of the other surface, on this surface's path.
      const wrong = await call(issuerSurface ? a.distributor : a.issuer, c);
      if (wrong.status !== 403) failures.push(`${c.method} ${c.path}: the other surface got ${wrong.status}`);
      // Reads prove the id is A's and real (writes would change what the later cases read).
      if (c.method === 'GET') {
        const own = await call(mine, c);
        if (own.status !== 200)
          failures.push(`${c.method} ${c.path}: A itself got ${own.status} ${own.text.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
