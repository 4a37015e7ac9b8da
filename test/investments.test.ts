import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTenant,
  DISTRIBUTOR,
  ISSUER,
  listedProduct,
  startTestServer,
  type Tenant,
  type TestServer,
} from './helpers.ts';

let server: TestServer;
let t: Tenant;
beforeAll(async () => {
  server = await startTestServer();
  t = await createTenant(server);
});
afterAll(async () => server?.close());

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

async function upload(api: Tenant['distributor'], name: string): Promise<string> {
  const form = new FormData();
  form.append('file', new Blob([PDF], { type: 'application/pdf' }), name);
  const res = await api.request('POST', `${DISTRIBUTOR}/documents/`, { raw: form });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

async function investorWithWallet(api: Tenant['distributor'], address: string) {
  const investor = await api.post(`${DISTRIBUTOR}/investors/`, {
    natural_person: { forename: 'Erika', surname: 'Mustermann', citizenship: 'DEU' },
    wallet_address: address,
  });
  expect(investor.status, investor.text).toBe(201);
  const wallets = await api.get(`${DISTRIBUTOR}/investors/${investor.body.id}/wallets/`);
  return { investorId: investor.body.id as string, walletId: wallets.body.results[0].id as string };
}

async function identify(api: Tenant['distributor'], investorId: string) {
  const res = await api.post(`${DISTRIBUTOR}/investors/${investorId}/identifications/`, {
    document_type: 'IDCARD',
    document_id: 'L01X00T47',
    document_valid_to: '2035-01-01',
    verified_at: '2026-01-05T09:00:00Z',
  });
  expect(res.status, res.text).toBe(201);
}

describe('investment lifecycle over HTTP', () => {
  it('signed → KYC_PENDING → WAITING_FOR_ACCEPTANCE → ACCEPTED → PAID, refusing every shortcut', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'LIFE' }, { agio_percent: '2' });
    const { investorId, walletId } = await investorWithWallet(
      t.distributor,
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    );
    const tos = await upload(t.distributor, 'tos.pdf');
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
      document_id: await upload(t.distributor, 'bond-terms.pdf'),
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
