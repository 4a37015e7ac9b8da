/**
 * The amounts of an investment to the cent (spec §7 "Amounts"), its payment details, and the
 * funding information of a campaign (spec §6).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accruedInterest } from '../src/interest/accrued.ts';
import { Money } from '../src/money/money.ts';
import {
  bothDocuments,
  createInvestor,
  createTenant,
  DISTRIBUTOR,
  ISSUER,
  invest,
  listedProduct,
  startTestServer,
  type Tenant,
  type TestServer,
} from './helpers.ts';

let server: TestServer;
let t: Tenant;
const IBAN = 'DE89370400440532013000';
const HOLDER = 'Alpha Issuer GmbH';
beforeAll(async () => {
  server = await startTestServer();
  t = await createTenant(server);
  // Payment details name the issuer's bank account.
  const bank = await t.issuer.patch(`${ISSUER}/issuers/${t.issuerId}/`, {
    bank_account: { account_holder: HOLDER, iban: IBAN, bic: 'COBADEFFXXX' },
  });
  expect(bank.status, bank.text).toBe(200);
});
afterAll(async () => server?.close());

const INVESTMENTS = `${DISTRIBUTOR}/investments/`;
const SIGNED = '2026-03-01T10:00:00Z';
const cents = (amount: string | number | bigint) => ({ amount: String(amount), decimals: 2, currency: 'EUR' });
const NO_INTEREST = {
  interest_rate: null,
  day_count_convention: null,
  interest_start_date: null,
  interest_frequency: null,
};
const references = new Set<string>();
let referenceCount = 0;

const investor = (options: { kyc?: boolean } = {}) => createInvestor(t.distributor, options);

async function create(body: Record<string, unknown>) {
  const created = await invest(t.distributor, body);
  if (created.payment_details) {
    references.add(created.payment_details.reference);
    referenceCount++;
  }
  return created;
}

const todayUtc = () => new Date().toISOString().slice(0, 10);

describe('investment_amount and agio, rounded half-up per line', () => {
  // Each row: price per token (cents) × units = investment_amount; × agio_percent / 100 = agio.
  const cases = [
    // 3 × EUR 0.33 = EUR 0.99; 99 ct × 2.5 % = 2.475 ct → 2 ct (below the half).
    { price: 33, units: 3, agio: '2.5', amount: 99, agioCents: 2 },
    // 3 × EUR 0.30 = EUR 0.90; 90 ct × 5 % = 4.5 ct → 5 ct (half-up; half-even would give 4).
    { price: 30, units: 3, agio: '5', amount: 90, agioCents: 5 },
    // 1 × EUR 0.10; 10 ct × 5 % = 0.5 ct → 1 ct (half-up; half-even would give 0).
    { price: 10, units: 1, agio: '5', amount: 10, agioCents: 1 },
    // 1 × EUR 1.01; 101 ct × 2.5 % = 2.525 ct → 3 ct.
    { price: 101, units: 1, agio: '2.5', amount: 101, agioCents: 3 },
    // 7 × EUR 12.34 = EUR 86.38; 8638 ct × 1.125 % = 97.1775 ct → 97 ct.
    { price: 1234, units: 7, agio: '1.125', amount: 8638, agioCents: 97 },
    // 3 × EUR 1.99 = EUR 5.97; no agio.
    { price: 199, units: 3, agio: '0', amount: 597, agioCents: 0 },
  ];
  it.each(cases)('$units × $price ct at $agio % agio', async ({ price, units, agio, amount, agioCents }) => {
    const { campaign } = await listedProduct(
      t,
      { asset_code: `AG${price}X${units}`, ...NO_INTEREST },
      { price_per_token: cents(price), agio_percent: agio },
    );
    const inv = await create({ investor_id: await investor(), campaign_id: campaign.id, units, signed_at: SIGNED });
    expect(inv).toMatchObject({
      price_per_token: cents(price),
      investment_amount: cents(amount),
      agio: cents(agioCents),
      disagio: cents(0),
      accrued_interest: cents(0),
      // investment_amount + agio − 0 + 0
      payment_total: cents(amount + agioCents),
    });
    expect(inv.payment_details).toMatchObject({
      iban: IBAN,
      account_holder: HOLDER,
      amount: cents(amount + agioCents),
      due_date: null,
    });
  });

  it('takes a price given at any decimals and answers in the currency’s minor unit', async () => {
    // EUR 0.330 = EUR 0.33.
    const { campaign } = await listedProduct(
      t,
      { asset_code: 'DEC3', ...NO_INTEREST },
      { price_per_token: { amount: '330', decimals: 3, currency: 'EUR' }, agio_percent: '2.5' },
    );
    const inv = await create({ investor_id: await investor(), campaign_id: campaign.id, units: 3, signed_at: SIGNED });
    expect(inv).toMatchObject({ price_per_token: cents(33), investment_amount: cents(99), agio: cents(2) });
  });
});

describe('disagio', () => {
  it('is set by PATCH, never above investment_amount + agio, and fixed once paid', async () => {
    // 3 × EUR 0.33 = 99 ct, agio 2.5 % = 2 ct: the disagio may be at most 101 ct.
    const { campaign } = await listedProduct(
      t,
      { asset_code: 'DISAGIO', ...NO_INTEREST },
      { price_per_token: cents(33), agio_percent: '2.5' },
    );
    const inv = await create({
      investor_id: await investor({ kyc: true }),
      campaign_id: campaign.id,
      units: 3,
      signed_at: SIGNED,
      signed_documents: await bothDocuments(t.distributor),
    });
    const path = `${INVESTMENTS}${inv.id}/`;
    const patch = (disagio: unknown) => t.distributor.patch(path, { disagio });

    for (const bad of [
      cents(102),
      { amount: '1011', decimals: 3, currency: 'EUR' },
      { amount: '-1', decimals: 2, currency: 'EUR' },
      { amount: '1005', decimals: 4, currency: 'EUR' },
    ]) {
      const res = await patch(bad);
      expect(res.status, res.text).toBe(400);
      expect(Object.keys(res.body.errors)).toEqual(['disagio']);
    }
    const usd = await patch({ amount: '10', decimals: 2, currency: 'USD' });
    expect(usd.status).toBe(400);
    expect(Object.keys(usd.body.errors)).toEqual(['disagio.currency']);
    expect((await t.distributor.get(path)).body.disagio).toEqual(cents(0));

    // Exactly investment_amount + agio (given at 3 decimals): nothing left to pay.
    const full = await patch({ amount: '1010', decimals: 3, currency: 'EUR' });
    expect(full.status, full.text).toBe(200);
    expect(full.body).toMatchObject({ disagio: cents(101), payment_total: cents(0) });
    expect(full.body.payment_details.amount).toEqual(cents(0));
    // 99 + 2 − 50 + 0 = 51 ct.
    const half = await patch(cents(50));
    expect(half.body).toMatchObject({ disagio: cents(50), payment_total: cents(51) });
    expect((await t.distributor.get(path)).body.payment_total).toEqual(cents(51));
    // The issuer API does not set a disagio.
    expect((await t.issuer.patch(`${ISSUER}/investments/${inv.id}/`, { disagio: cents(1) })).status).toBe(400);

    const accepted = await t.issuer.patch(`${ISSUER}/investments/${inv.id}/`, { accepted_at: '2026-03-02T10:00:00Z' });
    expect(accepted.status, accepted.text).toBe(200);
    // Still changeable while ACCEPTED.
    expect((await patch(cents(40))).body.payment_total).toEqual(cents(61));
    const paid = await t.distributor.patch(path, { paid_at: '2026-03-03T10:00:00Z' });
    expect(paid.body.status).toBe('PAID');
    const fixed = await patch(cents(10));
    expect(fixed.status).toBe(409);
    expect(fixed.body.code).toBe('disagio_fixed');
    expect((await t.distributor.get(path)).body).toMatchObject({ disagio: cents(40), payment_total: cents(61) });
  });

  it('given on create, it counts in payment_total', async () => {
    const { campaign } = await listedProduct(
      t,
      { asset_code: 'DISCREATE', ...NO_INTEREST },
      { price_per_token: cents(1000), agio_percent: '3' },
    );
    // 4 × EUR 10.00 = EUR 40.00; agio 3 % = EUR 1.20; disagio EUR 2.50: total EUR 38.70.
    const inv = await create({
      investor_id: await investor(),
      campaign_id: campaign.id,
      units: 4,
      signed_at: SIGNED,
      disagio: cents(250),
    });
    expect(inv).toMatchObject({
      investment_amount: cents(4000),
      agio: cents(120),
      disagio: cents(250),
      payment_total: cents(3870),
    });
  });
});

describe('accrued interest, frozen at acceptance', () => {
  it('ACT/ACT-ICMA annual, 5 %: today’s figure until acceptance, then EUR 24.93 for 2026-07-02 for good', async () => {
    const { product, campaign } = await listedProduct(
      t,
      {
        asset_code: 'ICMA',
        nominal_value: cents(10000),
        issuance_price: cents(10000),
        interest_rate: '5',
        day_count_convention: 'ACT/ACT-ICMA',
        interest_start_date: '2026-01-01',
        interest_frequency: 'ANNUAL',
        maturity_date: '2031-01-01',
        payment_deadline: 14,
      },
      // Sold above par: the interest runs on the nominal value, the price on the campaign's price.
      { price_per_token: cents(10100), agio_percent: '2' },
    );
    const inv = await create({
      investor_id: await investor({ kyc: true }),
      campaign_id: campaign.id,
      units: 10,
      signed_at: '2026-06-30T10:00:00Z',
      signed_documents: await bothDocuments(t.distributor),
    });
    expect(inv.status).toBe('WAITING_FOR_ACCEPTANCE');
    // 10 × EUR 101.00 = EUR 1010.00; agio 2 % = EUR 20.20.
    expect(inv).toMatchObject({ investment_amount: cents(101000), agio: cents(2020), disagio: cents(0) });
    // Before acceptance the value date is today (UTC).
    const today = accruedInterest({
      units: 10n,
      unitPrice: Money.of(10000n, 'EUR'),
      interestRate: '5',
      convention: 'ACT/ACT-ICMA',
      interestStartDate: '2026-01-01',
      frequency: 'ANNUAL',
      maturityDate: '2031-01-01',
      valueDate: todayUtc(),
    }).minor;
    const path = `${INVESTMENTS}${inv.id}/`;
    for (const read of [
      inv,
      (await t.distributor.get(path)).body,
      (await t.issuer.get(`${ISSUER}/investments/${inv.id}/`)).body,
    ]) {
      expect(read.accrued_interest).toEqual(cents(today));
      expect(read.payment_total).toEqual(cents(101000n + 2020n + today));
      expect(read.payment_details).toEqual({
        iban: IBAN,
        account_holder: HOLDER,
        reference: inv.payment_details.reference,
        amount: cents(101000n + 2020n + today),
        due_date: null,
      });
    }
    expect(inv.payment_details.reference).toMatch(/\S{6,}/);

    const accepted = await t.issuer.patch(`${ISSUER}/investments/${inv.id}/`, { accepted_at: '2026-07-02T10:00:00Z' });
    expect(accepted.status, accepted.text).toBe(200);
    // 10 × EUR 100.00 (nominal) = EUR 1000.00 × 5 % = EUR 50.00 a year;
    // 2026-01-01 → 2026-07-02 = 31+28+31+30+31+30+1 = 182 days of a 365-day coupon period;
    // EUR 50.00 × 182 / 365 = EUR 24.9315… → EUR 24.93.
    // payment_total = 1010.00 + 20.20 − 0 + 24.93 = EUR 1055.13; due 2026-07-02 + 14 days = 2026-07-16.
    const expected = {
      status: 'ACCEPTED',
      accrued_interest: cents(2493),
      payment_total: cents(105513),
      payment_details: {
        iban: IBAN,
        account_holder: HOLDER,
        reference: inv.payment_details.reference,
        amount: cents(105513),
        due_date: '2026-07-16',
      },
    };
    expect(accepted.body).toMatchObject(expected);
    expect((await t.distributor.get(path)).body).toMatchObject(expected);
    expect((await t.distributor.get(`${INVESTMENTS}?product_id=${product.id}`)).body.results[0]).toMatchObject(
      expected,
    );

    // A disagio after acceptance lowers the total; the interest stays frozen. 1055.13 − 10.00 = 1045.13.
    const disagio = await t.distributor.patch(path, { disagio: cents(1000) });
    expect(disagio.body).toMatchObject({ accrued_interest: cents(2493), payment_total: cents(104513) });
    expect(disagio.body.payment_details.amount).toEqual(cents(104513));
    const paid = await t.distributor.patch(path, { paid_at: '2026-07-10T10:00:00Z' });
    expect(paid.body).toMatchObject({ status: 'PAID', accrued_interest: cents(2493), payment_total: cents(104513) });
    expect(paid.body.payment_details.due_date).toBe('2026-07-16');
  });

  it('30E/360 semi-annual, 4 %: accrues from the last coupon date (EUR 6.56 on 2026-08-31)', async () => {
    const { campaign } = await listedProduct(
      t,
      {
        asset_code: 'THIRTY',
        nominal_value: cents(5000),
        issuance_price: cents(5000),
        interest_rate: '4',
        day_count_convention: '30E/360',
        interest_start_date: '2026-01-01',
        interest_frequency: 'SEMI_ANNUAL',
        maturity_date: '2030-01-01',
        payment_deadline: 10,
      },
      { price_per_token: cents(5000) },
    );
    const inv = await create({
      investor_id: await investor({ kyc: true }),
      campaign_id: campaign.id,
      units: 20,
      signed_at: '2026-08-30T10:00:00Z',
      signed_documents: await bothDocuments(t.distributor),
      accepted_at: '2026-08-31T15:00:00Z',
    });
    // Coupon dates 2026-01-01, 2026-07-01, …: the accrual starts 2026-07-01.
    // 30E/360 from 2026-07-01 to 2026-08-31: day 31 → 30; 30 × (8 − 7) + (30 − 1) = 59 days.
    // 20 × EUR 50.00 = EUR 1000.00 × 4 % = EUR 40.00 a year × 59 / 360 = EUR 6.5555… → EUR 6.56.
    // payment_total = 1000.00 + 0 − 0 + 6.56 = EUR 1006.56; due 2026-08-31 + 10 days = 2026-09-10.
    expect(inv).toMatchObject({
      status: 'ACCEPTED',
      investment_amount: cents(100000),
      agio: cents(0),
      accrued_interest: cents(656),
      payment_total: cents(100656),
      payment_details: { amount: cents(100656), due_date: '2026-09-10', iban: IBAN, account_holder: HOLDER },
    });
    expect((await t.distributor.get(`${INVESTMENTS}${inv.id}/`)).body.accrued_interest).toEqual(cents(656));
  });

  it('without a nominal value the interest runs on the issuance price (EUR 19.95)', async () => {
    const { campaign } = await listedProduct(
      t,
      {
        asset_code: 'ISSPRICE',
        nominal_value: null,
        issuance_price: cents(8000),
        interest_rate: '5',
        day_count_convention: 'ACT/ACT-ICMA',
        interest_start_date: '2026-01-01',
        interest_frequency: 'ANNUAL',
        maturity_date: '2031-01-01',
      },
      { price_per_token: cents(8000) },
    );
    const inv = await create({
      investor_id: await investor({ kyc: true }),
      campaign_id: campaign.id,
      units: 10,
      signed_at: '2026-07-01T10:00:00Z',
      signed_documents: await bothDocuments(t.distributor),
      accepted_at: '2026-07-02T10:00:00Z',
    });
    // 10 × EUR 80.00 = EUR 800.00 × 5 % = EUR 40.00 × 182 / 365 = EUR 19.9452… → EUR 19.95.
    expect(inv).toMatchObject({
      investment_amount: cents(80000),
      accrued_interest: cents(1995),
      payment_total: cents(81995),
      payment_details: { due_date: '2026-07-16' },
    });
  });

  it('is zero without an interest rate, accepted or not', async () => {
    const { campaign } = await listedProduct(
      t,
      { asset_code: 'ZERO', ...NO_INTEREST, payment_deadline: 7 },
      { price_per_token: cents(2500), agio_percent: '1' },
    );
    const investorId = await investor({ kyc: true });
    const open = await create({ investor_id: investorId, campaign_id: campaign.id, units: 2, signed_at: SIGNED });
    // 2 × EUR 25.00 = EUR 50.00; agio 1 % = EUR 0.50.
    expect(open).toMatchObject({ accrued_interest: cents(0), payment_total: cents(5050) });
    const accepted = await create({
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 2,
      signed_at: SIGNED,
      signed_documents: await bothDocuments(t.distributor),
      accepted_at: '2026-07-02T10:00:00Z',
    });
    expect(accepted).toMatchObject({
      accrued_interest: cents(0),
      payment_total: cents(5050),
      payment_details: { amount: cents(5050), due_date: '2026-07-09' },
    });
  });

  it('is zero before the interest start, and today’s figure matches accrued.ts on every read', async () => {
    const terms = {
      nominal_value: cents(100000),
      issuance_price: cents(100000),
      interest_rate: '3.75',
      day_count_convention: 'ACT/360',
      interest_start_date: '2026-02-15',
      interest_frequency: 'QUARTERLY',
      maturity_date: '2029-02-15',
    };
    const { campaign } = await listedProduct(t, { asset_code: 'ACT360', ...terms }, { price_per_token: cents(100000) });
    const later = await listedProduct(
      t,
      { asset_code: 'LATER', ...terms, interest_start_date: '2027-06-01', maturity_date: '2030-06-01' },
      { price_per_token: cents(100000) },
    );
    const investorId = await investor();
    const now = await create({ investor_id: investorId, campaign_id: campaign.id, units: 3, signed_at: SIGNED });
    const expected = accruedInterest({
      units: 3n,
      unitPrice: Money.of(100000n, 'EUR'),
      interestRate: '3.75',
      convention: 'ACT/360',
      interestStartDate: '2026-02-15',
      frequency: 'QUARTERLY',
      maturityDate: '2029-02-15',
      valueDate: todayUtc(),
    }).minor;
    expect(now.accrued_interest).toEqual(cents(expected));
    expect(now.payment_total).toEqual(cents(300000n + expected));
    const list = await t.distributor.get(`${INVESTMENTS}?investor_id=${investorId}`);
    expect(list.body.results[0].accrued_interest).toEqual(cents(expected));

    const notYet = await create({
      investor_id: investorId,
      campaign_id: later.campaign.id,
      units: 3,
      signed_at: SIGNED,
    });
    expect(notYet).toMatchObject({ accrued_interest: cents(0), payment_total: cents(300000) });
  });

  it('gives every investment its own payment reference', () => {
    expect(referenceCount).toBeGreaterThan(10);
    expect(references.size).toBe(referenceCount);
  });
});

describe('funding information (spec §6)', () => {
  it('counts units by stage, the live investments, the money raised, and what is left', async () => {
    const { product, campaign } = await listedProduct(
      t,
      { asset_code: 'FUND', ...NO_INTEREST },
      { allocation: 100, price_per_token: cents(1000), agio_percent: '5' },
    );
    const path = `${DISTRIBUTOR}/products/${product.id}/campaigns/${campaign.id}/funding-information/`;
    const empty = await t.distributor.get(path);
    expect(empty.status, empty.text).toBe(200);
    expect(empty.body).toMatchObject({
      allocation: 100,
      units_signed: 0,
      units_accepted: 0,
      units_paid: 0,
      units_delivered: 0,
      units_available: 100,
      investments_count: 0,
      amount_raised: cents(0),
    });
    expect(Number.isNaN(Date.parse(empty.body.updated_at))).toBe(false);

    const pending = await investor();
    const ready = await investor({ kyc: true });
    const base = { campaign_id: campaign.id, signed_at: SIGNED };
    await create({ ...base, investor_id: pending, units: 5 }); // KYC_PENDING
    await create({ ...base, investor_id: ready, units: 7 }); // WAITING_FOR_ACCEPTANCE
    const accepted = await create({
      ...base,
      investor_id: ready,
      units: 3,
      signed_documents: await bothDocuments(t.distributor),
      accepted_at: '2026-03-02T10:00:00Z',
    });
    expect(accepted.status).toBe('ACCEPTED');
    const paid = await create({
      ...base,
      investor_id: ready,
      units: 4,
      signed_documents: await bothDocuments(t.distributor),
      accepted_at: '2026-03-02T10:00:00Z',
      paid_at: '2026-03-03T10:00:00Z',
    });
    expect(paid.status).toBe('PAID');
    const web = await create({ investor_id: pending, campaign_id: campaign.id, units: 2 }); // PENDING
    expect(web.status).toBe('PENDING');
    const aborted = await create({ ...base, investor_id: pending, units: 6 });
    expect(
      (await t.distributor.post(`${INVESTMENTS}${aborted.id}/cancellation/`, { cancellation_date: SIGNED })).status,
    ).toBe(200);
    const rejected = await create({ ...base, investor_id: ready, units: 8 });
    const reject = await t.issuer.post(`${ISSUER}/investments/${rejected.id}/cancellation/`, {
      reason: 'REJECTION',
      cancellation_date: SIGNED,
    });
    expect(reject.status, reject.text).toBe(200);

    // Live: 5 (KYC_PENDING) + 7 (WAITING) + 3 (ACCEPTED) + 4 (PAID) signed, + 2 PENDING unsigned.
    // Ended (ABORTION 6, REJECTION 8) hold nothing. amount_raised = 4 × EUR 10.00 (agio apart).
    const info = await t.distributor.get(path);
    expect(info.body).toMatchObject({
      allocation: 100,
      units_signed: 19,
      units_accepted: 7,
      units_paid: 4,
      units_delivered: 0,
      units_available: 100 - 21,
      investments_count: 5,
      amount_raised: cents(4000),
    });
    expect(info.body.updated_at >= empty.body.updated_at).toBe(true);
    // The path without its trailing slash answers the same.
    expect((await t.distributor.get(path.slice(0, -1))).body).toEqual(info.body);

    // The issuer cancels the paid one: money and units go back.
    const cancel = await t.issuer.post(`${ISSUER}/investments/${paid.id}/cancellation/`, {
      reason: 'CANCELLATION',
      cancellation_date: '2026-03-04T10:00:00Z',
    });
    expect(cancel.status, cancel.text).toBe(200);
    expect((await t.distributor.get(path)).body).toMatchObject({
      units_signed: 15,
      units_accepted: 3,
      units_paid: 0,
      units_available: 100 - 17,
      investments_count: 4,
      amount_raised: cents(0),
    });
  });

  it('is the platform’s own campaign only: another platform, or a wrong product, gets 404', async () => {
    const { product, campaign } = await listedProduct(t, { asset_code: 'FUNDOWN', ...NO_INTEREST });
    const other = await createTenant(server, 'Nosy');
    const mine = await listedProduct(other, { asset_code: 'FUNDNOSY', ...NO_INTEREST });
    const path = `${DISTRIBUTOR}/products/${product.id}/campaigns/${campaign.id}/funding-information/`;
    expect((await t.distributor.get(path)).status).toBe(200);
    const theirs = await other.distributor.get(path);
    expect(theirs.status).toBe(404);
    expect(theirs.body.code).toBe('not_found');
    const mixed = await t.distributor.get(
      `${DISTRIBUTOR}/products/${mine.product.id}/campaigns/${campaign.id}/funding-information/`,
    );
    expect(mixed.status).toBe(404);
    // Not on the issuer surface, and not for an issuer token on the distributor surface.
    expect((await t.issuer.get(path)).status).toBe(403);
  });
});
