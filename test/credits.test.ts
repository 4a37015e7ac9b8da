import { createPublicClient, type Hex, http } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityTokenAbi } from '../src/ledger/contract.ts';
import {
  bothDocuments,
  createTenant,
  DISTRIBUTOR,
  deployedToken,
  identify,
  investorWithWallet,
  listedProduct,
  newAddress,
  startWorkingServer,
  type Tenant,
  type WorkingServer,
} from './helpers.ts';
import { waitFor } from './webhook-receiver.ts';

let server: WorkingServer;
let t: Tenant;

beforeAll(async () => {
  server = await startWorkingServer();
  t = await createTenant(server);
}, 60_000);
afterAll(async () => server?.close());

async function paidInvestment(campaignId: string, address: string, units: number) {
  const { investorId, walletId } = await investorWithWallet(t.distributor, {
    address,
    person: { forename: 'Max', surname: 'Mustermann' },
  });
  await identify(t.distributor, investorId, { document_id: 'T22000129', verified_at: '2026-02-01T11:00:00Z' });
  const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
    investor_id: investorId,
    campaign_id: campaignId,
    units,
    signed_at: '2026-02-01T10:00:00Z',
    signed_documents: await bothDocuments(t.distributor),
    accepted_at: '2026-02-02T10:00:00Z',
    paid_at: '2026-02-03T10:00:00Z',
    wallet: walletId,
  });
  expect(created.status, created.text).toBe(201);
  expect(created.body.status).toBe('PAID');
  return created.body.id as string;
}

describe('crediting on the ledger', () => {
  it('deploys the token, credits PAID → DELIVERED with the on-chain balance equal to the units, once', async () => {
    const { product, campaign } = await listedProduct(t, { asset_code: 'CRED' });
    const token = await deployedToken(t, product.id);
    expect(token).toMatchObject({ chain_id: 31337 });
    expect(token.contract_address).toMatch(/^0x[0-9a-fA-F]{40}$/);

    const address = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
    const investmentId = await paidInvestment(campaign.id, address, 7);
    const first = await t.distributor.post(`${DISTRIBUTOR}/investments/${investmentId}/credits/`);
    expect(first.status, first.text).toBe(202);
    expect(first.body).toMatchObject({ investment_id: investmentId, status: 'processing', transaction_hash: null });
    await waitFor(
      async () => (await t.distributor.get(`${DISTRIBUTOR}/credits/${first.body.id}/`)).body.status === 'succeeded',
      30_000,
      'credit',
    );
    const credit = (await t.distributor.get(`${DISTRIBUTOR}/credits/${first.body.id}/`)).body;
    expect(credit.transaction_hash).toMatch(/^0x[0-9a-f]{64}$/);
    const investment = (await t.distributor.get(`${DISTRIBUTOR}/investments/${investmentId}/`)).body;
    expect(investment).toMatchObject({ status: 'DELIVERED', remaining_amount: 7 });
    expect(investment.delivered_at).toMatch(/Z$/);

    const client = createPublicClient({ transport: http(server.kontor.chain.rpcUrl) });
    const balance = await client.readContract({
      address: token.contract_address as Hex,
      abi: securityTokenAbi,
      functionName: 'balanceOf',
      args: [address],
    });
    expect(balance).toBe(7n);

    // A second request returns the same task and mints nothing.
    const second = await t.distributor.post(`${DISTRIBUTOR}/investments/${investmentId}/credits/`);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    await new Promise((r) => setTimeout(r, 500));
    const supply = await client.readContract({
      address: token.contract_address as Hex,
      abi: securityTokenAbi,
      functionName: 'totalSupply',
    });
    expect(supply).toBe(7n);
    const list = await t.distributor.get(`${DISTRIBUTOR}/investments/${investmentId}/credits/`);
    expect(list.body.count).toBe(1);
    const events = await t.distributor.get(
      `${DISTRIBUTOR}/events/?investment_id=${investmentId}&type=credit.succeeded`,
    );
    expect(events.body.count).toBe(1);
  });

  it('refuses to credit an investment that is not paid', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'NOPAY' });
    const investor = await t.distributor.post(`${DISTRIBUTOR}/investors/`, {
      natural_person: { forename: 'A', surname: 'B' },
    });
    const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: investor.body.id,
      campaign_id: campaign.id,
      units: 1,
      signed_at: '2026-02-01T10:00:00Z',
    });
    const res = await t.distributor.post(`${DISTRIBUTOR}/investments/${created.body.id}/credits/`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('not_paid');
    const wrongTenant = await createTenant(server, 'Other');
    expect((await wrongTenant.distributor.post(`${DISTRIBUTOR}/investments/${created.body.id}/credits/`)).status).toBe(
      404,
    );
  });
});

describe('crediting in several batches (CREDIT_BATCH_MAX=2)', () => {
  let small: WorkingServer;
  let s: Tenant;

  beforeAll(async () => {
    small = await startWorkingServer({ creditBatchMax: 2 });
    s = await createTenant(small, 'Batches');
  }, 60_000);
  afterAll(async () => small?.close());

  // A mined batch is booked while the next one is minted (mintPendingCredits): every credit is
  // booked once, with its statement, whatever the interleaving.
  it('books every batch once, each investment with one ISSUANCE statement and its units on the ledger', async () => {
    const { product, campaign } = await listedProduct(s, { asset_code: 'BATCH' });
    const token = await deployedToken(s, product.id);
    const addresses = Array.from({ length: 5 }, () => newAddress());
    const ids: string[] = [];
    for (const [i, address] of addresses.entries()) {
      const { investorId, walletId } = await investorWithWallet(s.distributor, {
        address,
        person: { forename: 'Batch', surname: `Investor ${i}` },
      });
      await identify(s.distributor, investorId, { document_id: `B${i}`, verified_at: '2026-02-01T11:00:00Z' });
      const created = await s.distributor.post(`${DISTRIBUTOR}/investments/`, {
        investor_id: investorId,
        campaign_id: campaign.id,
        units: i + 1,
        signed_at: '2026-02-01T10:00:00Z',
        signed_documents: await bothDocuments(s.distributor),
        accepted_at: '2026-02-02T10:00:00Z',
        paid_at: '2026-02-03T10:00:00Z',
        wallet: walletId,
      });
      expect(created.status, created.text).toBe(201);
      ids.push(created.body.id);
    }
    const credits = await Promise.all(ids.map((id) => s.distributor.post(`${DISTRIBUTOR}/investments/${id}/credits/`)));
    for (const c of credits) expect(c.status, c.text).toBe(202);

    await waitFor(
      async () =>
        (await Promise.all(ids.map((id) => s.distributor.get(`${DISTRIBUTOR}/investments/${id}/`)))).every(
          (r) => r.body.status === 'DELIVERED',
        ),
      60_000,
      'all delivered',
    );
    const hashes = new Set<string>();
    for (const [i, c] of credits.entries()) {
      const credit = (await s.distributor.get(`${DISTRIBUTOR}/credits/${c.body.id}/`)).body;
      expect(credit.status).toBe('succeeded');
      hashes.add(credit.transaction_hash);
      const statements = await s.distributor.get(`${DISTRIBUTOR}/investments/${ids[i]}/registry-statements/`);
      expect(statements.body.results.map((r: { reason: string }) => r.reason)).toEqual(['ISSUANCE']);
    }
    // At most two credits per transaction.
    expect(hashes.size).toBeGreaterThanOrEqual(3);
    const client = createPublicClient({ transport: http(small.kontor.chain.rpcUrl) });
    for (const [i, address] of addresses.entries()) {
      const balance = await client.readContract({
        address: token.contract_address as Hex,
        abi: securityTokenAbi,
        functionName: 'balanceOf',
        args: [address as Hex],
      });
      expect(balance).toBe(BigInt(i + 1));
    }
    const events = await s.distributor.get(`${DISTRIBUTOR}/events/?type=credit.succeeded`);
    expect(events.body.count).toBe(5);
  });
});
