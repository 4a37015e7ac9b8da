/**
 * The pages in a real Chromium: a whole web-based subscription from its start_url to DELIVERED,
 * with the issuer accepting, marking paid and crediting in Studio (screenshots of every page in
 * test-artifacts/screenshots/); Studio refusing another issuer's investments and forms without
 * their CSRF token.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudioUser } from '../../src/parties/service.ts';
import { launchChromium, screenshot as save, unlabelledControls } from '../browser.ts';
import {
  bothDocuments,
  createInvestor,
  createTenant,
  DISTRIBUTOR,
  deployedToken,
  ISSUER,
  identify,
  invest,
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

/** Saves the page's screenshot, and checks that every form control on it has a label. */
async function screenshot(page: Page, name: string) {
  await save(page, name);
  expect(await unlabelledControls(page), name).toEqual([]);
  // Nothing wider than the screen (phones scroll vertically only; tables scroll in their own box).
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), name).toBe(true);
}

async function logIn(page: Page, email = 'issuer@alpha.example') {
  await page.goto(`${server.kontor.apiUrl}/studio/`);
  await expect(page).toHaveURLContaining('/studio/login');
  await page.getByLabel('E-mail').fill(email);
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

    // A phone, without JavaScript: every step is a plain form.
    const investorPage = await (
      await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } })
    ).newPage();
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

    const studio = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
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
    // The form's answer is in before the page is reloaded (a reload during that navigation races it).
    expect(await studio.locator('.notice').textContent()).toBe(
      'Crediting has started; the investment becomes DELIVERED when the units are on the ledger.',
    );
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

describe("Studio's back office", () => {
  it('creates and switches a campaign, and shows the cap table, investors, statements, webhooks and mail', async () => {
    const page = await (await browser.newContext()).newPage();
    await logIn(page);
    await page.getByRole('link', { name: 'Products' }).click();
    await page.getByRole('link', { name: 'Webanleihe 2030' }).click();
    await screenshot(page, 'studio-6-product');
    // The cap table: the subscription delivered above, 4 units in the register and on the ledger.
    const holder = page.locator('tr', { hasText: 'Wiebke Webers' });
    expect(await holder.locator('td').allTextContents()).toEqual([
      'Wiebke Webers',
      expect.stringMatching(/^0x[0-9a-fA-F]{40}$/),
      '4',
      '4',
    ]);
    expect(await page.locator('.facts').last().textContent()).toContain('Differencesnone');

    await page.getByLabel('Name').fill('Second round');
    await page.getByLabel('Allocation (units)').fill('ten');
    await page.getByLabel('Price per unit (EUR)').fill('2.50');
    await page.getByLabel('Most units per investment').fill('5');
    await page.getByRole('button', { name: 'Create the campaign' }).click();
    expect(await page.locator('.field.invalid label').allTextContents()).toEqual(['Allocation (units)']);
    await screenshot(page, 'studio-7-campaign-refused');
    await page.getByLabel('Allocation (units)').fill('10');
    await page.getByRole('button', { name: 'Create the campaign' }).click();
    expect(await page.locator('.notice').textContent()).toBe('The campaign is created.');
    const created = await server.db
      .selectFrom('campaigns')
      .select(['price_per_token', 'allocation', 'is_campaign_active'])
      .where('name', '=', 'Second round')
      .executeTakeFirstOrThrow();
    expect(created).toEqual({ price_per_token: 250n, allocation: 10n, is_campaign_active: true });
    await page.getByRole('button', { name: 'Switch Second round off' }).click();
    expect(await page.locator('.notice').textContent()).toBe('The campaign is switched.');
    const switched = await server.db
      .selectFrom('campaigns')
      .select('is_campaign_active')
      .where('name', '=', 'Second round')
      .executeTakeFirstOrThrow();
    expect(switched.is_campaign_active).toBe(false);

    await page.getByRole('link', { name: 'Investors' }).click();
    expect(await page.locator('main table').textContent()).toContain('Wiebke Webers');
    await page.getByRole('link', { name: 'Statements' }).click();
    await screenshot(page, 'studio-8-statements');
    const href = await page.getByRole('link', { name: 'download' }).first().getAttribute('href');
    const statement = await page.request.get(`${server.kontor.apiUrl}${href}`);
    expect(statement.headers()['content-type']).toBe('application/pdf');
    await page.getByRole('link', { name: 'Mail' }).click();
    expect(await page.locator('main table').textContent()).toContain('issuer@alpha.example');
    await screenshot(page, 'studio-9-mail');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Webhooks');
    // The registrar's pages are not an issuer's.
    const registrar = await page.goto(`${server.kontor.apiUrl}/studio/registrar/`);
    expect(registrar!.status()).toBe(404);
  });

  it("gives registrar users the registrar's pages: platforms, the web subscription switch, allowances, clients", async () => {
    await server.db.transaction().execute(async (trx) => {
      await createStudioUser(trx, { email: 'registrar@kontor.example', password: PASSWORD, issuerId: null });
    });
    const page = await (await browser.newContext()).newPage();
    await logIn(page, 'registrar@kontor.example');
    await page.getByRole('link', { name: 'Registrar' }).click();
    await page.getByLabel('New platform (company name)').fill('Gamma Platform GmbH');
    await page.getByRole('button', { name: 'Create platform' }).click();
    expect(await page.locator('.notice').textContent()).toBe('The platform is created.');
    await page.getByRole('button', { name: 'Switch on for Gamma Platform GmbH' }).click();
    expect(await page.locator('.notice').textContent()).toBe('The web-based subscription switch is changed.');
    const gamma = await server.db
      .selectFrom('distribution_platforms')
      .select(['id', 'web_subscription_enabled'])
      .where('platform_company_name', '=', 'Gamma Platform GmbH')
      .executeTakeFirstOrThrow();
    expect(gamma.web_subscription_enabled).toBe(true);
    await page
      .locator('tr', { hasText: 'Alpha Issuer GmbH' })
      .filter({ hasText: 'Gamma Platform GmbH' })
      .getByRole('button', { name: 'Allow' })
      .click();
    const allowance = await server.db
      .selectFrom('issuer_platform_allowances')
      .select('is_allowed')
      .where('issuer_id', '=', t.issuerId)
      .where('distribution_platform_id', '=', gamma.id)
      .executeTakeFirstOrThrow();
    expect(allowance.is_allowed).toBe(true);
    await page.getByLabel("New client's name").fill('gamma-backend');
    await page.getByLabel('For', { exact: true }).selectOption({ label: 'platform Gamma Platform GmbH' });
    await page.getByRole('button', { name: 'Create client' }).click();
    const shown = await page.locator('.notice').textContent();
    const clientId = /client_id (kc_[A-Za-z0-9_-]+)/.exec(shown ?? '')?.[1];
    const clientSecret = /client_secret (ks_[A-Za-z0-9_-]+)/.exec(shown ?? '')?.[1];
    expect(clientId && clientSecret, shown ?? '').toBeTruthy();
    await screenshot(page, 'studio-10-registrar');
    const token = await fetch(`${server.kontor.apiUrl}/api/external/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
    });
    expect(token.status).toBe(200);
    await page.getByRole('button', { name: 'Revoke gamma-backend' }).click();
    expect(await page.locator('.notice').textContent()).toContain('revoked');
  });
});

describe("Studio's other actions", () => {
  it('accepts and marks paid in a batch, records a review, rejects with a reason, pages, and logs out', async () => {
    const signed = async (campaign: string) => {
      const investorId = await createInvestor(t.distributor, { kyc: true });
      const res = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
        investor_id: investorId,
        campaign_id: campaign,
        units: 1,
        signed_at: '2026-02-01T10:00:00Z',
        signed_documents: await bothDocuments(t.distributor),
      });
      expect(res.status, res.text).toBe(201);
      return res.body;
    };
    const [a, b, c] = [await signed(campaignId), await signed(campaignId), await signed(campaignId)];
    expect([a.status, b.status, c.status]).toEqual([
      'WAITING_FOR_ACCEPTANCE',
      'WAITING_FOR_ACCEPTANCE',
      'WAITING_FOR_ACCEPTANCE',
    ]);
    const reviewed = await listedProduct(t, { asset_code: 'REV', requires_review: true });
    const d = await signed(reviewed.campaign.id);
    expect(d.status).toBe('REVIEW_PENDING');

    const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    await logIn(page);
    await page.goto(`${server.kontor.apiUrl}/studio/investments/?status=WAITING_FOR_ACCEPTANCE`);
    for (const id of [a.id, b.id]) await page.locator(`#select-${id}`).check();
    await page.getByRole('button', { name: 'Accept', exact: true }).click();
    expect(await page.locator('.notice').textContent()).toBe('The selected investments were processed.');
    await page.goto(`${server.kontor.apiUrl}/studio/investments/?status=ACCEPTED`);
    for (const id of [a.id, b.id]) await page.locator(`#select-${id}`).check();
    await page.getByLabel('Paid on').fill(new Date().toISOString().slice(0, 10));
    await page.getByRole('button', { name: 'Mark paid' }).click();
    const status = async (id: string) => (await t.distributor.get(`${DISTRIBUTOR}/investments/${id}/`)).body.status;
    expect([await status(a.id), await status(b.id)]).toEqual(['PAID', 'PAID']);

    await page.goto(`${server.kontor.apiUrl}/studio/investments/${d.id}/`);
    await page.getByRole('button', { name: 'Record review' }).click();
    expect(await page.locator('.notice').textContent()).toBe('The review is recorded.');
    expect(await status(d.id)).toBe('WAITING_FOR_ACCEPTANCE');

    await page.goto(`${server.kontor.apiUrl}/studio/investments/${c.id}/`);
    await page.getByLabel('Cancel with the reason').selectOption('REJECTION');
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    expect(await page.locator('.notice').textContent()).toBe('The investment is cancelled.');
    expect(await status(c.id)).toBe('REJECTION');
    // A refused action says why on the page and changes nothing.
    await page.goto(`${server.kontor.apiUrl}/studio/investments/${d.id}/`);
    await page.getByLabel('Cancel with the reason').selectOption('PAYMENT_MISSING');
    const refused = page.waitForResponse((r) => r.url().endsWith('/cancel'));
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    expect((await refused).status()).toBe(409);
    expect(await page.locator('.problem').textContent()).toContain('PAYMENT_MISSING');
    expect(await status(d.id)).toBe('WAITING_FOR_ACCEPTANCE');

    // Paging: 50 a page, newest first, with links both ways.
    const many = await createInvestor(t.distributor, { kyc: true });
    for (let i = 0; i < 4; i++) {
      await Promise.all(
        Array.from({ length: 15 }, () =>
          invest(t.distributor, {
            investor_id: many,
            campaign_id: campaignId,
            units: 1,
            signed_at: '2026-02-01T10:00:00Z',
          }),
        ),
      );
    }
    await page.goto(`${server.kontor.apiUrl}/studio/investments/`);
    const total = Number(
      /^(\d+) investments/.exec((await page.locator('main p.hint').first().textContent()) ?? '')?.[1],
    );
    expect(total).toBeGreaterThan(50);
    expect(await page.locator('main tbody tr').count()).toBe(50);
    await page.getByRole('link', { name: 'Next page' }).click();
    expect(await page.locator('main p.hint').first().textContent()).toBe(`${total} investments, 51–${total} shown`);
    expect(await page.locator('main tbody tr').count()).toBe(total - 50);
    await page.getByRole('link', { name: 'Previous page' }).click();
    expect(await page.locator('main tbody tr').count()).toBe(50);

    // Logging out ends the session: the same cookie opens nothing any more.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/studio\/login$/);
    const after = await page.request.get(`${server.kontor.apiUrl}/studio/`, { maxRedirects: 0 });
    expect(after.status()).toBe(303);
  });

  it('answers 410 on a subscription link older than 30 days', async () => {
    const investor = await t.distributor.post(`${DISTRIBUTOR}/investors/`, {
      natural_person: { forename: 'Olga', surname: 'Old' },
    });
    const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: investor.body.id,
      campaign_id: campaignId,
      units: 1,
    });
    const page = await (await browser.newContext()).newPage();
    expect((await page.goto(created.body.start_url))!.status()).toBe(200);
    await server.db
      .updateTable('investments')
      .set({ created_at: new Date(Date.now() - 31 * 86_400_000).toISOString() })
      .where('id', '=', created.body.id)
      .execute();
    expect((await page.goto(created.body.start_url))!.status()).toBe(410);
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
