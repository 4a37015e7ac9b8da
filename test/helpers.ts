import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
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

/** A fresh, migrated database on the run's PostgreSQL server. */
export async function freshDatabase(): Promise<{ url: string; db: Db; drop: () => Promise<void> }> {
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

export interface TestServer {
  db: Db;
  app: App;
  config: Config;
  url: string;
  api: Api;
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
export async function createTenant(server: TestServer, name = 'Alpha'): Promise<Tenant> {
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
