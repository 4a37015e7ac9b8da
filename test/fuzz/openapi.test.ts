/**
 * Property-based fuzzing of every endpoint of the OpenAPI description (fast-check): random and
 * malformed bodies, path and query parameters and headers never produce a 5xx, every success
 * matches its documented schema, and every refusal is RFC 9457 problem+json with its status.
 * FUZZ_RUNS (default 12) sets the requests per operation; a failure prints fast-check's seed and
 * path, and FUZZ_SEED replays it.
 */
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOMAIN_FORMATS } from '../../src/http/validation.ts';
import {
  createInvestor,
  createTenant,
  DISTRIBUTOR,
  ISSUER,
  listedProduct,
  startTestServer,
  type Tenant,
  type TestServer,
  uploadPdf,
} from '../helpers.ts';

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  parameters: { name: string; in: string; schema: Schema; required?: boolean }[];
  body: Schema | null;
  responses: Record<string, Schema | null>;
}

const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

let server: TestServer;
let t: Tenant;
let spec: { paths: Record<string, Record<string, any>> };
/** Real ids of the tenant's objects: random requests reach past the "not found" checks with them. */
const ids: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  t = await createTenant(server);
  const { product, campaign } = await listedProduct(t, { asset_code: 'FUZZ' });
  const investor = await createInvestor(t.distributor, { kyc: true });
  const wallets = await t.distributor.get(`${DISTRIBUTOR}/investors/${investor}/wallets/`);
  const document = await uploadPdf(t.distributor, 'fuzz.pdf');
  const investment = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
    investor_id: investor,
    campaign_id: campaign.id,
    units: 1,
    signed_at: '2026-02-01T10:00:00Z',
  });
  const webhook = await t.distributor.post(`${DISTRIBUTOR}/webhooks/`, { url: 'https://example.com/hook' });
  ids.push(
    t.issuerId,
    t.platformId,
    product.id,
    campaign.id,
    investor,
    wallets.body.results[0].id,
    document,
    investment.body.id,
    webhook.body.id,
  );
  spec = await (await fetch(`${server.url}/api/external/openapi.json`)).json();
}, 60_000);
afterAll(async () => server?.close());

function operations(): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'patch', 'put', 'delete'].includes(method)) continue;
      const responses: Record<string, Schema | null> = {};
      for (const [status, r] of Object.entries<any>(op.responses ?? {})) {
        const content = r?.content ?? {};
        responses[status] = (content['application/json'] ?? content['application/problem+json'])?.schema ?? null;
      }
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema ?? null,
        responses,
      });
    }
  }
  return ops;
}

// ---- values from schemas: mostly the right shape, often not -----------------------------------

const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.string(),
  fc.constantFrom(
    '',
    ' ',
    '0',
    '-1',
    '1e309',
    'null',
    '\u0000',
    '💥',
    'x'.repeat(5000),
    '../../etc/passwd',
    "' or 1=1 --",
  ),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { maxKeys: 3 }),
);

const idLike = () =>
  fc.oneof(fc.constantFrom(...ids), fc.uuid(), fc.constantFrom('not-a-uuid', '00000000-0000-0000-0000-000000000000'));

function stringFor(schema: Schema): fc.Arbitrary<string> {
  switch (schema.format) {
    case 'uuid':
      return idLike();
    case 'date-time':
      return fc.oneof(
        fc
          .date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString()),
        fc.constantFrom('2026-02-30T10:00:00Z', '2026-01-01', 'yesterday'),
      );
    case 'date':
      return fc.oneof(
        fc
          .date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10)),
        fc.constantFrom('2026-02-30', '2026-13-01', '01.02.2026'),
      );
    case 'email':
      return fc.oneof(fc.emailAddress(), fc.string());
    case 'uri':
      return fc.oneof(fc.webUrl(), fc.constantFrom('http://127.0.0.1:1/', 'ftp://x', 'not a url'));
    case 'eip55-address':
      return fc.oneof(
        fc.constantFrom('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'),
        fc
          .array(fc.constantFrom(...'0123456789abcdefABCDEF'), { minLength: 40, maxLength: 40 })
          .map((h) => `0x${h.join('')}`),
      );
    case 'iban':
      return fc.constantFrom('DE89370400440532013000', 'DE89370400440532013001', 'XX00');
    case 'iso3166-alpha3':
      return fc.constantFrom('DEU', 'AUT', 'XXX', 'de');
    case 'decimal':
      return fc.oneof(fc.constantFrom('0', '2.5', '-1', '1e3', '100.000'), fc.string());
    default:
      if (schema.enum) return fc.oneof(fc.constantFrom(...schema.enum.map(String)), fc.string());
      return fc.string({ minLength: 0, maxLength: Math.min(schema.maxLength ?? 40, 300) + 2 });
  }
}

function valueFor(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return garbage;
  const right = rightShape(schema, depth);
  return fc.oneof({ weight: 4, arbitrary: right }, { weight: 1, arbitrary: garbage });
}

function rightShape(schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return fc.oneof(...variants.map((s: Schema) => valueFor(s, depth + 1)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.oneof(fc.constantFrom(...schema.enum), fc.string());
  switch (schema.type) {
    case 'object': {
      const props: Record<string, Schema> = schema.properties ?? {};
      const required = new Set<string>(schema.required ?? []);
      const entries = Object.entries(props).map(([k, s]) => [k, valueFor(s, depth + 1)] as const);
      return fc
        .tuple(
          fc.record(Object.fromEntries(entries), {
            requiredKeys: Object.keys(props).filter((k) => required.has(k)),
          }),
          fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), garbage, { maxKeys: 2 }), { freq: 5 }),
        )
        .map(([known, extra]) => ({ ...(extra ?? {}), ...known }));
    }
    case 'array':
      return fc.array(valueFor(schema.items, depth + 1), { maxLength: 4 });
    case 'integer':
      return fc.oneof(
        fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 10_000, 10_000) }),
        fc.constantFrom(0, -1, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1.5),
      );
    case 'number':
      return fc.double();
    case 'boolean':
      return fc.boolean();
    case 'string':
      return stringFor(schema);
    default:
      return garbage;
  }
}

/** A generated value as text for a URL (objects without a prototype cannot go through String()). */
const asText = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined'));

interface FuzzRequest {
  path: string;
  query: string;
  body: string | undefined;
  contentType: string | null;
  idempotencyKey: string | null;
  auth: 'own' | 'none' | 'bogus';
}

function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const path = fc
    .tuple(
      ...pathParams.map((p) =>
        fc.oneof({ weight: 5, arbitrary: stringFor(p.schema) }, { weight: 1, arbitrary: fc.string() }),
      ),
    )
    .map((values) =>
      pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, encodeURIComponent(String(values[i]))), op.path),
    );
  const query = fc
    .tuple(...queryParams.map((p) => fc.option(valueFor(p.schema).map(asText), { freq: 2 })))
    .map((values) => {
      const q = new URLSearchParams();
      queryParams.forEach((p, i) => {
        if (values[i] !== null) q.set(p.name, values[i] as string);
      });
      return q.toString();
    });
  const body = ['POST', 'PATCH', 'PUT'].includes(op.method)
    ? fc.oneof(
        { weight: 6, arbitrary: valueFor(op.body ?? undefined).map((v) => JSON.stringify(v)) },
        { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', '[]', 'null', '"x"', '', '{"__proto__":{"x":1}}') },
        { weight: 1, arbitrary: fc.constant(undefined) },
      )
    : fc.constant(undefined);
  return fc.record({
    path,
    query,
    body,
    contentType: fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'text/plain',
          'application/xml',
          'application/json; charset=latin1',
          'multipart/form-data',
        ),
      },
      { weight: 1, arbitrary: fc.constant(null) },
    ),
    idempotencyKey: fc.option(fc.oneof(fc.string(), fc.uuid(), fc.constant('k'.repeat(400))), { freq: 3 }),
    auth: fc.constantFrom<'own' | 'none' | 'bogus'>('own', 'own', 'own', 'own', 'none', 'bogus'),
  });
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
for (const [name, f] of Object.entries(DOMAIN_FORMATS)) ajv.addFormat(name, f.validate);
const validators = new Map<Schema, ReturnType<typeof ajv.compile>>();
function validatorOf(schema: Schema) {
  let v = validators.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}

function tokenFor(path: string): string | undefined {
  if (path.endsWith('/oauth/token')) return undefined;
  if (path.startsWith(ISSUER)) return t.issuer.token;
  return t.distributor.token;
}

describe('every endpoint of the OpenAPI description, fuzzed', () => {
  it('never answers 5xx, and answers as documented', async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(50);
    const failures: string[] = [];
    for (const op of ops) {
      const result = await fc.check(
        fc.asyncProperty(requestFor(op), async (r) => {
          const headers: Record<string, string> = {};
          if (r.contentType && r.body !== undefined) headers['content-type'] = r.contentType;
          if (r.idempotencyKey !== null) headers['x-idempotency-key'] = r.idempotencyKey;
          const token = tokenFor(op.path);
          if (r.auth === 'own' && token) headers.authorization = `Bearer ${token}`;
          if (r.auth === 'bogus') headers.authorization = 'Bearer eyJhbGciOiJub25lIn0.e30.';
          const url = `${server.url}${r.path}${r.query ? `?${r.query}` : ''}`;
          let response: Response;
          try {
            response = await fetch(url, { method: op.method, headers, body: r.body, redirect: 'manual' });
          } catch (error) {
            // A URL the client itself refuses to send (e.g. a NUL in the path) never reached the server.
            if (error instanceof TypeError) return;
            throw error;
          }
          const text = await response.text();
          const where = `${op.method} ${r.path}?${r.query} → ${response.status} ${text.slice(0, 300)}`;
          expect(response.status, where).toBeLessThan(500);
          const type = response.headers.get('content-type') ?? '';
          // A path segment `.` or `..` is resolved by the URL parser before it is sent: another route answered.
          if (new URL(url).pathname !== r.path) return;
          if (response.status >= 400) {
            // Every refusal is documented for its operation and matches the documented body: RFC 9457
            // problem+json, or RFC 6749 §5.2's JSON at the token endpoint.
            const schema = op.responses[String(response.status)] ?? op.responses[`${String(response.status)[0]}XX`];
            expect(schema, `${where}\nno documented response for ${response.status}`).toBeTruthy();
            const body = JSON.parse(text);
            const validate = validatorOf(schema!);
            expect(validate(body), `${where}\n${JSON.stringify(validate.errors)}`).toBe(true);
            if (op.path.endsWith('/oauth/token')) return;
            expect(type, where).toContain('application/problem+json');
            expect(body.status, where).toBe(response.status);
            return;
          }
          const schema = op.responses[String(response.status)];
          if (schema && type.includes('json')) {
            const validate = validatorOf(schema);
            expect(validate(JSON.parse(text)), `${where}\n${JSON.stringify(validate.errors)}`).toBe(true);
          }
        }),
        { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
      );
      if (result.failed) {
        const reason = String((result.errorInstance as Error | undefined)?.message ?? result.errorInstance).split(
          '\n',
        )[0];
        failures.push(`${op.method} ${op.path} (FUZZ_SEED=${result.seed}): ${reason}`);
      }
    }
    // Every failing operation at once, each with the seed that replays it.
    expect(failures).toEqual([]);
  }, 600_000);
});
