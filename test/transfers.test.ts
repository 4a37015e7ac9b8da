/**
 * Transfers (spec §10) against a real anvil: requested through the API (the registrar's forced
 * transfer) and made by a holder directly on the ledger (found by the indexer), with first-in
 * first-out remaining amounts, holdings and registry statements on both sides; the issuer's
 * CANCELLATION of a delivered investment burning its units; reconcile without a difference.
 */
import { createPublicClient, createTestClient, createWalletClient, type Hex, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/db/ids.ts';
import { connectLedger } from '../src/ledger/chain.ts';
import { operationId, securityTokenAbi } from '../src/ledger/contract.ts';
import { reconcile } from '../src/ledger/reconcile.ts';
import { scheduleLedgerOperations } from '../src/ledger/schedule.ts';
import {
  createInvestor,
  createTenant,
  DISTRIBUTOR,
  deliver,
  deployedToken,
  downloadBytes,
  ISSUER,
  identify,
  listedProduct,
  newAddress,
  paidInvestment,
  pdfLines,
  startWorkingServer,
  type Tenant,
  unitsReserved,
  type WorkingServer,
} from './helpers.ts';
import { waitFor } from './webhook-receiver.ts';

/** anvil's dev account #3 (its default mnemonic): a holder that signs its own transfers here. */
const HOLDER_KEY = '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6';
const ISIN = 'DE000A1EWWW0';

let server: WorkingServer;
let t: Tenant;
let other: Tenant;
let product: { id: string };
let campaign: { id: string };
let contract: Hex;
let chain: ReturnType<typeof createPublicClient>;

const balanceOf = (address: string) =>
  chain.readContract({ address: contract, abi: securityTokenAbi, functionName: 'balanceOf', args: [address as Hex] });

async function investment(api: typeof t.distributor, id: string) {
  const res = await api.get(`${DISTRIBUTOR}/investments/${id}/`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function statementsOf(api: typeof t.distributor, id: string) {
  const res = await api.get(`${DISTRIBUTOR}/investments/${id}/registry-statements/`);
  expect(res.status, res.text).toBe(200);
  return res.body.results as { id: string; reason: string; units: number; remaining_amount: number }[];
}

async function walletIdOf(address: string) {
  return (await server.db.selectFrom('wallets').select('id').where('address', '=', address).executeTakeFirstOrThrow())
    .id;
}

async function transferDone(api: typeof t.distributor, id: string) {
  const read = async () => (await api.get(`${DISTRIBUTOR}/transfers/${id}/`)).body;
  await waitFor(async () => ['succeeded', 'failed'].includes((await read()).status), 30_000, 'transfer');
  return read();
}

beforeAll(async () => {
  server = await startWorkingServer({ ledgerPollMs: 200 });
  t = await createTenant(server);
  other = await createTenant(server, 'Other');
  ({ product, campaign } = await listedProduct(t, { asset_code: 'TRNS', isin: ISIN, name: 'Transferanleihe 2031' }));
  contract = (await deployedToken(t, product.id)).contract_address as Hex;
  chain = createPublicClient({ transport: http(server.kontor.chain.rpcUrl) });
}, 60_000);
afterAll(async () => server?.close());

let receiverAddress: string;
let first: string;
let second: string;
let senderWallet: string;

describe('wallet registration on the token', () => {
  it('registers every wallet with receiving_enabled by a job, and one switched on later', async () => {
    const isRegistered = (address: string) =>
      chain.readContract({
        address: contract,
        abi: securityTokenAbi,
        functionName: 'isRegistered',
        args: [address as Hex],
      });
    const receiving = newAddress();
    await createInvestor(t.distributor, { address: receiving });
    await waitFor(async () => isRegistered(receiving), 30_000, 'registration');
    const investor = await createInvestor(t.distributor);
    const notReceiving = newAddress();
    const wallet = await t.distributor.post(`${DISTRIBUTOR}/investors/${investor}/wallets/eth-generic/`, {
      address: notReceiving,
      receiving_enabled: false,
    });
    expect(wallet.status, wallet.text).toBe(201);
    // A later wallet with receiving_enabled is registered: the job has run past the one without.
    const later = newAddress();
    await createInvestor(t.distributor, { address: later });
    await waitFor(async () => isRegistered(later), 30_000, 'registration');
    expect(await isRegistered(notReceiving)).toBe(false);
    const switched = await t.distributor.patch(`${DISTRIBUTOR}/investors/${investor}/wallets/${wallet.body.id}/`, {
      receiving_enabled: true,
    });
    expect(switched.status, switched.text).toBe(200);
    await waitFor(async () => isRegistered(notReceiving), 30_000, 'registration once switched on');
  });
});

describe('a transfer through the API', () => {
  it('moves units first-in first-out to another platform’s investor, with statements on both sides', async () => {
    const senderAddress = newAddress();
    const a = await paidInvestment(t.distributor, campaign.id, { address: senderAddress, units: 5 });
    first = a.investmentId;
    senderWallet = a.walletId;
    await deliver(t.distributor, first);
    // A second investment of the same investor into the same wallet, delivered later.
    const b = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
      investor_id: a.investorId,
      campaign_id: campaign.id,
      units: 3,
      signed_at: '2026-02-05T10:00:00Z',
      signed_documents: (
        await t.distributor.get(`${DISTRIBUTOR}/investments/${first}/signed-documents/`)
      ).body.results.map((d: { category: string; document_id: string }) => ({
        category: d.category,
        document_id: d.document_id,
      })),
      accepted_at: '2026-02-05T11:00:00Z',
      paid_at: '2026-02-05T12:00:00Z',
      wallet: senderWallet,
    });
    expect(b.status, b.text).toBe(201);
    second = b.body.id;
    await deliver(t.distributor, second);

    receiverAddress = newAddress();
    const receiver = await createInvestor(other.distributor, {
      address: receiverAddress,
      person: { forename: 'Rita', surname: 'Empfänger', citizenship: 'AUT' },
    });
    await identify(other.distributor, receiver);
    const reservedBefore = await unitsReserved(server.db, campaign.id);

    const requested = await t.distributor.post(`${DISTRIBUTOR}/transfers/`, {
      product: product.id,
      source_wallet: senderWallet,
      target_address: receiverAddress,
      amount: 6,
    });
    expect(requested.status, requested.text).toBe(202);
    expect(requested.body).toMatchObject({
      product: product.id,
      origin: 'api',
      source_wallet: senderWallet,
      source_address: senderAddress,
      // Another platform's wallet: its address only.
      target_wallet: null,
      target_address: receiverAddress,
      amount: 6,
      status: 'processing',
    });
    const done = await transferDone(t.distributor, requested.body.id);
    expect(done.status, done.error).toBe('succeeded');
    expect(done.transaction_hash).toMatch(/^0x[0-9a-f]{64}$/);
    // The received holding is the same units: the campaign reserves none for it.
    expect(await unitsReserved(server.db, campaign.id)).toBe(reservedBefore);

    // The ledger moved the units; the register agrees, oldest investment first.
    expect(await balanceOf(senderAddress)).toBe(2n);
    expect(await balanceOf(receiverAddress)).toBe(6n);
    expect(await investment(t.distributor, first)).toMatchObject({
      status: 'DELIVERED',
      units: 5,
      remaining_amount: 0,
    });
    expect(await investment(t.distributor, second)).toMatchObject({
      status: 'DELIVERED',
      units: 3,
      remaining_amount: 2,
    });
    expect((await statementsOf(t.distributor, first)).map((s) => [s.reason, s.units, s.remaining_amount])).toEqual([
      ['ISSUANCE', 5, 5],
      ['TRANSFER_OUT', 5, 0],
    ]);
    expect((await statementsOf(t.distributor, second)).map((s) => [s.reason, s.units, s.remaining_amount])).toEqual([
      ['ISSUANCE', 3, 3],
      ['TRANSFER_OUT', 1, 2],
    ]);

    // The receiver's platform sees two holdings (one per slice), each with its TRANSFER_IN statement.
    const holdings = (await other.distributor.get(`${DISTRIBUTOR}/investments/`)).body.results;
    expect(holdings.map((h: any) => [h.origin, h.units, h.remaining_amount, h.status, h.transfer_id])).toEqual([
      ['TRANSFER', 5, 5, 'DELIVERED', done.id],
      ['TRANSFER', 1, 1, 'DELIVERED', done.id],
    ]);
    expect(holdings[0].payment_details).toBeNull();
    expect(holdings[0].campaign_id).toBe(campaign.id);
    for (const holding of holdings) {
      const [statement] = await statementsOf(other.distributor, holding.id);
      expect(statement).toMatchObject({ reason: 'TRANSFER_IN', units: holding.units, remaining_amount: holding.units });
      const pdf = await downloadBytes(
        other.distributor,
        `${DISTRIBUTOR}/investments/${holding.id}/registry-statements/${statement!.id}/content/`,
      );
      expect(pdf.status).toBe(200);
      const text = pdfLines(pdf.body).join('\n');
      expect(text).toContain('Transferanleihe 2031');
      expect(text).toContain(ISIN);
      expect(text).toContain('Rita Empfänger');
      expect(text).toContain(receiverAddress);
      expect(text).toContain(`${holding.units} Stück / unit${holding.units === 1 ? '' : 's'}`);
      expect(text).toContain(done.transaction_hash);
    }
    // The sender's TRANSFER_OUT statement names the sender and the units that left.
    const out = (await statementsOf(t.distributor, second))[1]!;
    const outPdf = await downloadBytes(
      t.distributor,
      `${DISTRIBUTOR}/investments/${second}/registry-statements/${out.id}/content/`,
    );
    const outText = pdfLines(outPdf.body).join('\n');
    expect(outText).toContain('Erika Mustermann');
    expect(outText).toContain(ISIN);

    // Both platforms and the issuer are told, once each; the transfer is listed for all three.
    for (const api of [t.distributor, other.distributor]) {
      const events = await api.get(`${DISTRIBUTOR}/events/?type=transfer.succeeded`);
      expect(events.body.count).toBe(1);
      expect(events.body.results[0].data).toMatchObject({ transfer_id: done.id, amount: 6, status: 'succeeded' });
      expect((await api.get(`${DISTRIBUTOR}/transfers/`)).body.results.map((x: any) => x.id)).toEqual([done.id]);
    }
    expect((await t.issuer.get(`${ISSUER}/events/?type=transfer.succeeded`)).body.count).toBe(1);
    expect((await t.issuer.get(`${ISSUER}/transfers/${done.id}/`)).body.status).toBe('succeeded');
    // An issuer of other products sees none of it.
    expect((await other.issuer.get(`${ISSUER}/transfers/${done.id}/`)).status).toBe(404);
  });

  it('refuses what the wallet does not hold free, unknown receivers and receivers without KYC', async () => {
    const body = { product: product.id, source_wallet: senderWallet, target_address: receiverAddress, amount: 3 };
    const tooMany = await t.distributor.post(`${DISTRIBUTOR}/transfers/`, body);
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.code).toBe('insufficient_units');
    const unknown = await t.distributor.post(`${DISTRIBUTOR}/transfers/`, {
      ...body,
      amount: 1,
      target_address: newAddress(),
    });
    expect(unknown.status).toBe(400);
    expect(Object.keys(unknown.body.errors)).toEqual(['target_address']);
    const unidentified = newAddress();
    await createInvestor(other.distributor, { address: unidentified });
    const noKyc = await t.distributor.post(`${DISTRIBUTOR}/transfers/`, {
      ...body,
      amount: 1,
      target_address: unidentified,
    });
    expect(noKyc.status).toBe(409);
    expect(noKyc.body.code).toBe('receiver_kyc_incomplete');
    // Another platform cannot send from this platform's wallet.
    const foreign = await other.distributor.post(`${DISTRIBUTOR}/transfers/`, { ...body, amount: 1 });
    expect(foreign.status).toBe(400);
    expect(Object.keys(foreign.body.errors)).toEqual(['source_wallet']);
    // Nothing was stored by the refusals.
    expect((await t.distributor.get(`${DISTRIBUTOR}/transfers/`)).body.count).toBe(1);
  });

  it('refuses to cancel an investment whose units were transferred, or a holding received by transfer', async () => {
    const cancel = (api: typeof t.issuer, id: string) =>
      api.post(`${ISSUER}/investments/${id}/cancellation/`, {
        reason: 'CANCELLATION',
        cancellation_date: '2026-03-01T10:00:00Z',
      });
    const transferred = await cancel(t.issuer, second);
    expect(transferred.status).toBe(409);
    expect(transferred.body.code).toBe('units_transferred');
    const holding = (await other.distributor.get(`${DISTRIBUTOR}/investments/`)).body.results[0];
    const received = await cancel(t.issuer, holding.id);
    expect(received.status).toBe(409);
    expect(received.body.code).toBe('received_by_transfer');
  });
});

describe('a transfer made directly on the ledger', () => {
  it('is found by the indexer and booked once, first-in first-out, with statements on both sides', async () => {
    const holder = privateKeyToAccount(HOLDER_KEY);
    const { investmentId } = await paidInvestment(t.distributor, campaign.id, { address: holder.address, units: 4 });
    await deliver(t.distributor, investmentId);

    const wallet = createWalletClient({ account: holder, transport: http(server.kontor.chain.rpcUrl) });
    const hash = await wallet.writeContract({
      chain: null,
      address: contract,
      abi: securityTokenAbi,
      functionName: 'transfer',
      args: [receiverAddress as Hex, 3n],
    });
    expect((await chain.waitForTransactionReceipt({ hash })).status).toBe('success');

    await waitFor(
      async () => (await investment(t.distributor, investmentId)).remaining_amount === 1,
      30_000,
      'indexer',
    );
    const transfers = (await t.distributor.get(`${DISTRIBUTOR}/transfers/`)).body.results;
    const booked = transfers.find((x: any) => x.origin === 'ledger');
    expect(booked).toMatchObject({
      origin: 'ledger',
      status: 'succeeded',
      source_address: holder.address,
      target_address: receiverAddress,
      amount: 3,
      transaction_hash: hash,
    });
    expect((await statementsOf(t.distributor, investmentId)).map((s) => s.reason)).toEqual([
      'ISSUANCE',
      'TRANSFER_OUT',
    ]);
    const received = (await other.distributor.get(`${DISTRIBUTOR}/investments/`)).body.results.filter(
      (h: any) => h.transfer_id === booked.id,
    );
    expect(received.map((h: any) => [h.units, h.remaining_amount])).toEqual([[3, 3]]);
    expect((await statementsOf(other.distributor, received[0].id)).map((s) => s.reason)).toEqual(['TRANSFER_IN']);

    // Reading the same blocks again books nothing twice: move the cursor back to before the transfer.
    const receipt = await chain.getTransactionReceipt({ hash });
    const before = await chain.getBlock({ blockNumber: receipt.blockNumber - 1n });
    await server.db
      .updateTable('ledger_cursors')
      .set({ block_number: before.number, block_hash: before.hash })
      .where('product_id', '=', product.id)
      .execute();
    await waitFor(
      async () => {
        const cursor = await server.db
          .selectFrom('ledger_cursors')
          .select('block_number')
          .where('product_id', '=', product.id)
          .executeTakeFirstOrThrow();
        return cursor.block_number >= receipt.blockNumber;
      },
      30_000,
      'the indexer reading again',
    );
    expect((await t.distributor.get(`${DISTRIBUTOR}/transfers/`)).body.count).toBe(transfers.length);
    expect((await investment(t.distributor, investmentId)).remaining_amount).toBe(1);
    expect(await balanceOf(receiverAddress)).toBe(9n);
  });
});

describe('a transfer the ledger refuses', () => {
  it('fails with the contract’s reason and transfer.failed, and the register stays as it was', async () => {
    // The register's checks would refuse this request; a row written past them stands for units that
    // left on the ledger before the indexer booked it (the race the simulation before signing catches).
    const holder = privateKeyToAccount(HOLDER_KEY);
    const id = uuidv7();
    await server.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('transfers')
        .values({
          id,
          product_id: product.id,
          issuer_id: t.issuerId,
          from_platform_id: t.platformId,
          to_platform_id: other.platformId,
          source: 'api',
          from_address: holder.address,
          to_address: receiverAddress,
          from_wallet_id: await walletIdOf(holder.address),
          to_wallet_id: await walletIdOf(receiverAddress),
          units: 5n,
          status: 'processing',
          operation_id: operationId('transfer', id),
        })
        .execute();
      await scheduleLedgerOperations(trx);
    });
    const done = await transferDone(t.distributor, id);
    expect(done.status).toBe('failed');
    expect(done.error).toContain('ERC20InsufficientBalance');
    expect(done.transaction_hash).toBeNull();
    const events = await t.distributor.get(`${DISTRIBUTOR}/events/?type=transfer.failed`);
    expect(events.body.results.map((e: any) => e.data.transfer_id)).toEqual([id]);
    expect((await other.distributor.get(`${DISTRIBUTOR}/events/?type=transfer.failed`)).body.count).toBe(1);
    expect(await balanceOf(holder.address)).toBe(1n);
  });
});

describe("the issuer's CANCELLATION of a delivered investment", () => {
  it('burns its units, then cancels it with a CANCELLATION statement and frees the campaign units', async () => {
    const address = newAddress();
    const { investmentId } = await paidInvestment(t.distributor, campaign.id, { address, units: 2 });
    await deliver(t.distributor, investmentId);
    const reservedBefore = await unitsReserved(server.db, campaign.id);
    const supplyBefore = await chain.readContract({
      address: contract,
      abi: securityTokenAbi,
      functionName: 'totalSupply',
    });

    const cancelled = await t.issuer.post(`${ISSUER}/investments/${investmentId}/cancellation/`, {
      reason: 'CANCELLATION',
      cancellation_date: '2026-03-01T10:00:00Z',
    });
    expect(cancelled.status, cancelled.text).toBe(202);
    expect(cancelled.body).toMatchObject({ status: 'DELIVERED', cancellation_reason: 'CANCELLATION' });
    // A second request while the burn is on its way changes nothing.
    const again = await t.issuer.post(`${ISSUER}/investments/${investmentId}/cancellation/`, {
      reason: 'CANCELLATION',
      cancellation_date: '2026-03-01T10:00:00Z',
    });
    expect(again.status).toBe(409);

    await waitFor(
      async () => (await investment(t.distributor, investmentId)).status === 'CANCELLATION',
      30_000,
      'burn',
    );
    expect(await investment(t.distributor, investmentId)).toMatchObject({
      remaining_amount: 0,
      cancellation_reason: 'CANCELLATION',
      cancellation_date: '2026-03-01T10:00:00.000000Z',
    });
    expect(await balanceOf(address)).toBe(0n);
    expect(await chain.readContract({ address: contract, abi: securityTokenAbi, functionName: 'totalSupply' })).toBe(
      supplyBefore - 2n,
    );
    expect(
      (await statementsOf(t.distributor, investmentId)).map((s) => [s.reason, s.units, s.remaining_amount]),
    ).toEqual([
      ['ISSUANCE', 2, 2],
      ['CANCELLATION', 2, 0],
    ]);
    expect(await unitsReserved(server.db, campaign.id)).toBe(reservedBefore - 2);
  });
});

describe('reconciliation after transfers and burns', () => {
  it('finds the ledger and the register equal, holder by holder', async () => {
    const ledger = await connectLedger(server.config, server.kontor.chain.rpcUrl);
    const [report] = (await reconcile(server.db, ledger)).filter((p) => p.product_id === product.id);
    expect(report!.differences).toEqual([]);
    // 2 + 9 + 1 units are held: the sender, the receiver, the direct sender.
    expect(report!.ledger_supply).toBe('12');
    expect(report!.holders.map((h) => h.ledger_balance).sort()).toEqual(['1', '2', '9']);
    expect(report!.indexing_halted).toBeNull();
  });
});

describe('a reorganisation deeper than the confirmation depth', () => {
  it('stops the indexing of that token instead of keeping a history that no longer exists', async () => {
    // anvil's dev account #4 and a product of its own: this test rewinds the chain.
    const holder = privateKeyToAccount('0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a');
    const reorged = await listedProduct(t, { asset_code: 'REORG', isin: 'DE000A0D9PT0' });
    const token = (await deployedToken(t, reorged.product.id)).contract_address as Hex;
    const { investmentId } = await paidInvestment(t.distributor, reorged.campaign.id, {
      address: holder.address,
      units: 2,
    });
    await deliver(t.distributor, investmentId);
    const testClient = createTestClient({ mode: 'anvil', transport: http(server.kontor.chain.rpcUrl) });
    const snapshot = await testClient.snapshot();

    const wallet = createWalletClient({ account: holder, transport: http(server.kontor.chain.rpcUrl) });
    const hash = await wallet.writeContract({
      chain: null,
      address: token,
      abi: securityTokenAbi,
      functionName: 'transfer',
      args: [receiverAddress as Hex, 1n],
    });
    await chain.waitForTransactionReceipt({ hash });
    await waitFor(async () => (await investment(t.distributor, investmentId)).remaining_amount === 1, 30_000, 'booked');

    // The block that held the transfer is replaced by others.
    await testClient.revert({ id: snapshot });
    await testClient.mine({ blocks: 2 });
    const halted = async () =>
      (
        await server.db
          .selectFrom('ledger_cursors')
          .select('halted')
          .where('product_id', '=', reorged.product.id)
          .executeTakeFirstOrThrow()
      ).halted;
    await waitFor(async () => (await halted()) !== null, 30_000, 'halted');
    expect(await halted()).toContain('reorganisation');
    const ledger = await connectLedger(server.config, server.kontor.chain.rpcUrl);
    const [report] = (await reconcile(server.db, ledger)).filter((p) => p.product_id === reorged.product.id);
    expect(report!.differences.join('\n')).toContain('indexing stopped');
    // The register keeps what it booked (the transfer that is gone) until a person decides.
    expect((await investment(t.distributor, investmentId)).remaining_amount).toBe(1);
  });
});

describe('the confirmation depth', () => {
  it('books a transfer only once its block is CHAIN_CONFIRMATIONS deep', async () => {
    const deep = await startWorkingServer({ chainConfirmations: 3, ledgerPollMs: 100 });
    try {
      const d = await createTenant(deep);
      const listed = await listedProduct(d, { asset_code: 'DEEP' });
      await deployedToken(d, listed.product.id);
      const { investmentId, walletId } = await paidInvestment(d.distributor, listed.campaign.id, { units: 4 });
      await deliver(d.distributor, investmentId);
      const to = newAddress();
      await createInvestor(d.distributor, { address: to, kyc: true });
      const requested = await d.distributor.post(`${DISTRIBUTOR}/transfers/`, {
        product: listed.product.id,
        source_wallet: walletId,
        target_address: to,
        amount: 1,
      });
      expect(requested.status, requested.text).toBe(202);
      const read = async () => (await d.distributor.get(`${DISTRIBUTOR}/transfers/${requested.body.id}/`)).body;
      await waitFor(async () => (await read()).transaction_hash !== null, 30_000, 'signed');
      const client = createPublicClient({ transport: http(deep.kontor.chain.rpcUrl) });
      const receipt = await client.waitForTransactionReceipt({ hash: (await read()).transaction_hash });

      // Two blocks on top: the indexer reads up to three below the head, which is before the transfer.
      const testClient = createTestClient({ mode: 'anvil', transport: http(deep.kontor.chain.rpcUrl) });
      await testClient.mine({ blocks: 2 });
      const head = await client.getBlockNumber({ cacheTime: 0 });
      expect(head - 3n).toBeLessThan(receipt.blockNumber);
      const cursor = async () =>
        (
          await deep.db
            .selectFrom('ledger_cursors')
            .select('block_number')
            .where('product_id', '=', listed.product.id)
            .executeTakeFirst()
        )?.block_number;
      await waitFor(async () => (await cursor()) === head - 3n, 30_000, 'the indexer at the safe head');
      expect((await read()).status).toBe('processing');
      expect((await investment(d.distributor, investmentId)).remaining_amount).toBe(4);

      // One more block and it is deep enough.
      await testClient.mine({ blocks: 1 });
      await waitFor(async () => (await read()).status === 'succeeded', 30_000, 'booked');
      expect((await investment(d.distributor, investmentId)).remaining_amount).toBe(3);
    } finally {
      await deep.close();
    }
  });
});
