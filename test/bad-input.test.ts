/**
 * A table of bad inputs: each gets its 4xx problem+json naming the field, none a 5xx, and none
 * leaves anything behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  campaignBody,
  createTenant,
  DISTRIBUTOR,
  ISSUER,
  productBody,
  startTestServer,
  type Tenant,
  type TestServer,
} from './helpers.ts';

let server: TestServer;
let t: Tenant;
let productId: string;
let investorId: string;
let campaignId: string;

const person = { forename: 'Erika', surname: 'Mustermann', birth_date: '1980-01-31', citizenship: 'DEU' };
const GOOD_ADDRESS = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';

beforeAll(async () => {
  server = await startTestServer({ bodyLimitBytes: 64 * 1024 });
  t = await createTenant(server);
  const product = await t.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'BAD' }));
  productId = product.body.id;
  await t.issuer.post(`${ISSUER}/listings/`, { product_id: productId, distribution_platform_id: t.platformId });
  const campaign = await t.issuer.post(`${ISSUER}/products/${productId}/campaigns/`, campaignBody(t.platformId));
  campaignId = campaign.body.id;
  const investor = await t.distributor.post(`${DISTRIBUTOR}/investors/`, { natural_person: person });
  expect(investor.status, investor.text).toBe(201);
  investorId = investor.body.id;
});
afterAll(async () => server?.close());

type Case = {
  name: string;
  api: 'issuer' | 'distributor';
  method: 'POST' | 'PATCH' | 'GET';
  path: () => string;
  body?: () => unknown;
  raw?: string;
  contentType?: string;
  status: number;
  code: string;
  field?: string;
};

const campaigns = () => `${ISSUER}/products/${productId}/campaigns/`;
const campaign = (o: Record<string, unknown>) => () => campaignBody(t.platformId, o);
const product = (o: Record<string, unknown>) => () => productBody({ asset_code: 'BADX', ...o });
const withoutKey = (body: Record<string, unknown>, key: string) => {
  const { [key]: _, ...rest } = body;
  return rest;
};

const investment = (o: Record<string, unknown>) => () => ({
  investor_id: investorId,
  campaign_id: campaignId,
  units: 5,
  signed_at: '2026-01-01T10:00:00Z',
  ...o,
});
const investments = () => `${DISTRIBUTOR}/investments/`;

const cases: Case[] = [
  {
    name: 'investment: fractional units',
    api: 'distributor',
    method: 'POST',
    path: investments,
    body: investment({ units: 2.5 }),
    status: 400,
    code: 'validation_error',
    field: 'units',
  },
  {
    name: 'investment: units as a string',
    api: 'distributor',
    method: 'POST',
    path: investments,
    body: investment({ units: '5' }),
    status: 400,
    code: 'validation_error',
    field: 'units',
  },
  {
    name: 'investment: negative units',
    api: 'distributor',
    method: 'POST',
    path: investments,
    body: investment({ units: -1 }),
    status: 400,
    code: 'validation_error',
    field: 'units',
  },
  {
    name: 'investment: disagio with a float amount',
    api: 'distributor',
    method: 'POST',
    path: investments,
    body: investment({ disagio: { amount: 1.5, decimals: 2, currency: 'EUR' } }),
    status: 400,
    code: 'validation_error',
    field: 'disagio.amount',
  },
  {
    name: 'investment: timestamp without offset',
    api: 'distributor',
    method: 'POST',
    path: investments,
    body: investment({ signed_at: '2026-01-01 10:00' }),
    status: 400,
    code: 'validation_error',
    field: 'signed_at',
  },
  {
    name: 'investment: unknown signed document category',
    api: 'distributor',
    method: 'POST',
    path: investments,
    body: investment({
      signed_documents: [{ category: 'other', document_id: '00000000-0000-7000-8000-000000000000' }],
    }),
    status: 400,
    code: 'validation_error',
    field: 'signed_documents.0.category',
  },
  {
    name: 'investment: malformed investor id',
    api: 'distributor',
    method: 'POST',
    path: investments,
    body: investment({ investor_id: 'abc' }),
    status: 400,
    code: 'validation_error',
    field: 'investor_id',
  },
  {
    name: 'investment: unknown key',
    api: 'distributor',
    method: 'POST',
    path: investments,
    body: investment({ amount: 5 }),
    status: 400,
    code: 'validation_error',
    field: 'amount',
  },
  {
    name: 'investment: status filter not a status',
    api: 'distributor',
    method: 'GET',
    path: () => `${investments()}?status=DONE`,
    status: 400,
    code: 'validation_error',
    field: 'query.status',
  },
  {
    name: 'issuer cancellation: unknown reason',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/investments/00000000-0000-7000-8000-000000000000/cancellation/`,
    body: () => ({ reason: 'ABORTION', cancellation_date: '2026-01-01T10:00:00Z' }),
    status: 400,
    code: 'validation_error',
    field: 'reason',
  },
  {
    name: 'missing field',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    body: () => withoutKey(productBody(), 'name'),
    status: 400,
    code: 'validation_error',
    field: 'name',
  },
  {
    name: 'missing nested field',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ price_per_token: { amount: '100', decimals: 2 } }),
    status: 400,
    code: 'validation_error',
    field: 'price_per_token.currency',
  },
  {
    name: 'wrongly typed field',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    body: product({ max_issuable_amount: '1000' }),
    status: 400,
    code: 'validation_error',
    field: 'max_issuable_amount',
  },
  {
    name: 'wrongly typed boolean',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ is_campaign_active: 'true' }),
    status: 400,
    code: 'validation_error',
    field: 'is_campaign_active',
  },
  {
    name: 'unknown key',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ colour: 'red' }),
    status: 400,
    code: 'validation_error',
    field: 'colour',
  },
  {
    name: 'unknown nested key',
    api: 'distributor',
    method: 'POST',
    path: () => `${DISTRIBUTOR}/investors/`,
    body: () => ({ natural_person: { ...person, nickname: 'E' } }),
    status: 400,
    code: 'validation_error',
    field: 'natural_person.nickname',
  },
  {
    name: 'malformed JSON',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    raw: '{"name": "x",',
    contentType: 'application/json',
    status: 400,
    code: 'validation_error',
    field: '(body)',
  },
  {
    name: 'empty JSON body',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    raw: '',
    contentType: 'application/json',
    status: 400,
    code: 'validation_error',
    field: '(body)',
  },
  {
    name: 'JSON array instead of object',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    raw: '[]',
    contentType: 'application/json',
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'JSON null',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    raw: 'null',
    contentType: 'application/json',
    status: 400,
    code: 'validation_error',
  },
  {
    name: 'wrong content type',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    raw: 'name=x',
    contentType: 'text/plain',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'form body on a JSON route',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    raw: 'name=x',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'body over the limit',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    body: product({ name: 'x'.repeat(70 * 1024) }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'bad country',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ country: 'DE' }),
    status: 400,
    code: 'validation_error',
    field: 'country',
  },
  {
    name: 'unassigned country',
    api: 'distributor',
    method: 'POST',
    path: () => `${DISTRIBUTOR}/investors/`,
    body: () => ({ natural_person: { ...person, citizenship: 'XXX' } }),
    status: 400,
    code: 'validation_error',
    field: 'natural_person.citizenship',
  },
  {
    name: 'bad IBAN',
    api: 'distributor',
    method: 'POST',
    path: () => `${DISTRIBUTOR}/investors/`,
    body: () => ({
      natural_person: person,
      bank_account: { account_holder: 'Erika Mustermann', iban: 'DE89370400440532013001' },
    }),
    status: 400,
    code: 'validation_error',
    field: 'bank_account.iban',
  },
  {
    name: 'bad IBAN on an issuer',
    api: 'issuer',
    method: 'PATCH',
    path: () => `${ISSUER}/issuers/${t.issuerId}/`,
    body: () => ({ bank_account: { account_holder: 'x', iban: 'GB00WEST12345698765432' } }),
    status: 400,
    code: 'validation_error',
    field: 'bank_account.iban',
  },
  {
    name: 'bad ISIN',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    body: product({ isin: 'US0378331006' }),
    status: 400,
    code: 'validation_error',
    field: 'isin',
  },
  {
    name: 'bad checksum address',
    api: 'distributor',
    method: 'POST',
    path: () => `${DISTRIBUTOR}/investors/${investorId}/wallets/eth-generic/`,
    body: () => ({ address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD', receiving_enabled: true }),
    status: 400,
    code: 'validation_error',
    field: 'address',
  },
  {
    name: 'unchecksummed address on an investor',
    api: 'distributor',
    method: 'POST',
    path: () => `${DISTRIBUTOR}/investors/`,
    body: () => ({ natural_person: person, wallet_address: GOOD_ADDRESS.toLowerCase() }),
    status: 400,
    code: 'validation_error',
    field: 'wallet_address',
  },
  {
    name: 'negative units',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ allocation: -5 }),
    status: 400,
    code: 'validation_error',
    field: 'allocation',
  },
  {
    name: 'zero units',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ min_number_of_tokens: 0 }),
    status: 400,
    code: 'validation_error',
    field: 'min_number_of_tokens',
  },
  {
    name: 'fractional units',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ allocation: 1.5 }),
    status: 400,
    code: 'validation_error',
    field: 'allocation',
  },
  {
    name: 'units beyond 2^53',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    raw: JSON.stringify(productBody({ asset_code: 'BIG' })).replace(
      '"max_issuable_amount":100000',
      '"max_issuable_amount":90071992547409930',
    ),
    contentType: 'application/json',
    status: 400,
    code: 'validation_error',
    field: 'max_issuable_amount',
  },
  {
    name: 'money with float amount',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ price_per_token: { amount: 1.5, decimals: 2, currency: 'EUR' } }),
    status: 400,
    code: 'validation_error',
    field: 'price_per_token.amount',
  },
  {
    name: 'money with decimal string amount',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ price_per_token: { amount: '1.50', decimals: 2, currency: 'EUR' } }),
    status: 400,
    code: 'validation_error',
    field: 'price_per_token.amount',
  },
  {
    name: 'money finer than the minor unit',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ price_per_token: { amount: '1005', decimals: 3, currency: 'EUR' } }),
    status: 400,
    code: 'validation_error',
    field: 'price_per_token',
  },
  {
    name: 'money with fractional decimals',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ price_per_token: { amount: '100', decimals: 2.5, currency: 'EUR' } }),
    status: 400,
    code: 'validation_error',
    field: 'price_per_token.decimals',
  },
  {
    name: 'negative money',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    body: product({ issuance_price: { amount: '-100', decimals: 2, currency: 'EUR' }, nominal_value: null }),
    status: 400,
    code: 'validation_error',
    field: 'issuance_price.amount',
  },
  {
    name: 'unknown currency',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    body: product({ issuance_price: { amount: '100', decimals: 2, currency: 'ABC' }, nominal_value: null }),
    status: 400,
    code: 'validation_error',
    field: 'issuance_price',
  },
  {
    name: 'percentage with a comma',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ agio_percent: '2,5' }),
    status: 400,
    code: 'validation_error',
    field: 'agio_percent',
  },
  {
    name: 'percentage as a number',
    api: 'issuer',
    method: 'POST',
    path: campaigns,
    body: campaign({ agio_percent: 2.5 }),
    status: 400,
    code: 'validation_error',
    field: 'agio_percent',
  },
  {
    name: 'impossible date',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    body: product({ interest_start_date: '2026-02-30' }),
    status: 400,
    code: 'validation_error',
    field: 'interest_start_date',
  },
  {
    name: 'timestamp without offset',
    api: 'distributor',
    method: 'POST',
    path: () => `${DISTRIBUTOR}/investors/${investorId}/identifications/`,
    body: () => ({
      document_type: 'IDCARD',
      document_id: 'L01X00T47',
      document_valid_to: '2031-01-01',
      verified_at: '2026-01-01T10:00:00',
    }),
    status: 400,
    code: 'validation_error',
    field: 'verified_at',
  },
  {
    name: 'unknown enum value',
    api: 'issuer',
    method: 'POST',
    path: () => `${ISSUER}/products/`,
    body: product({ product_type: 'STOCK' }),
    status: 400,
    code: 'validation_error',
    field: 'product_type',
  },
  {
    name: 'US tax person',
    api: 'distributor',
    method: 'POST',
    path: () => `${DISTRIBUTOR}/investors/`,
    body: () => ({ natural_person: { ...person, is_subject_to_us_tax: true } }),
    status: 400,
    code: 'validation_error',
    field: 'natural_person.is_subject_to_us_tax',
  },
  {
    name: 'limit out of range',
    api: 'issuer',
    method: 'GET',
    path: () => `${ISSUER}/products/?limit=0`,
    status: 400,
    code: 'validation_error',
    field: 'query.limit',
  },
  {
    name: 'limit not a number',
    api: 'issuer',
    method: 'GET',
    path: () => `${ISSUER}/products/?limit=ten`,
    status: 400,
    code: 'validation_error',
    field: 'query.limit',
  },
  {
    name: 'unknown query parameter',
    api: 'issuer',
    method: 'GET',
    path: () => `${ISSUER}/products/?sort=name`,
    status: 400,
    code: 'validation_error',
    field: 'query.sort',
  },
];

describe('bad input', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const api = c.api === 'issuer' ? t.issuer : t.distributor;
    const before = await countRows();
    const res = await api.request(c.method, c.path(), {
      ...(c.raw !== undefined ? { raw: c.raw } : c.body ? { body: c.body() } : {}),
      headers: c.contentType ? { 'content-type': c.contentType } : {},
    });
    expect(res.status, res.text).toBe(c.status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: c.status, code: c.code, type: `urn:kontor:problem:${c.code}` });
    expect(typeof res.body.detail).toBe('string');
    if (c.field) {
      expect(Object.keys(res.body.errors ?? {}), res.text).toContain(c.field);
      expect(res.body.errors[c.field].length).toBeGreaterThan(0);
    }
    expect(await countRows()).toEqual(before);
  });
});

async function countRows() {
  const tables = [
    'products',
    'campaigns',
    'investors',
    'wallets',
    'identifications',
    'issuers',
    'investments',
  ] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await server.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}
