/**
 * The pages in a real Chromium: a whole web-based subscription from its start_url to DELIVERED,
 * with the issuer accepting, marking paid and crediting in Studio (screenshots of every page in
 * test-artifacts/screenshots/); Studio refusing another issuer's investments and forms without
 * their CSRF token.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudioUser } from '../../src/parties/service.ts';
import { launchChromium, screenshot } from '../browser.ts';
import {
  createTenant,
  DISTRIBUTOR,
  deployedToken,
  ISSUER,
  identify,
  listedProduct,
  newAddress,
  paidInvestment,
  startWorkingServer,
  type Tenant,
  type WorkingServer,
} from '../helpers.ts';
import { waitFor } from '../webhook-receiver.ts';

const PASSWORD = 'correct horse battery staple';
let server: WorkingServer;
let browser: Browser;
let t: Tenant;
let other: Tenant;
let campaignId: string;

beforeAll(async () => {
  server = await startWorkingServer({ ledgerPollMs: 200 });
  t = await createTenant(server);
  other = await createTenant(server, 'Other');
  await server.db.transaction().execute(async (trx) => {
    await createStudioUser(trx, { email: 'issuer@alpha.example', password: PASSWORD, issuerId: t.issuerId });
  });
  const bank = await t.issuer.patch(`${ISSUER}/issuers/${t.issuerId}/`, {
    bank_account: { account_holder: 'Alpha Issuer GmbH', iban: 'DE89370400440532013000' },
  });
  expect(bank.status, bank.text).toBe(200);
  const listed = await listedProduct(t, { asset_code: 'WEB', name: 'Webanleihe 2030', isin: 'DE0007164600' });
  campaignId = listed.campaign.id;
  await deployedToken(t, listed.product.id);
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function logIn(page: Page) {
  await page.goto(`${server.kontor.apiUrl}/studio/`);
  await expect(page).toHaveURLContaining('/studio/login');
  await page.getByLabel('E-mail').fill('issuer@alpha.example');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/studio\/$/);
}

expect.extend({
  toHaveURLContaining(page: Page, part: string) {
    return { pass: page.url().includes(part), message: () => `expected ${page.url()} to contain ${part}` };
  },
});
declare module 'vitest' {
  interface Assertion {
    toHaveURLContaining(part: string): void;
  }
}

describe('a web-based subscription', () => {
  it('goes from start_url to DELIVERED, with Studio accepting, marking paid and crediting', async () => {
    const investor = await t.distributor.post(`${DISTRIBUTOR}/investors/`, {
      natural_person: { forename: 'Wiebke', surname: 'Webers', citizenship: 'DEU' },
      communication: { email: 'wiebke@example.org' },
    });
    expect(investor.status, investor.text).toBe(201);
    await identify(t.distributor, investor.body.id);
    const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: investor.body.id,
      campaign_id: campaignId,
      units: 4,
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.status).toBe('PENDING');
    const startUrl: string = created.body.start_url;

    const investorPage = await (await browser.newContext()).newPage();
    await investorPage.goto(startUrl);
    await screenshot(investorPage, 'subscribe-1-details');
    expect(await investorPage.getByRole('heading', { level: 1 }).textContent()).toBe('Your details');
    expect(await investorPage.getByLabel('First name').inputValue()).toBe('Wiebke');
    // A bad value is refused field by field, as the API refuses it.
    await investorPage.getByLabel('Country (ISO 3166 alpha-3, e.g. DEU)').fill('Germany');
    await investorPage.getByRole('button', { name: 'Save and continue' }).click();
    expect(await investorPage.locator('.field.invalid').count()).toBe(1);
    await screenshot(investorPage, 'subscribe-1b-details-refused');
    await investorPage.getByLabel('Country (ISO 3166 alpha-3, e.g. DEU)').fill('DEU');
    await investorPage.getByLabel('Street and number').fill('Wallstraße 1');
    await investorPage.getByLabel('Postcode').fill('10179');
    await investorPage.getByLabel('City', { exact: true }).fill('Berlin');
    await investorPage.getByRole('button', { name: 'Save and continue' }).click();

    await investorPage.waitForURL(/step=offer/);
    await screenshot(investorPage, 'subscribe-2-offer');
    const offer = await investorPage.locator('main').textContent();
    expect(offer).toContain('Webanleihe 2030');
    expect(offer).toContain('Payment total');
    const terms = await investorPage.request.get(
      await investorPage
        .getByRole('link', { name: 'Terms of issue (PDF)' })
        .evaluate((a) => (a as HTMLAnchorElement).href),
    );
    expect(terms.headers()['content-type']).toBe('application/pdf');
    expect((await terms.body()).subarray(0, 5).toString()).toBe('%PDF-');
    await investorPage.getByLabel("I accept the register's terms of service and data protection.").check();
    await investorPage.getByLabel('I have read and accept the terms of issue.').check();
    await investorPage.getByRole('button', { name: 'Sign the subscription' }).click();

    await investorPage.waitForSelector('#status');
    expect(await investorPage.locator('#status').textContent()).toBe('WAITING_FOR_ACCEPTANCE');
    await screenshot(investorPage, 'subscribe-3-signed');
    const wallet = newAddress();
    await investorPage.getByLabel('Wallet address').fill(wallet.toLowerCase());
    await investorPage.getByRole('button', { name: 'Use this wallet' }).click();
    expect(await investorPage.locator('.problem').textContent()).toContain('EIP-55');
    await investorPage.getByLabel('Wallet address').fill(wallet);
    await investorPage.getByRole('button', { name: 'Use this wallet' }).click();
    await investorPage.getByText('Your units will be credited to the wallet you gave.').waitFor();
    await screenshot(investorPage, 'subscribe-4-wallet');

    const studio = await (await browser.newContext()).newPage();
    await logIn(studio);
    await screenshot(studio, 'studio-1-overview');
    expect(await studio.locator('main table').textContent()).toContain('Webanleihe 2030');
    await studio.getByRole('link', { name: 'Investments', exact: true }).click();
    await studio.getByLabel('Search').fill('Webers');
    await studio.getByRole('button', { name: 'Filter' }).click();
    await screenshot(studio, 'studio-2-investments');
    await studio.getByRole('link', { name: 'Wiebke Webers' }).click();
    await screenshot(studio, 'studio-3-investment');
    await studio.getByRole('button', { name: 'Accept' }).click();
    expect(await studio.locator('.notice').textContent()).toBe('The investment is accepted.');

    // The investor now sees the payment instructions.
    await investorPage.reload();
    expect(await investorPage.locator('#status').textContent()).toBe('ACCEPTED');
    expect(await investorPage.locator('main').textContent()).toContain('KTR-');
    await screenshot(investorPage, 'subscribe-5-payment');

    await studio.getByLabel('Paid on').fill(new Date().toISOString().slice(0, 10));
    await studio.getByRole('button', { name: 'Mark paid' }).click();
    expect(await studio.locator('.notice').textContent()).toBe('The payment is recorded.');
    await studio.getByRole('button', { name: 'Credit to the wallet' }).click();
    await waitFor(
      async () => {
        await studio.reload();
        return (await studio.locator('.facts .status').first().textContent()) === 'DELIVERED';
      },
      30_000,
      'DELIVERED in Studio',
    );
    await screenshot(studio, 'studio-4-delivered');

    await investorPage.reload();
    expect(await investorPage.locator('#status').textContent()).toBe('DELIVERED');
    await screenshot(investorPage, 'subscribe-6-delivered');

    // The API agrees: signed with the generated form under both categories, delivered, stated.
    const read = await t.distributor.get(`${DISTRIBUTOR}/investments/${created.body.id}/`);
    expect(read.body).toMatchObject({ status: 'DELIVERED', remaining_amount: 4 });
    expect(read.body.signed_at).not.toBeNull();
    const documents = await t.distributor.get(`${DISTRIBUTOR}/investments/${created.body.id}/signed-documents/`);
    expect(documents.body.results.map((d: { category: string }) => d.category).sort()).toEqual([
      'effecta_cryptoregistry_tos',
      'effecta_document',
    ]);
    const person = (await t.distributor.get(`${DISTRIBUTOR}/investors/${investor.body.id}/`)).body.natural_person;
    expect(person).toMatchObject({ forename: 'Wiebke', city: 'Berlin', country: 'DEU', street: 'Wallstraße 1' });
    const statements = await t.distributor.get(`${DISTRIBUTOR}/investments/${created.body.id}/registry-statements/`);
    expect(statements.body.results.map((s: { reason: string }) => s.reason)).toEqual(['ISSUANCE']);
  });
});

describe('what the pages refuse', () => {
  it("refuses another issuer's investments and forms without a valid CSRF token", async () => {
    const foreign = await paidInvestment(
      other.distributor,
      (await listedProduct(other, { asset_code: 'OTH' })).campaign.id,
      {
        units: 1,
      },
    );
    const own = await paidInvestment(t.distributor, campaignId, { units: 1 });
    const context = await browser.newContext();
    const page = await context.newPage();
    await logIn(page);

    const notYours = await page.goto(`${server.kontor.apiUrl}/studio/investments/${foreign.investmentId}/`);
    expect(notYours!.status()).toBe(404);
    await screenshot(page, 'studio-5-not-found');
    // Not even an action on it, with a valid token.
    await page.goto(`${server.kontor.apiUrl}/studio/investments/${own.investmentId}/`);
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const foreignCredit = await page.request.post(
      `${server.kontor.apiUrl}/studio/investments/${foreign.investmentId}/credit`,
      { form: { _csrf: csrf } },
    );
    expect(foreignCredit.status()).toBe(404);

    // Missing and forged tokens change nothing.
    const forms: Record<string, string>[] = [{}, { _csrf: 'forged' }, { _csrf: `${csrf.slice(0, -2)}AA` }];
    for (const form of forms) {
      const res = await page.request.post(`${server.kontor.apiUrl}/studio/investments/${own.investmentId}/credit`, {
        form,
        maxRedirects: 0,
      });
      expect(res.status()).toBe(403);
    }
    const still = await t.distributor.get(`${DISTRIBUTOR}/investments/${own.investmentId}/credits/`);
    expect(still.body.count).toBe(0);
    // The same token works (the refusals above were for the token, not the action).
    const credit = await page.request.post(`${server.kontor.apiUrl}/studio/investments/${own.investmentId}/credit`, {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    expect(credit.status()).toBe(303);

    // Without a session, Studio sends you to the login page; a subscription form needs its token.
    const anonymous = await browser.newContext();
    const res = await anonymous.request.get(`${server.kontor.apiUrl}/studio/investments/`, { maxRedirects: 0 });
    expect(res.status()).toBe(303);
    expect(res.headers().location).toBe('/studio/login');
    const pending = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: (await t.distributor.get(`${DISTRIBUTOR}/investments/${own.investmentId}/`)).body.investor_id,
      campaign_id: campaignId,
      units: 1,
    });
    const unsigned = await anonymous.request.post(`${pending.body.start_url}/sign`, {
      form: { consent_tos: 'yes', consent_terms: 'yes' },
      maxRedirects: 0,
    });
    expect(unsigned.status()).toBe(403);
    expect((await t.distributor.get(`${DISTRIBUTOR}/investments/${pending.body.id}/`)).body.status).toBe('PENDING');
    const unknown = await anonymous.request.get(`${server.kontor.apiUrl}/subscribe/${'x'.repeat(43)}`);
    expect(unknown.status()).toBe(404);
    expect(unknown.headers()['referrer-policy']).toBe('no-referrer');
  });
});
