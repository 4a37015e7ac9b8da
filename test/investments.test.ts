import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bothDocuments,
  createTenant,
  DISTRIBUTOR,
  ISSUER,
  identify,
  investorWithWallet,
  listedProduct,
  startTestServer,
  type Tenant,
  type TestServer,
  uploadPdf,
} from './helpers.ts';

let server: TestServer;
let t: Tenant;
beforeAll(async () => {
  server = await startTestServer();
  t = await createTenant(server);
});
afterAll(async () => server?.close());

describe('investment lifecycle over HTTP', () => {
  it('signed → KYC_PENDING → WAITING_FOR_ACCEPTANCE → ACCEPTED → PAID, refusing every shortcut', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'LIFE' }, { agio_percent: '2' });
    const { investorId, walletId } = await investorWithWallet(t.distributor, {
      address: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    });
    const tos = await uploadPdf(t.distributor, 'tos.pdf');
    const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 10,
      signed_at: '2026-03-01T10:00:00+01:00',
      signed_documents: [{ category: 'effecta_cryptoregistry_tos', document_id: tos }],
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({
      status: 'KYC_PENDING',
      units: 10,
      investment_amount: { amount: '1000', decimals: 2, currency: 'EUR' },
      agio: { amount: '20', decimals: 2, currency: 'EUR' },
      signed_at: '2026-03-01T09:00:00.000000Z',
      start_url: null,
    });
    const path = `${DISTRIBUTOR}/investments/${id}/`;
    // Accept while KYC is pending: 409 with the reason.
    const early = await t.distributor.patch(path, { accepted_at: '2026-03-02T10:00:00Z' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toContain('KYC');
    // Pay before acceptance: 409.
    const pay = await t.distributor.patch(path, { paid_at: '2026-03-02T10:00:00Z' });
    expect(pay.status).toBe(409);
    expect(pay.body.code).toBe('not_accepted');

    await identify(t.distributor, investorId);
    const waiting = await t.distributor.get(path);
    expect(waiting.body.status).toBe('WAITING_FOR_ACCEPTANCE');
    const mails = await server.db.selectFrom('emails').selectAll().where('investment_id', '=', id).execute();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.issuer_id).toBe(t.issuerId);

    // Accept without both documents: 409.
    const noDocs = await t.issuer.patch(`${ISSUER}/investments/${id}/`, { accepted_at: '2026-03-02T10:00:00Z' });
    expect(noDocs.status).toBe(409);
    expect(noDocs.body.code).toBe('signed_documents_missing');
    const doc = await t.distributor.post(`${path}signed-documents/`, {
      category: 'effecta_document',
      document_id: await uploadPdf(t.distributor, 'bond-terms.pdf'),
    });
    expect(doc.status, doc.text).toBe(201);

    const accepted = await t.issuer.patch(`${ISSUER}/investments/${id}/`, { accepted_at: '2026-03-02T10:00:00Z' });
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.body.status).toBe('ACCEPTED');
    // Investor cancellation after acceptance: 409.
    const abort = await t.distributor.post(`${path}cancellation/`, { cancellation_date: '2026-03-03T10:00:00Z' });
    expect(abort.status).toBe(409);
    expect(abort.body.code).toBe('cancellation_not_allowed');

    const paid = await t.distributor.patch(path, { paid_at: '2026-03-04T10:00:00Z', wallet: walletId });
    expect(paid.status, paid.text).toBe(200);
    expect(paid.body).toMatchObject({ status: 'PAID', wallet: walletId, paid_at: '2026-03-04T10:00:00.000000Z' });

    const history = await server.db
      .selectFrom('events')
      .select(['type', 'data'])
      .where('investment_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(
      history.map((e) => (e.type === 'investment.created' ? 'created' : (e.data as { status: string }).status)),
    ).toEqual(['created', 'WAITING_FOR_ACCEPTANCE', 'ACCEPTED', 'PAID']);
    expect(history[1]!.data).toMatchObject({ previous_status: 'KYC_PENDING', investment_id: id });
  });
});

const SIGNED = '2026-03-01T10:00:00Z';

async function naturalInvestor(): Promise<string> {
  return (await investorWithWallet(t.distributor)).investorId;
}

async function emailsOf(investmentId: string) {
  return server.db.selectFrom('emails').selectAll().where('investment_id', '=', investmentId).execute();
}

/** The investment's events in order: `created:<status>` and the statuses it changed to. */
async function eventsOf(investmentId: string): Promise<string[]> {
  const rows = await server.db
    .selectFrom('events')
    .select(['type', 'data'])
    .where('investment_id', '=', investmentId)
    .orderBy('seq')
    .execute();
  return rows.map((e) => {
    const data = e.data as { status: string; previous_status?: string };
    return e.type === 'investment.created' ? `created:${data.status}` : `${data.previous_status}→${data.status}`;
  });
}

const statusOf = async (id: string) => (await t.distributor.get(`${DISTRIBUTOR}/investments/${id}/`)).body.status;

describe('KYC and review move an investment on by themselves (spec §7)', () => {
  it('KYC_PENDING → REVIEW_PENDING on identification → WAITING_FOR_ACCEPTANCE on the issuer’s review, e-mailing once', async () => {
    const { product, campaign } = await listedProduct(t, { asset_code: 'REVIEW', requires_review: true });
    expect(product.requires_review).toBe(true);
    const investorId = await naturalInvestor();
    const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 3,
      signed_at: SIGNED,
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;
    expect(created.body.status).toBe('KYC_PENDING');

    await identify(t.distributor, investorId);
    expect(await statusOf(id)).toBe('REVIEW_PENDING');
    expect(await emailsOf(id)).toHaveLength(0);
    // Not acceptable yet: the review is missing.
    const early = await t.issuer.patch(`${ISSUER}/investments/${id}/`, { accepted_at: '2026-03-02T10:00:00Z' });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('not_ready_for_acceptance');
    // The distributor cannot record the review.
    const byPlatform = await t.distributor.patch(`${DISTRIBUTOR}/investments/${id}/`, {
      review_completed_at: '2026-03-02T09:00:00Z',
    });
    expect(byPlatform.status).toBe(400);
    expect(await statusOf(id)).toBe('REVIEW_PENDING');

    const reviewed = await t.issuer.patch(`${ISSUER}/investments/${id}/`, {
      review_completed_at: '2026-03-02T09:00:00+01:00',
    });
    expect(reviewed.status, reviewed.text).toBe(200);
    expect(reviewed.body).toMatchObject({
      status: 'WAITING_FOR_ACCEPTANCE',
      review_completed_at: '2026-03-02T08:00:00.000000Z',
    });
    const mails = await emailsOf(id);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ issuer_id: t.issuerId, kind: 'investment_waiting_for_acceptance' });
    expect(mails[0]!.subject).toContain(product.name);
    expect(mails[0]!.body).toContain(id);

    // Recorded twice: 409, nothing changes, no second e-mail.
    const twice = await t.issuer.patch(`${ISSUER}/investments/${id}/`, { review_completed_at: '2026-03-02T11:00:00Z' });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('review_already_recorded');
    expect(await emailsOf(id)).toHaveLength(1);
    expect(await eventsOf(id)).toEqual([
      'created:KYC_PENDING',
      'KYC_PENDING→REVIEW_PENDING',
      'REVIEW_PENDING→WAITING_FOR_ACCEPTANCE',
    ]);
    const history = await server.db
      .selectFrom('investment_status_changes')
      .select(['previous_status', 'status'])
      .where('investment_id', '=', id)
      .orderBy('created_at')
      .execute();
    expect(history.map((h) => `${h.previous_status}→${h.status}`)).toEqual([
      'null→KYC_PENDING',
      'KYC_PENDING→REVIEW_PENDING',
      'REVIEW_PENDING→WAITING_FOR_ACCEPTANCE',
    ]);
  });

  it('a review recorded before KYC completes: straight to WAITING_FOR_ACCEPTANCE once KYC does', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'REVFIRST', requires_review: true });
    const investorId = await naturalInvestor();
    const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 3,
      signed_at: SIGNED,
    });
    const id = created.body.id;
    const reviewed = await t.issuer.patch(`${ISSUER}/investments/${id}/`, {
      review_completed_at: '2026-03-02T09:00:00Z',
    });
    expect(reviewed.status, reviewed.text).toBe(200);
    expect(reviewed.body.status).toBe('KYC_PENDING');
    expect(await emailsOf(id)).toHaveLength(0);
    await identify(t.distributor, investorId);
    expect(await statusOf(id)).toBe('WAITING_FOR_ACCEPTANCE');
    expect(await emailsOf(id)).toHaveLength(1);
    expect(await eventsOf(id)).toEqual(['created:KYC_PENDING', 'KYC_PENDING→WAITING_FOR_ACCEPTANCE']);
  });

  it('a legal person needs a benefiting person as well as an identification', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'LEGALKYC' });
    const investor = await t.distributor.post(`${DISTRIBUTOR}/investors/`, {
      legal_person: { company_name: 'Muster AG' },
    });
    expect(investor.status, investor.text).toBe(201);
    const investorId = investor.body.id;
    const ids: string[] = [];
    for (const units of [2, 4]) {
      const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
        investor_id: investorId,
        campaign_id: campaign.id,
        units,
        signed_at: SIGNED,
      });
      expect(created.body.status).toBe('KYC_PENDING');
      ids.push(created.body.id);
    }
    await identify(t.distributor, investorId);
    expect((await t.distributor.get(`${DISTRIBUTOR}/investors/${investorId}/`)).body.kyc_status).toBe('PENDING');
    for (const id of ids) expect(await statusOf(id)).toBe('KYC_PENDING');
    const person = await t.distributor.post(`${DISTRIBUTOR}/investors/${investorId}/benefiting-persons/`, {
      forename: 'Max',
      surname: 'Muster',
    });
    expect(person.status, person.text).toBe(201);
    expect((await t.distributor.get(`${DISTRIBUTOR}/investors/${investorId}/`)).body.kyc_status).toBe('SUCCESS');
    // Both investments moved on, each e-mailed once.
    for (const id of ids) {
      expect(await statusOf(id)).toBe('WAITING_FOR_ACCEPTANCE');
      expect(await emailsOf(id)).toHaveLength(1);
    }
  });

  it('created ready: WAITING_FOR_ACCEPTANCE at once with exactly one e-mail', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'READY' });
    const investorId = await naturalInvestor();
    await identify(t.distributor, investorId);
    const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 3,
      signed_at: SIGNED,
    });
    expect(created.body.status).toBe('WAITING_FOR_ACCEPTANCE');
    expect(await emailsOf(created.body.id)).toHaveLength(1);
    // A later identification changes nothing and e-mails nothing more.
    await identify(t.distributor, investorId);
    expect(await emailsOf(created.body.id)).toHaveLength(1);
  });
});

describe('accepted (and paid) on create (spec §7)', () => {
  it('KYC done, both documents sent, accepted_at and paid_at → 201 PAID, events in order, no e-mail', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'ATONCE' });
    const investorId = await naturalInvestor();
    await identify(t.distributor, investorId);
    const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 4,
      signed_at: SIGNED,
      signed_documents: await bothDocuments(t.distributor),
      accepted_at: '2026-03-02T10:00:00Z',
      paid_at: '2026-03-03T10:00:00+01:00',
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({
      status: 'PAID',
      signed_at: '2026-03-01T10:00:00.000000Z',
      accepted_at: '2026-03-02T10:00:00.000000Z',
      paid_at: '2026-03-03T09:00:00.000000Z',
    });
    expect(await eventsOf(id)).toEqual([
      'created:WAITING_FOR_ACCEPTANCE',
      'WAITING_FOR_ACCEPTANCE→ACCEPTED',
      'ACCEPTED→PAID',
    ]);
    const changed = await server.db
      .selectFrom('events')
      .select('data')
      .where('investment_id', '=', id)
      .where('type', '=', 'investment.status_changed')
      .orderBy('seq')
      .execute();
    // The instants of acceptance and payment (their text form: see the test below).
    expect(changed.map((e) => Date.parse((e.data as { changed_at: string }).changed_at))).toEqual([
      Date.parse('2026-03-02T10:00:00Z'),
      Date.parse('2026-03-03T09:00:00Z'),
    ]);
    expect(await emailsOf(id)).toHaveLength(0);
    expect((await t.distributor.get(`${DISTRIBUTOR}/investments/${id}/`)).body.status).toBe('PAID');
  });

  // Regression: events once carried the client's timestamp text as sent; spec §1 emits UTC with Z.
  it('investment.status_changed events carry changed_at in UTC with Z', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'EVTZ' });
    const investorId = await naturalInvestor();
    await identify(t.distributor, investorId);
    const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 4,
      signed_at: SIGNED,
      signed_documents: await bothDocuments(t.distributor),
      accepted_at: '2026-03-02T11:00:00+01:00',
      paid_at: '2026-03-03T10:00:00+01:00',
    });
    expect(created.status, created.text).toBe(201);
    const changed = await server.db
      .selectFrom('events')
      .select('data')
      .where('investment_id', '=', created.body.id)
      .where('type', '=', 'investment.status_changed')
      .orderBy('seq')
      .execute();
    const stamps = changed.map((e) => (e.data as { changed_at: string }).changed_at);
    expect(stamps).toHaveLength(2);
    for (const stamp of stamps) expect(stamp).toMatch(/Z$/);
  });

  it('accepted_at alone → 201 ACCEPTED, no e-mail; a second acceptance → 409', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'ACCONLY' });
    const investorId = await naturalInvestor();
    await identify(t.distributor, investorId);
    const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: investorId,
      campaign_id: campaign.id,
      units: 4,
      signed_at: SIGNED,
      signed_documents: await bothDocuments(t.distributor),
      accepted_at: '2026-03-02T10:00:00Z',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ status: 'ACCEPTED', paid_at: null });
    expect(await eventsOf(created.body.id)).toEqual([
      'created:WAITING_FOR_ACCEPTANCE',
      'WAITING_FOR_ACCEPTANCE→ACCEPTED',
    ]);
    expect(await emailsOf(created.body.id)).toHaveLength(0);
    const again = await t.issuer.patch(`${ISSUER}/investments/${created.body.id}/`, {
      accepted_at: '2026-03-02T11:00:00Z',
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_accepted');
  });
});
