import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { sql } from 'kysely';
import pg from 'pg';
import { getAddress } from 'viem';
import { expect, inject } from 'vitest';
import { type Config, loadConfig } from '../src/config.ts';
import { createDb, type Db, migrate } from '../src/db/database.ts';
import { type App, buildApp } from '../src/http/app.ts';
import { tokenSigningKey } from '../src/http/auth.ts';
import {
  createApiClient,
  createIssuer,
  createPlatform,
  setAllowance,
  setWebSubscription,
} from '../src/parties/service.ts';
import type { Kontor } from '../src/runtime/kontor.ts';
import { waitFor } from './webhook-receiver.ts';

export interface TestDatabase {
  url: string;
  db: Db;
  drop: () => Promise<void>;
}

/** A fresh, migrated database on the run's PostgreSQL server. */
export async function freshDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('postgresUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = serverUrl.replace(/\/postgres$/, `/${name}`);
  const { db } = createDb(url, 40);
  await migrate(db, url);
  return {
    url,
    db,
    drop: async () => {
      await db.destroy();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export function testConfig(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = {}): Config {
  const home = mkdtempSync(join(inject('testHome'), 'home-'));
  return { ...loadConfig({ KONTOR_HOME: home, LOG_LEVEL: 'silent', ...env }), ...overrides };
}

export interface Response<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A client of a real HTTP server: every call goes over a socket. */
export class Api {
  constructor(
    readonly baseUrl: string,
    public token?: string,
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    options: {
      body?: unknown;
      raw?: string | Uint8Array | FormData;
      headers?: Record<string, string>;
      token?: string | null;
    } = {},
  ): Promise<Response<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | Uint8Array | FormData | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(new URL(path, this.baseUrl), {
      method,
      headers,
      body: body as BodyInit | undefined,
      redirect: 'manual',
    });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = any>(path: string, options?: Parameters<Api['request']>[2]) {
    return this.request<T>('GET', path, options);
  }
  post<T = any>(path: string, body?: unknown, options: Parameters<Api['request']>[2] = {}) {
    return this.request<T>('POST', path, { ...options, body });
  }
  patch<T = any>(path: string, body?: unknown, options: Parameters<Api['request']>[2] = {}) {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  delete<T = any>(path: string, options?: Parameters<Api['request']>[2]) {
    return this.request<T>('DELETE', path, options);
  }

  withToken(token: string): Api {
    return new Api(this.baseUrl, token);
  }
}

/** What createTenant needs of a server: its database and a client of its API. */
export interface TenantServer {
  db: Db;
  api: Api;
}

export interface TestServer extends TenantServer {
  app: App;
  config: Config;
  url: string;
  close: () => Promise<void>;
}

/** The real application on a real socket over a fresh database. */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const database = await freshDatabase();
  const config = testConfig(overrides);
  const app = await buildApp(
    { db: database.db, config, signingKey: await tokenSigningKey(database.db) },
    { logger: false },
  );
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    db: database.db,
    app,
    config,
    url: address,
    api: new Api(address),
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}

export interface WorkingServer extends TenantServer {
  kontor: Kontor;
  database: TestDatabase;
  config: Config;
  close: () => Promise<void>;
}

/**
 * Kontor as `kontor start` runs it (API and workers, in this process) over a fresh database;
 * `db` is the test's own pool on that database.
 */
export async function startWorkingServer(overrides: Partial<Config> = {}): Promise<WorkingServer> {
  // Loaded here, not at the top: most test files never start the workers.
  const { startKontor } = await import('../src/runtime/kontor.ts');
  const database = await freshDatabase();
  const config = testConfig({ databaseUrl: database.url, port: 0, ...overrides });
  let kontor: Kontor;
  try {
    kontor = await startKontor(config, { api: true, workers: true, logger: false });
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    kontor,
    database,
    config,
    db: database.db,
    api: new Api(kontor.apiUrl),
    close: async () => {
      await kontor.stop();
      await database.drop();
    },
  };
}

export async function getToken(api: Api, clientId: string, clientSecret: string, scope?: string): Promise<string> {
  const res = await api.post(
    '/api/external/oauth/token',
    {
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      ...(scope ? { scope } : {}),
    },
    { token: null },
  );
  if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`);
  return res.body.access_token;
}

export interface Tenant {
  issuerId: string;
  platformId: string;
  issuer: Api;
  distributor: Api;
  issuerClient: { client_id: string; client_secret: string };
  distributorClient: { client_id: string; client_secret: string };
}

/** An issuer and a platform allowed to work together, each with an all-scopes client and a token. */
export async function createTenant(server: TenantServer, name = 'Alpha'): Promise<Tenant> {
  const setup = await server.db.transaction().execute(async (trx) => {
    const issuer = await createIssuer(trx, { legal_person: { company_name: `${name} Issuer GmbH` } });
    const platform = await createPlatform(trx, { platform_company_name: `${name} Platform GmbH` });
    await setAllowance(trx, issuer.id, platform.id, true);
    await setWebSubscription(trx, platform.id, true);
    const issuerClient = await createApiClient(trx, {
      name: 'issuer',
      principal: 'issuer',
      issuerId: issuer.id,
    });
    const distributorClient = await createApiClient(trx, {
      name: 'platform',
      principal: 'distribution_platform',
      platformId: platform.id,
    });
    return { issuer, platform, issuerClient, distributorClient };
  });
  const issuerToken = await getToken(server.api, setup.issuerClient.client_id, setup.issuerClient.client_secret);
  const distributorToken = await getToken(
    server.api,
    setup.distributorClient.client_id,
    setup.distributorClient.client_secret,
  );
  return {
    issuerId: setup.issuer.id,
    platformId: setup.platform.id,
    issuer: server.api.withToken(issuerToken),
    distributor: server.api.withToken(distributorToken),
    issuerClient: setup.issuerClient,
    distributorClient: setup.distributorClient,
  };
}

export const ISSUER = '/api/external/issuer/v2';
export const DISTRIBUTOR = '/api/external/distributor/v2';

export const eur = (amount: string) => ({ amount, decimals: 2, currency: 'EUR' });

export function productBody(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Green Bond 2031',
    product_type: 'BOND',
    ewpg: true,
    asset_code: 'GB31',
    nominal_value: eur('10000'),
    issuance_price: eur('10000'),
    max_issuable_amount: 100000,
    step_size: 1,
    payment_deadline: 14,
    cancellation_deadline: 14,
    interest_rate: '5.25',
    day_count_convention: 'ACT/ACT-ICMA',
    interest_start_date: '2026-01-01',
    interest_frequency: 'ANNUAL',
    maturity_date: '2031-01-01',
    ...overrides,
  };
}

export function campaignBody(platformId: string, overrides: Record<string, unknown> = {}) {
  return {
    distribution_platform_id: platformId,
    allocation: 10000,
    price_per_token: { amount: '100', decimals: 2, currency: 'EUR' },
    min_number_of_tokens: 1,
    max_number_of_tokens: 100,
    name: 'Test',
    legal_persons_allowed: true,
    natural_persons_allowed: true,
    country: 'DEU',
    rule_type: 'public_offering',
    is_campaign_active: true,
    ...overrides,
  };
}

/** A product listed on the tenant's platform, with an active campaign. */
export async function listedProduct(t: Tenant, productOverrides = {}, campaignOverrides = {}) {
  const product = await t.issuer.post(`${ISSUER}/products/`, productBody(productOverrides));
  if (product.status !== 201) throw new Error(`product: ${product.text}`);
  const listing = await t.issuer.post(`${ISSUER}/listings/`, {
    product_id: product.body.id,
    distribution_platform_id: t.platformId,
  });
  if (listing.status !== 201) throw new Error(`listing: ${listing.text}`);
  const campaign = await t.issuer.post(
    `${ISSUER}/products/${product.body.id}/campaigns/`,
    campaignBody(t.platformId, campaignOverrides),
  );
  if (campaign.status !== 201) throw new Error(`campaign: ${campaign.text}`);
  return { product: product.body, campaign: campaign.body };
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

/** Uploads a small PDF named `name` as a distributor document; its id. */
export async function uploadPdf(api: Api, name: string, surface = DISTRIBUTOR): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([PDF], { type: 'application/pdf' }), name);
  const res = await api.request('POST', `${surface}/documents/`, { raw: form });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** The two documents an investment needs before acceptance, freshly uploaded. */
export async function bothDocuments(api: Api) {
  return [
    { category: 'effecta_cryptoregistry_tos', document_id: await uploadPdf(api, 'tos.pdf') },
    { category: 'effecta_document', document_id: await uploadPdf(api, 'terms.pdf') },
  ];
}

export const newAddress = () => getAddress(`0x${randomBytes(20).toString('hex')}`);

export interface NaturalPerson {
  forename: string;
  surname: string;
  citizenship?: string;
  /** Any other field of the API's natural_person (street, city, birth_date, ...). */
  [field: string]: unknown;
}

export interface InvestorOptions {
  /** The wallet's address; a fresh random one unless given. */
  address?: string;
  /** Erika Mustermann (DEU) unless given. */
  person?: NaturalPerson;
  /** Adds a valid identification (the default of `identify`) at once. */
  kyc?: boolean;
}

/** A natural person with a generic wallet (receiving enabled); its id. */
export async function createInvestor(api: Api, options: InvestorOptions = {}): Promise<string> {
  const investor = await api.post(`${DISTRIBUTOR}/investors/`, {
    natural_person: options.person ?? { forename: 'Erika', surname: 'Mustermann', citizenship: 'DEU' },
    wallet_address: options.address ?? newAddress(),
  });
  expect(investor.status, investor.text).toBe(201);
  if (options.kyc) await identify(api, investor.body.id);
  return investor.body.id;
}

/** As createInvestor, with the id of the investor's wallet. */
export async function investorWithWallet(api: Api, options: InvestorOptions = {}) {
  const investorId = await createInvestor(api, options);
  const wallets = await api.get(`${DISTRIBUTOR}/investors/${investorId}/wallets/`);
  return { investorId, walletId: wallets.body.results[0].id as string };
}

/** Adds a valid identification (KYC) to an investor; `overrides` change its fields. */
export async function identify(api: Api, investorId: string, overrides: Record<string, unknown> = {}) {
  const res = await api.post(`${DISTRIBUTOR}/investors/${investorId}/identifications/`, {
    document_type: 'IDCARD',
    document_id: 'L01X00T47',
    document_valid_to: '2035-01-01',
    verified_at: '2026-01-05T09:00:00Z',
    ...overrides,
  });
  expect(res.status, res.text).toBe(201);
  return res;
}

/** Creates an investment that must succeed (201); its body. */
export async function invest(api: Api, body: Record<string, unknown>): Promise<any> {
  const res = await api.post(`${DISTRIBUTOR}/investments/`, body);
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/** The units a campaign holds reserved, as stored. */
export async function unitsReserved(db: Db, campaignId: string): Promise<number> {
  const row = await db
    .selectFrom('campaigns')
    .select('units_reserved')
    .where('id', '=', campaignId)
    .executeTakeFirstOrThrow();
  return Number(row.units_reserved);
}

/** The product's token once the workers have deployed it (waits up to 30 s). */
export async function deployedToken(t: Tenant, productId: string) {
  const token = async () => (await t.issuer.get(`${ISSUER}/products/${productId}/`)).body.token;
  await waitFor(async () => (await token()) !== null, 30_000, 'token');
  return token();
}

/**
 * A PAID investment of a new, identified investor with a generic wallet, created in one request
 * (signed, accepted and paid at once); its ids.
 */
export async function paidInvestment(
  api: Api,
  campaignId: string,
  options: InvestorOptions & { units: number },
): Promise<{ investmentId: string; investorId: string; walletId: string }> {
  const { investorId, walletId } = await investorWithWallet(api, options);
  await identify(api, investorId, { document_id: 'T22000129', verified_at: '2026-02-01T11:00:00Z' });
  const created = await invest(api, {
    investor_id: investorId,
    campaign_id: campaignId,
    units: options.units,
    signed_at: '2026-02-01T10:00:00Z',
    signed_documents: await bothDocuments(api),
    accepted_at: '2026-02-02T10:00:00Z',
    paid_at: '2026-02-03T10:00:00Z',
    wallet: walletId,
  });
  expect(created.status).toBe('PAID');
  return { investmentId: created.id, investorId, walletId };
}

/** Credits a PAID investment and waits (up to 30 s) until the credit succeeded; the credit task. */
export async function deliver(api: Api, investmentId: string): Promise<any> {
  const credit = await api.post(`${DISTRIBUTOR}/investments/${investmentId}/credits/`);
  expect(credit.status, credit.text).toBe(202);
  const read = async () => (await api.get(`${DISTRIBUTOR}/credits/${credit.body.id}/`)).body;
  await waitFor(async () => (await read()).status === 'succeeded', 30_000, 'credit');
  return read();
}

/** A download as bytes (Api reads bodies as text). */
export async function downloadBytes(api: Api, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(new URL(path, api.baseUrl), {
    headers: { authorization: `Bearer ${api.token}`, ...headers },
  });
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** WinAnsi's 0x80–0x9F (the built-in fonts' encoding); the rest is Latin-1. */
const WIN_ANSI_80 = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ';

/**
 * The lines of text of a PDF written with the built-in fonts (src/registry/pdf.ts): each content stream
 * (inflated where it is compressed), each TJ/Tj operation one line of WinAnsi hex strings.
 * No PDF tool is needed (none is on CI).
 */
export function pdfLines(pdf: Buffer): string[] {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  for (const m of raw.matchAll(/<<((?:(?!>>\s*stream)[\s\S])*?)>>\s*stream\r?\n/g)) {
    const length = Number(/\/Length (\d+)/.exec(m[1]!)?.[1]);
    const start = m.index! + m[0].length;
    let data = pdf.subarray(start, start + length);
    if (m[1]!.includes('/FlateDecode')) data = inflateSync(data);
    for (const op of data.toString('latin1').matchAll(/\[([^\]]*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj/g)) {
      const hex = op[1] !== undefined ? [...op[1].matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]).join('') : op[2]!;
      const bytes = Buffer.from(hex, 'hex');
      lines.push(
        Array.from(bytes, (b) => (b >= 0x80 && b <= 0x9f ? WIN_ANSI_80[b - 0x80] : String.fromCharCode(b))).join(''),
      );
    }
  }
  return lines;
}

/**
 * The queued and running jobs of a drainer task (`send_emails`, `deliver_webhooks`) whose payload
 * names `value` under `field`, oldest first (graphile-worker's public view of jobs has no payload).
 */
export async function drainerJobs(db: Db, task: string, field: string, value: string) {
  const { rows } = await sql<{ key: string | null; locked_at: string | null; due: boolean; revision: number }>`
    select j.key, j.locked_at, j.run_at <= now() as due, j.revision
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    where t.identifier = ${task} and j.payload->>${field} = ${value}
    order by j.id`.execute(db);
  return rows;
}
