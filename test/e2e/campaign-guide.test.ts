/**
 * The calls of the campaign guide (shared/seeds/002) exactly as written there — same paths, bodies
 * and headers — against a started `kontor start`, with only the URL, credentials and ids filled in.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productBody } from '../helpers.ts';
import { type KontorProcess, runCli, startKontorProcess, tempHome } from './process.ts';

let kontor: KontorProcess;
let URL: string;
let issuerHeaders: Record<string, string>;
let distributorHeaders: Record<string, string>;
let product_id: string;
let distribution_platform_id: string;

const make_key = () => randomUUID();

async function token(clientId: string, secret: string): Promise<string> {
  const r = await fetch(`${URL}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as { access_token: string }).access_token;
}

/** `requests.post(url, json=..., headers=...)` */
async function post(url: string, json: unknown, headers: Record<string, string>) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(json),
  });
  return { status_code: r.status, content: await r.text() };
}

/** `requests.get(url, headers=...)` */
async function get(url: string, headers: Record<string, string>) {
  const r = await fetch(url, { headers });
  return { status_code: r.status, content: await r.text() };
}

beforeAll(async () => {
  // The whole system on its embedded defaults (PostgreSQL and anvil), as a user starts it.
  const home = tempHome();
  kontor = await startKontorProcess({ KONTOR_HOME: home });
  URL = `${kontor.url}/api/external`;
  const env = { KONTOR_HOME: home };
  const cli = async (...args: string[]) => {
    const r = await runCli(['admin', ...args, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };
  const issuer = await cli('issuer', 'create', '--name', 'Guide Issuer GmbH');
  const platform = await cli('platform', 'create', '--name', 'Guide Platform GmbH');
  await cli('allow', '--issuer', issuer.id, '--platform', platform.id);
  const issuerClient = await cli('client', 'create', '--issuer', issuer.id);
  const platformClient = await cli('client', 'create', '--platform', platform.id);
  issuerHeaders = { Authorization: `Bearer ${await token(issuerClient.client_id, issuerClient.client_secret)}` };
  distributorHeaders = {
    Authorization: `Bearer ${await token(platformClient.client_id, platformClient.client_secret)}`,
  };
  distribution_platform_id = platform.id;
  // Before the guide: "You have created a product ... The product is listed on that distribution platform".
  const product = await post(`${URL}/issuer/v2/products/`, productBody(), issuerHeaders);
  expect(product.status_code, product.content).toBe(201);
  product_id = JSON.parse(product.content).id;
  const listing = await post(
    `${URL}/issuer/v2/listings/`,
    { product_id, distribution_platform_id },
    { ...issuerHeaders, 'X-Idempotency-Key': make_key() },
  );
  expect(listing.status_code, listing.content).toBe(201);
}, 120_000);

afterAll(async () => {
  if (kontor) expect(await kontor.stop(), kontor.output()).toBe(0);
});

describe('campaign guide (seed 002)', () => {
  it('creates the campaign and the distributor reads product and campaign', async () => {
    const headers = issuerHeaders;
    // # Create campaign
    let r = await post(
      `${URL}/issuer/v2/products/${product_id}/campaigns/`,
      {
        distribution_platform_id: distribution_platform_id,
        allocation: 10000,
        price_per_token: {
          amount: '100',
          decimals: 2,
          currency: 'EUR',
        },
        min_number_of_tokens: 1,
        max_number_of_tokens: 100,
        name: 'Test',
        legal_persons_allowed: true,
        natural_persons_allowed: true,
        country: 'DEU',
        rule_type: 'public_offering',
        is_campaign_active: true,
      },
      { ...headers, 'X-Idempotency-Key': make_key() },
    );
    expect(r.status_code < 300, r.content).toBe(true);
    const createdCampaignId = JSON.parse(r.content).id;

    {
      const headers = distributorHeaders;
      // # Get all products listed on the distribution platform
      r = await get(`${URL}/distributor/v2/products/`, { ...headers });
      expect(r.status_code < 300, r.content).toBe(true);
      const product_id = JSON.parse(r.content).results[0].id;
      r = await get(`${URL}/distributor/v2/products/${product_id}/`, { ...headers });
      expect(r.status_code < 300, r.content).toBe(true);
      expect(JSON.parse(r.content).id).toBe(product_id);
      // # Get all campaigns for that product
      r = await get(`${URL}/distributor/v2/products/${product_id}/campaigns/`, { ...headers });
      expect(r.status_code < 300, r.content).toBe(true);
      const campaign_id = JSON.parse(r.content).results[0].id;
      r = await get(`${URL}/distributor/v2/products/${product_id}/campaigns/${campaign_id}/`, { ...headers });
      expect(r.status_code < 300, r.content).toBe(true);
      const campaign = JSON.parse(r.content);
      expect(campaign.id).toBe(createdCampaignId);
      expect(campaign).toMatchObject({
        distribution_platform_id,
        allocation: 10000,
        price_per_token: { amount: '100', decimals: 2, currency: 'EUR' },
        min_number_of_tokens: 1,
        max_number_of_tokens: 100,
        name: 'Test',
        country: 'DEU',
        rule_type: 'public_offering',
        is_campaign_active: true,
      });
    }
  });
});
