/**
 * Creating investments (spec §7): every check at create, each a clear 4xx with nothing stored;
 * web-based subscription; wallet changes; idempotent creates.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAllowance, setWebSubscription } from '../src/parties/service.ts';
import {
  bothDocuments,
  createTenant,
  DISTRIBUTOR,
  ISSUER,
  identify,
  invest,
  investorWithWallet,
  listedProduct,
  newAddress,
  startTestServer,
  type Tenant,
  type TestServer,
  unitsReserved,
  uploadPdf,
} from './helpers.ts';

let server: TestServer;
let t: Tenant;
let other: Tenant;
beforeAll(async () => {
  server = await startTestServer();
  t = await createTenant(server);
  other = await createTenant(server, 'Other');
});
afterAll(async () => server?.close());

const INVESTMENTS = `${DISTRIBUTOR}/investments/`;
const SIGNED = '2026-03-01T10:00:00Z';
const tomorrow = () => new Date(Date.now() + 24 * 3600 * 1000).toISOString();

async function legalInvestor(api: Tenant['distributor']): Promise<string> {
  const investor = await api.post(`${DISTRIBUTOR}/investors/`, { legal_person: { company_name: 'Muster AG' } });
  expect(investor.status, investor.text).toBe(201);
  return investor.body.id;
}

async function count(table: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(server.db);
  return Number(rows[0]!.n);
}

/** Everything a create could leave behind. */
async function snapshot() {
  const campaigns = await server.db.selectFrom('campaigns').select(['id', 'units_reserved']).orderBy('id').execute();
  return {
    investments: await count('investments'),
    documents: await count('investment_documents'),
    history: await count('investment_status_changes'),
    events: await count('events'),
    emails: await count('emails'),
    reserved: campaigns.map((c) => `${c.id}:${c.units_reserved}`),
  };
}

const reservedOf = (campaignId: string) => unitsReserved(server.db, campaignId);

/** POSTs a create that must be refused: the status, the code, the field, and nothing stored. */
async function expectRefused(
  body: Record<string, unknown>,
  status: number,
  code: string,
  field?: string,
  api: Tenant['distributor'] = t.distributor,
) {
  const before = await snapshot();
  const res = await api.post(INVESTMENTS, body);
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({ status, code });
  expect(typeof res.body.detail).toBe('string');
  if (status === 400) {
    expect(res.body.errors, res.text).toBeDefined();
    if (field) expect(Object.keys(res.body.errors), res.text).toContain(field);
  }
  expect(await snapshot()).toEqual(before);
  return res;
}

const create = (body: Record<string, unknown>, api = t.distributor) => invest(api, body);

describe('create checks (spec §7): a clear 4xx each, nothing stored', () => {
  it('refuses an inactive campaign (409 campaign_inactive) until it is switched on', async () => {
    const { product, campaign } = await listedProduct(t, { asset_code: 'OFF' }, { is_campaign_active: false });
    const { investorId } = await investorWithWallet(t.distributor);
    const body = { investor_id: investorId, campaign_id: campaign.id, units: 5, signed_at: SIGNED };
    await expectRefused(body, 409, 'campaign_inactive');
    const on = await t.issuer.patch(`${ISSUER}/products/${product.id}/campaigns/${campaign.id}/`, {
      is_campaign_active: true,
    });
    expect(on.status, on.text).toBe(200);
    expect((await create(body)).status).toBe('KYC_PENDING');
    expect(await reservedOf(campaign.id)).toBe(5);
  });

  it('refuses a campaign of another platform, an unknown one, or one whose issuer is no longer allowed (400 campaign_id)', async () => {
    const theirs = await listedProduct(other, { asset_code: 'THEIRS' });
    const { investorId } = await investorWithWallet(t.distributor);
    const base = { investor_id: investorId, units: 5, signed_at: SIGNED };
    await expectRefused({ ...base, campaign_id: theirs.campaign.id }, 400, 'validation_error', 'campaign_id');
    await expectRefused(
      { ...base, campaign_id: '0190b4a3-0000-7000-8000-000000000000' },
      400,
      'validation_error',
      'campaign_id',
    );
    // A tenant of its own: the registrar withdraws the issuer's allowance for the platform.
    const z = await createTenant(server, 'Revoked');
    const { campaign } = await listedProduct(z, { asset_code: 'REVOKED' });
    const zi = await investorWithWallet(z.distributor);
    const zbody = { investor_id: zi.investorId, campaign_id: campaign.id, units: 5, signed_at: SIGNED };
    await server.db.transaction().execute((trx) => setAllowance(trx, z.issuerId, z.platformId, false));
    await expectRefused(zbody, 400, 'validation_error', 'campaign_id', z.distributor);
    await server.db.transaction().execute((trx) => setAllowance(trx, z.issuerId, z.platformId, true));
    await create(zbody, z.distributor);
  });

  it('refuses an investor of another platform or an unknown one (400 investor_id)', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'FOREIGN' });
    const theirs = await investorWithWallet(other.distributor);
    const base = { campaign_id: campaign.id, units: 5, signed_at: SIGNED };
    await expectRefused({ ...base, investor_id: theirs.investorId }, 400, 'validation_error', 'investor_id');
    await expectRefused(
      { ...base, investor_id: '0190b4a3-0000-7000-8000-000000000001' },
      400,
      'validation_error',
      'investor_id',
    );
  });

  it('refuses a person type the campaign does not allow (400 investor_id)', async () => {
    const naturalOnly = await listedProduct(t, { asset_code: 'NAT' }, { legal_persons_allowed: false });
    const legalOnly = await listedProduct(t, { asset_code: 'LEG' }, { natural_persons_allowed: false });
    const natural = (await investorWithWallet(t.distributor)).investorId;
    const legal = await legalInvestor(t.distributor);
    const body = (investor: string, campaign: string) => ({
      investor_id: investor,
      campaign_id: campaign,
      units: 5,
      signed_at: SIGNED,
    });
    await expectRefused(body(legal, naturalOnly.campaign.id), 400, 'validation_error', 'investor_id');
    await expectRefused(body(natural, legalOnly.campaign.id), 400, 'validation_error', 'investor_id');
    await create(body(natural, naturalOnly.campaign.id));
    await create(body(legal, legalOnly.campaign.id));
  });

  it('keeps units within min_number_of_tokens..max_number_of_tokens (400 units)', async () => {
    const { campaign } = await listedProduct(
      t,
      { asset_code: 'BOUNDS' },
      { min_number_of_tokens: 2, max_number_of_tokens: 20 },
    );
    const { investorId } = await investorWithWallet(t.distributor);
    const body = (units: unknown) => ({ investor_id: investorId, campaign_id: campaign.id, units, signed_at: SIGNED });
    await expectRefused(body(1), 400, 'validation_error', 'units');
    await expectRefused(body(21), 400, 'validation_error', 'units');
    // Not a positive whole number: refused by the schema.
    await expectRefused(body(0), 400, 'validation_error', 'units');
    await expectRefused(body(2.5), 400, 'validation_error', 'units');
    await expectRefused(body('3'), 400, 'validation_error', 'units');
    // The bounds themselves are fine.
    expect((await create(body(2))).units).toBe(2);
    expect((await create(body(20))).units).toBe(20);
    expect(await reservedOf(campaign.id)).toBe(22);
  });

  it("wants a multiple of the product's step_size (400 units)", async () => {
    const { campaign } = await listedProduct(
      t,
      { asset_code: 'STEP', step_size: 5 },
      { min_number_of_tokens: 5, max_number_of_tokens: 50 },
    );
    const { investorId } = await investorWithWallet(t.distributor);
    const body = (units: number) => ({ investor_id: investorId, campaign_id: campaign.id, units, signed_at: SIGNED });
    await expectRefused(body(7), 400, 'validation_error', 'units');
    await expectRefused(body(12), 400, 'validation_error', 'units');
    expect((await create(body(10))).units).toBe(10);
  });

  it('refuses less than the minimum investment amount of a minimum_investment_amount campaign (400 units)', async () => {
    // EUR 10.00 per token, minimum EUR 500.00: 49 tokens = EUR 490.00 are too few, 50 = EUR 500.00 are enough.
    const { campaign } = await listedProduct(
      t,
      { asset_code: 'MINAMT' },
      {
        rule_type: 'minimum_investment_amount',
        minimum_investment_amount: { amount: '50000', decimals: 2, currency: 'EUR' },
        price_per_token: { amount: '1000', decimals: 2, currency: 'EUR' },
      },
    );
    const { investorId } = await investorWithWallet(t.distributor);
    const body = (units: number) => ({ investor_id: investorId, campaign_id: campaign.id, units, signed_at: SIGNED });
    await expectRefused(body(49), 400, 'validation_error', 'units');
    const ok = await create(body(50));
    expect(ok.investment_amount).toEqual({ amount: '50000', decimals: 2, currency: 'EUR' });
  });

  it('refuses more units than are left of the allocation (409 allocation_exceeded)', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'ALLOC' }, { allocation: 10, max_number_of_tokens: 10 });
    const { investorId } = await investorWithWallet(t.distributor);
    const body = (units: number) => ({ investor_id: investorId, campaign_id: campaign.id, units, signed_at: SIGNED });
    await create(body(8));
    const over = await expectRefused(body(3), 409, 'allocation_exceeded');
    expect(over.body.detail).toContain('2 units left');
    await create(body(2));
    await expectRefused(body(1), 409, 'allocation_exceeded');
    expect(await reservedOf(campaign.id)).toBe(10);
  });

  it("wants a wallet of the investment's own investor with receiving_enabled (400 wallet)", async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'WAL' });
    const mine = await investorWithWallet(t.distributor);
    const someoneElse = await investorWithWallet(t.distributor);
    const theirs = await investorWithWallet(other.distributor);
    const closed = await t.distributor.post(`${DISTRIBUTOR}/investors/${mine.investorId}/wallets/eth-generic/`, {
      address: newAddress(),
      receiving_enabled: false,
    });
    expect(closed.status, closed.text).toBe(201);
    const body = (wallet: string) => ({
      investor_id: mine.investorId,
      campaign_id: campaign.id,
      units: 5,
      signed_at: SIGNED,
      wallet,
    });
    await expectRefused(body(someoneElse.walletId), 400, 'validation_error', 'wallet');
    await expectRefused(body(theirs.walletId), 400, 'validation_error', 'wallet');
    await expectRefused(body(closed.body.id), 400, 'validation_error', 'wallet');
    await expectRefused(body('0190b4a3-0000-7000-8000-000000000002'), 400, 'validation_error', 'wallet');
    expect((await create(body(mine.walletId))).wallet).toBe(mine.walletId);
  });

  it('refuses a disagio above investment_amount + agio, in another currency, finer than cents or negative (400 disagio)', async () => {
    // 5 × EUR 1.00 = EUR 5.00, agio 2 % = EUR 0.10: the disagio may be at most EUR 5.10 (510 ct).
    const { campaign } = await listedProduct(t, { asset_code: 'DIS' }, { agio_percent: '2' });
    const { investorId } = await investorWithWallet(t.distributor);
    const body = (disagio: unknown) => ({
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 5,
      signed_at: SIGNED,
      disagio,
    });
    await expectRefused(body({ amount: '511', decimals: 2, currency: 'EUR' }), 400, 'validation_error', 'disagio');
    await expectRefused(body({ amount: '5101', decimals: 3, currency: 'EUR' }), 400, 'validation_error', 'disagio');
    await expectRefused(
      body({ amount: '100', decimals: 2, currency: 'USD' }),
      400,
      'validation_error',
      'disagio.currency',
    );
    await expectRefused(body({ amount: '1005', decimals: 4, currency: 'EUR' }), 400, 'validation_error', 'disagio');
    await expectRefused(body({ amount: '-1', decimals: 2, currency: 'EUR' }), 400, 'validation_error', 'disagio');
    // Exactly investment_amount + agio, given at 3 decimals: allowed, nothing left to pay.
    const full = await create(body({ amount: '5100', decimals: 3, currency: 'EUR' }));
    expect(full).toMatchObject({
      investment_amount: { amount: '500', decimals: 2, currency: 'EUR' },
      agio: { amount: '10', decimals: 2, currency: 'EUR' },
      disagio: { amount: '510', decimals: 2, currency: 'EUR' },
    });
  });

  it('refuses a signed document of another platform or an unknown one (400 signed_documents.N.document_id)', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'DOCS' });
    const { investorId } = await investorWithWallet(t.distributor);
    const mine = await uploadPdf(t.distributor, 'tos.pdf');
    const theirs = await uploadPdf(other.distributor, 'terms.pdf');
    const body = (documentId: string) => ({
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 5,
      signed_at: SIGNED,
      signed_documents: [
        { category: 'effecta_cryptoregistry_tos', document_id: mine },
        { category: 'effecta_document', document_id: documentId },
      ],
    });
    await expectRefused(body(theirs), 400, 'validation_error', 'signed_documents.1.document_id');
    await expectRefused(
      body('0190b4a3-0000-7000-8000-000000000003'),
      400,
      'validation_error',
      'signed_documents.1.document_id',
    );
    const ok = await create(body(await uploadPdf(t.distributor, 'terms.pdf')));
    const docs = await t.distributor.get(`${INVESTMENTS}${ok.id}/signed-documents/`);
    expect(docs.body.count).toBe(2);
    expect(docs.body.results.map((d: { category: string }) => d.category).sort()).toEqual([
      'effecta_cryptoregistry_tos',
      'effecta_document',
    ]);
    // The same document twice in one category: 409, and nothing is created.
    await expectRefused(
      {
        ...body(mine),
        signed_documents: [
          { category: 'effecta_document', document_id: mine },
          { category: 'effecta_document', document_id: mine },
        ],
      },
      409,
      'already_attached',
    );
  });

  it('refuses accepted_at on create when the investment is not ready (409), storing nothing and reserving nothing', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'NOTREADY' });
    const { investorId } = await investorWithWallet(t.distributor);
    const docs = await bothDocuments(t.distributor);
    const base = { investor_id: investorId, campaign_id: campaign.id, units: 5, signed_at: SIGNED };
    // KYC not done.
    const kyc = await expectRefused(
      { ...base, signed_documents: docs, accepted_at: '2026-03-02T10:00:00Z' },
      409,
      'not_ready_for_acceptance',
    );
    expect(kyc.body.detail).toContain('KYC');
    await identify(t.distributor, investorId);
    // KYC done, a signed document missing.
    await expectRefused(
      { ...base, signed_documents: docs.slice(0, 1), accepted_at: '2026-03-02T10:00:00Z' },
      409,
      'signed_documents_missing',
    );
    // Not signed at all (a web subscription cannot be accepted on create): a 4xx, nothing stored.
    const before = await snapshot();
    const unsigned = await t.distributor.post(INVESTMENTS, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 5,
      signed_documents: docs,
      accepted_at: '2026-03-02T10:00:00Z',
    });
    expect([400, 409]).toContain(unsigned.status);
    expect(await snapshot()).toEqual(before);
    expect(await reservedOf(campaign.id)).toBe(0);
  });

  it('refuses paid_at without accepted_at, and before accepted_at (400 paid_at)', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'PAIDAT' });
    const { investorId } = await investorWithWallet(t.distributor);
    await identify(t.distributor, investorId);
    const base = { investor_id: investorId, campaign_id: campaign.id, units: 5, signed_at: SIGNED };
    await expectRefused({ ...base, paid_at: '2026-03-03T10:00:00Z' }, 400, 'validation_error', 'paid_at');
    const docs = await bothDocuments(t.distributor);
    await expectRefused(
      { ...base, signed_documents: docs, accepted_at: '2026-03-03T10:00:00Z', paid_at: '2026-03-02T10:00:00Z' },
      400,
      'validation_error',
      'paid_at',
    );
  });

  it('refuses timestamps in the future and timestamps without an offset (400 on the field)', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'FUTURE' });
    const { investorId } = await investorWithWallet(t.distributor);
    await identify(t.distributor, investorId);
    const base = { investor_id: investorId, campaign_id: campaign.id, units: 5 };
    await expectRefused({ ...base, signed_at: tomorrow() }, 400, 'validation_error', 'signed_at');
    await expectRefused(
      { ...base, signed_at: SIGNED, accepted_at: tomorrow() },
      400,
      'validation_error',
      'accepted_at',
    );
    await expectRefused(
      { ...base, signed_at: SIGNED, accepted_at: '2026-03-02T10:00:00Z', paid_at: tomorrow() },
      400,
      'validation_error',
      'paid_at',
    );
    await expectRefused({ ...base, signed_at: '2026-03-01T10:00:00' }, 400, 'validation_error', 'signed_at');
  });

  it('refuses unknown keys and missing required keys (400)', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'SHAPE' });
    const { investorId } = await investorWithWallet(t.distributor);
    const base = { investor_id: investorId, campaign_id: campaign.id, units: 5, signed_at: SIGNED };
    await expectRefused({ ...base, colour: 'red' }, 400, 'validation_error', 'colour');
    await expectRefused(
      { investor_id: investorId, units: 5, signed_at: SIGNED },
      400,
      'validation_error',
      'campaign_id',
    );
    await expectRefused(
      { campaign_id: campaign.id, units: 5, signed_at: SIGNED },
      400,
      'validation_error',
      'investor_id',
    );
    await expectRefused({ investor_id: investorId, campaign_id: campaign.id }, 400, 'validation_error', 'units');
  });
});

describe('web-based subscription (spec §7)', () => {
  it('answers a create without signed_at with PENDING and a stable, unique, absolute start_url', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'WEB' });
    const { investorId } = await investorWithWallet(t.distributor);
    const body = { investor_id: investorId, campaign_id: campaign.id, units: 5 };
    const first = await create(body);
    const second = await create(body);
    for (const inv of [first, second]) {
      expect(inv).toMatchObject({ status: 'PENDING', signed_at: null, units: 5 });
      const url = new URL(inv.start_url);
      expect(url.href).toBe(inv.start_url);
      expect(['http:', 'https:']).toContain(url.protocol);
      expect(url.host).toBe(new URL(server.url).host);
      // The last path segment is the secret: at least 32 url-safe random characters.
      const secret = url.pathname.split('/').filter(Boolean).at(-1)!;
      expect(secret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    }
    expect(first.start_url).not.toBe(second.start_url);
    // Stable across reads, on every surface.
    const read = await t.distributor.get(`${INVESTMENTS}${first.id}/`);
    expect(read.body.start_url).toBe(first.start_url);
    const listed = await t.distributor.get(`${INVESTMENTS}?campaign_id=${campaign.id}`);
    expect(listed.body.results.map((i: { start_url: string }) => i.start_url)).toEqual([
      first.start_url,
      second.start_url,
    ]);
    expect((await t.issuer.get(`${ISSUER}/investments/${first.id}/`)).body.start_url).toBe(first.start_url);
    expect((await t.distributor.get(`${INVESTMENTS}${first.id}/`)).body.start_url).toBe(first.start_url);
    // A signed investment has none.
    expect((await create({ ...body, signed_at: SIGNED })).start_url).toBeNull();
    expect(await reservedOf(campaign.id)).toBe(15);
  });

  it('is refused with 403 web_subscription_not_enabled where the registrar has not switched it on', async () => {
    const off = await createTenant(server, 'NoWeb');
    await server.db.transaction().execute((trx) => setWebSubscription(trx, off.platformId, false));
    const { campaign } = await listedProduct(off, { asset_code: 'NOWEB' });
    const { investorId } = await investorWithWallet(off.distributor);
    const body = { investor_id: investorId, campaign_id: campaign.id, units: 5 };
    await expectRefused(body, 403, 'web_subscription_not_enabled', undefined, off.distributor);
    // A signed create works as ever.
    const signed = await create({ ...body, signed_at: SIGNED }, off.distributor);
    expect(signed).toMatchObject({ status: 'KYC_PENDING', start_url: null });
  });

  // Regression: a PENDING web subscription has no signed_at; ending it must not violate the
  // table's signed_at check (it once answered 500).
  it('lets the investor abort a PENDING web subscription (ABORTION) and releases its units', async () => {
    const { product, campaign } = await listedProduct(t, { asset_code: 'WEBABORT' });
    const { investorId } = await investorWithWallet(t.distributor);
    const pending = await create({ investor_id: investorId, campaign_id: campaign.id, units: 5 });
    expect(await reservedOf(campaign.id)).toBe(5);
    const res = await t.distributor.post(`${INVESTMENTS}${pending.id}/cancellation/`, {
      cancellation_date: '2026-03-05T10:00:00Z',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'ABORTION', cancellation_reason: 'ABORTION' });
    expect(await reservedOf(campaign.id)).toBe(0);
    const funding = await t.distributor.get(
      `${DISTRIBUTOR}/products/${product.id}/campaigns/${campaign.id}/funding-information/`,
    );
    expect(funding.body.units_available).toBe(10000);
  });
});

describe('wallet changes (spec §7)', () => {
  it('sets, changes, clears and restores the wallet; refuses another investor’s or a closed one', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'WCHG' });
    const mine = await investorWithWallet(t.distributor);
    const someoneElse = await investorWithWallet(t.distributor);
    const second = await t.distributor.post(`${DISTRIBUTOR}/investors/${mine.investorId}/wallets/eth-managed/`, {});
    expect(second.status, second.text).toBe(201);
    const closed = await t.distributor.post(`${DISTRIBUTOR}/investors/${mine.investorId}/wallets/eth-generic/`, {
      address: newAddress(),
      receiving_enabled: false,
    });
    const inv = await create({
      investor_id: mine.investorId,
      campaign_id: campaign.id,
      units: 5,
      signed_at: SIGNED,
      wallet: mine.walletId,
    });
    const path = `${INVESTMENTS}${inv.id}/`;
    const wallet = async () => (await t.distributor.get(path)).body.wallet;

    for (const bad of [someoneElse.walletId, closed.body.id, '0190b4a3-0000-7000-8000-000000000004']) {
      const res = await t.distributor.patch(path, { wallet: bad });
      expect(res.status, res.text).toBe(400);
      expect(Object.keys(res.body.errors)).toEqual(['wallet']);
      expect(await wallet()).toBe(mine.walletId);
    }
    const cleared = await t.distributor.patch(path, { wallet: null });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.wallet).toBeNull();
    expect(await wallet()).toBeNull();
    const managed = await t.distributor.patch(path, { wallet: second.body.id });
    expect(managed.body.wallet).toBe(second.body.id);
    const back = await t.distributor.patch(path, { wallet: mine.walletId });
    expect(back.status).toBe(200);
    expect(await wallet()).toBe(mine.walletId);
    // An investment without a wallet gets one later.
    const bare = await create({ investor_id: mine.investorId, campaign_id: campaign.id, units: 5, signed_at: SIGNED });
    expect(bare.wallet).toBeNull();
    expect((await t.distributor.patch(`${INVESTMENTS}${bare.id}/`, { wallet: mine.walletId })).body.wallet).toBe(
      mine.walletId,
    );
    // Once ended, no more changes.
    await t.distributor.post(`${path}cancellation/`, { cancellation_date: '2026-03-05T10:00:00Z' });
    const ended = await t.distributor.patch(path, { wallet: null });
    expect(ended.status).toBe(409);
    // The issuer API has no wallet to set.
    expect((await t.issuer.patch(`${ISSUER}/investments/${bare.id}/`, { wallet: null })).status).toBe(400);
  });
});

describe('idempotent create (spec §3)', () => {
  it('replays byte for byte and reserves the units once', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'IDEM' });
    const { investorId } = await investorWithWallet(t.distributor);
    const body = { investor_id: investorId, campaign_id: campaign.id, units: 7, signed_at: SIGNED };
    const headers = { 'X-Idempotency-Key': `inv-${randomBytes(4).toString('hex')}` };
    const before = await count('investments');
    const first = await t.distributor.post(INVESTMENTS, body, { headers });
    expect(first.status, first.text).toBe(201);
    const again = await t.distributor.post(INVESTMENTS, body, { headers });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // The same key under the other header name, key order changed: the same request.
    const reordered = await t.distributor.post(
      INVESTMENTS,
      { signed_at: SIGNED, units: 7, campaign_id: campaign.id, investor_id: investorId },
      { headers: { 'Idempotency-Key': headers['X-Idempotency-Key'] } },
    );
    expect(reordered.text).toBe(first.text);
    expect(await count('investments')).toBe(before + 1);
    expect(await reservedOf(campaign.id)).toBe(7);
    // The same key with another body: 422, nothing more.
    const reused = await t.distributor.post(INVESTMENTS, { ...body, units: 8 }, { headers });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    expect(await count('investments')).toBe(before + 1);
    expect(await reservedOf(campaign.id)).toBe(7);
    // A refused create stores nothing under its key: the same request is checked (and refused) again.
    const refusedKey = { 'X-Idempotency-Key': `inv-${randomBytes(4).toString('hex')}` };
    const tooMany = { ...body, units: 101 };
    expect((await t.distributor.post(INVESTMENTS, tooMany, { headers: refusedKey })).status).toBe(400);
    expect((await t.distributor.post(INVESTMENTS, tooMany, { headers: refusedKey })).status).toBe(400);
  });
});
