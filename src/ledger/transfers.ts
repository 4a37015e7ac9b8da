/**
 * Transfers (spec §10). A platform asks for one (`POST /transfers/`, a task); the registrar moves
 * the units with `forcedTransfer` (an operation id, used at most once, like a credit). Holders may
 * also move units themselves with an ordinary ERC-20 transfer. Either way the indexer books the
 * ledger's Transfer log, in ledger order and once per log (`bookTransfer`): the sender's holdings
 * give their units first-in first-out, the receiver gets a holding per slice, both sides get a
 * registry statement, and `transfer.succeeded` tells the parties.
 */
import { sql } from 'kysely';
import { encodeFunctionData, type Hex } from 'viem';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import type { LedgerTaskStatus } from '../db/schema.ts';
import { recordEvent } from '../events/outbox.ts';
import { conflict, invalidField } from '../http/errors.ts';
import type { InvestmentViewer } from '../investments/service.ts';
import { paymentReference } from '../investments/service.ts';
import type { RegisterKeeper } from '../registry/domain.ts';
import { issueStatement } from '../registry/service.ts';
import type { Ledger } from './chain.ts';
import { operationId, securityTokenAbi } from './contract.ts';
import { holdingsOf, InsufficientHoldings, takeFirstInFirstOut, UnbookableLog, unitsFree } from './holdings.ts';
import { registerRecipients, revertReason } from './registrations.ts';
import { resolveTasksOf } from './resolve.ts';
import { scheduleLedgerOperations } from './schedule.ts';
import { broadcastAndWait, type ChainTx, OutcomeUnknown, signAndStore } from './signer.ts';

export interface TransferRow {
  id: string;
  product_id: string;
  source: 'api' | 'ledger';
  from_address: string;
  to_address: string;
  from_wallet_id: string;
  to_wallet_id: string;
  from_platform_id: string | null;
  to_platform_id: string | null;
  units: bigint;
  status: LedgerTaskStatus;
  transaction_hash: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * A transfer as the API shows it (spec §6 names: `product`, `source_wallet`, `target_address`,
 * `amount`). A wallet id is shown to the platform of its investor and to issuers, null to another
 * platform (the address is public on the ledger; the id is the other platform's).
 */
export function transferView(row: TransferRow, viewer: InvestmentViewer) {
  const sees = (platformId: string | null) => viewer.kind === 'issuer' || viewer.platformId === platformId;
  return {
    id: row.id,
    product: row.product_id,
    origin: row.source,
    source_wallet: sees(row.from_platform_id) ? row.from_wallet_id : null,
    source_address: row.from_address,
    target_wallet: sees(row.to_platform_id) ? row.to_wallet_id : null,
    target_address: row.to_address,
    amount: Number(row.units),
    status: row.status,
    transaction_hash: row.transaction_hash,
    error: row.error,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The transfers a viewer may see, as a selection-free base: a platform those of its investors' wallets. */
export function visibleTransfers(db: Db | Trx, viewer: InvestmentViewer) {
  const base = db
    .selectFrom('transfers')
    .leftJoin('chain_transactions', 'chain_transactions.id', 'transfers.chain_transaction_id');
  if (viewer.kind === 'platform') {
    return base.where((eb) =>
      eb.or([
        eb('transfers.from_platform_id', '=', viewer.platformId),
        eb('transfers.to_platform_id', '=', viewer.platformId),
      ]),
    );
  }
  return viewer.issuerId === null ? base : base.where('transfers.issuer_id', '=', viewer.issuerId);
}

/** The hash a transfer is known by: its booked log's, else the registrar's stored transaction's. */
export const transferHash = sql<string | null>`coalesce(transfers.transaction_hash, chain_transactions.hash)`;

export async function readTransfer(db: Db | Trx, viewer: InvestmentViewer, id: string) {
  const row = await visibleTransfers(db, viewer)
    .selectAll('transfers')
    .select(transferHash.as('transaction_hash'))
    .where('transfers.id', '=', id)
    .executeTakeFirst();
  return row ? transferView(row as TransferRow, viewer) : null;
}

/** The body of POST /transfers/ (spec §6). */
export interface TransferRequest {
  product: string;
  source_wallet: string;
  target_address: string;
  amount: number;
}

/**
 * POST /transfers/: every check first (nothing stored on a refusal); the sending wallet's row lock
 * serialises requests from one wallet, so two transfers never promise the same units.
 */
export async function requestTransfer(trx: Trx, platformId: string, input: TransferRequest) {
  const from = await trx
    .selectFrom('wallets')
    .innerJoin('investors', 'investors.id', 'wallets.investor_id')
    .select(['wallets.id', 'wallets.address'])
    .where('wallets.id', '=', input.source_wallet)
    .where('investors.distribution_platform_id', '=', platformId)
    .forUpdate('wallets')
    .executeTakeFirst();
  if (!from) throw invalidField('source_wallet', 'no such wallet of your investors');
  const product = await trx
    .selectFrom('products')
    .select(['id', 'issuer_id', 'token_contract_address'])
    .where('id', '=', input.product)
    .executeTakeFirst();
  const units = BigInt(input.amount);
  // A product the wallet holds nothing of and an unknown one look the same to the caller.
  const holding = product ? await unitsFree(trx, product.id, from.id, from.address) : { held: 0n, free: 0n };
  if (!product || holding.held === 0n) throw invalidField('product', 'the wallet holds no units of this product');
  const to = await walletByAddress(trx, input.target_address);
  if (!to?.receiving_enabled) {
    throw invalidField('target_address', 'no wallet in the register with receiving_enabled has this address');
  }
  if (to.address.toLowerCase() === from.address.toLowerCase()) {
    throw invalidField('target_address', 'must differ from the sending wallet');
  }
  if (to.kyc_status !== 'SUCCESS') {
    throw conflict('receiver_kyc_incomplete', "the receiving investor's KYC is not complete");
  }
  if (units > holding.free) {
    throw conflict(
      'insufficient_units',
      `the wallet has ${holding.free} units of this product free to transfer (others are on their way out), not ${units}`,
    );
  }
  const id = uuidv7();
  await trx
    .insertInto('transfers')
    .values({
      id,
      product_id: product.id,
      issuer_id: product.issuer_id,
      from_platform_id: platformId,
      to_platform_id: to.distribution_platform_id,
      source: 'api',
      from_address: from.address,
      to_address: to.address,
      from_wallet_id: from.id,
      to_wallet_id: to.id,
      units,
      status: 'processing',
      operation_id: operationId('transfer', id),
    })
    .execute();
  await scheduleLedgerOperations(trx);
  return (await readTransfer(trx, { kind: 'platform', platformId }, id))!;
}

async function transferEvent(trx: Trx, transferId: string, type: 'transfer.succeeded' | 'transfer.failed') {
  const row = await trx
    .selectFrom('transfers')
    .leftJoin('chain_transactions', 'chain_transactions.id', 'transfers.chain_transaction_id')
    .selectAll('transfers')
    .select(transferHash.as('transaction_hash'))
    .where('transfers.id', '=', transferId)
    .executeTakeFirstOrThrow();
  const dataFor = (platformId: string | null) => ({
    transfer_id: row.id,
    ...transferView(row as TransferRow, { kind: 'platform', platformId: platformId ?? '' }),
  });
  // The issuer and the sending platform see one event; the receiving platform its own (each with
  // the wallet ids it may see).
  await recordEvent(trx, {
    type,
    issuerId: row.issuer_id,
    platformId: row.from_platform_id,
    investmentId: null,
    data: dataFor(row.from_platform_id),
  });
  if (row.to_platform_id && row.to_platform_id !== row.from_platform_id) {
    await recordEvent(trx, {
      type,
      issuerId: null,
      platformId: row.to_platform_id,
      investmentId: null,
      data: dataFor(row.to_platform_id),
    });
  }
}

/** Sets the status of the API transfers of a transaction, with transfer.failed where they failed. */
async function markTransfers(db: Db, ids: string[], status: 'failed' | 'unknown' | 'processing', error: string | null) {
  if (ids.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const id of ids) {
      const changed = await trx
        .updateTable('transfers')
        .set({ status, error, updated_at: sql<string>`now()` })
        .where('id', '=', id)
        .where('status', 'in', ['processing', 'unknown'])
        .executeTakeFirst();
      if (status === 'failed' && changed.numUpdatedRows > 0n) await transferEvent(trx, id, 'transfer.failed');
    }
  });
}

/**
 * The `ledger_operations` step for requested transfers: each is its own `forcedTransfer`
 * transaction, stored before it is broadcast. A mined one waits for the indexer to book it; one
 * the contract refuses fails with the contract's reason.
 */
export async function executePendingTransfers(db: Db, ledger: Ledger): Promise<void> {
  for (;;) {
    const next = await db
      .selectFrom('transfers')
      .innerJoin('products', 'products.id', 'transfers.product_id')
      .select([
        'transfers.id',
        'transfers.product_id',
        'transfers.operation_id',
        'transfers.from_address',
        'transfers.to_address',
        'transfers.units',
        'products.token_contract_address',
      ])
      .where('transfers.status', '=', 'processing')
      .where('transfers.source', '=', 'api')
      .where('transfers.chain_transaction_id', 'is', null)
      .orderBy('transfers.created_at')
      .limit(1)
      .executeTakeFirst();
    if (!next) return;
    const contract = next.token_contract_address as Hex;
    await registerRecipients(db, ledger, next.product_id, contract, [next.to_address]);
    const args = [next.from_address as Hex, next.to_address as Hex, next.units, next.operation_id as Hex] as const;
    const refused = await revertReason(ledger, contract, 'forcedTransfer', args);
    if (refused) {
      await markTransfers(db, [next.id], 'failed', `the ledger refused the transfer: ${refused}`);
      continue;
    }
    const data = encodeFunctionData({ abi: securityTokenAbi, functionName: 'forcedTransfer', args });
    const tx = await signAndStore(db, ledger, { kind: 'forced_transfer', to: contract, data }, async (trx, stored) => {
      await trx
        .updateTable('transfers')
        .set({ chain_transaction_id: stored.id, updated_at: sql<string>`now()` })
        .where('id', '=', next.id)
        .execute();
    });
    try {
      const settled = await broadcastAndWait(db, ledger, tx);
      if (settled.status !== 'mined') await resolveTransfersOf(db, ledger, settled);
    } catch (error) {
      if (!(error instanceof OutcomeUnknown)) throw error;
      await markTransfers(db, [next.id], 'unknown', error.message);
      throw error;
    }
  }
}

/** Resolves the API transfers of a settled transaction (see resolveTasksOf). */
export async function resolveTransfersOf(db: Db, ledger: Ledger, tx: ChainTx): Promise<void> {
  await resolveTasksOf(db, ledger, tx, 'transfers', (ids, error) => markTransfers(db, ids, 'failed', error));
}

export interface TransferLog {
  productId: string;
  from: string;
  to: string;
  units: bigint;
  transactionHash: string;
  blockNumber: bigint;
  logIndex: number;
}

async function walletByAddress(trx: Trx, address: string) {
  return trx
    .selectFrom('wallets')
    .innerJoin('investors', 'investors.id', 'wallets.investor_id')
    .select([
      'wallets.id',
      'wallets.address',
      'wallets.investor_id',
      'wallets.receiving_enabled',
      'investors.kyc_status',
      'investors.distribution_platform_id',
    ])
    .where(sql`lower(wallets.address)`, '=', address.toLowerCase())
    .executeTakeFirst();
}

/**
 * Books one Transfer log between two holders, in the indexer's transaction: the sender's
 * holdings give their units first-in first-out, the receiver gets one holding per slice (an
 * investment of origin TRANSFER with the slice's campaign and price), both get registry
 * statements. `transferId` is the API transfer the log executes; without it the log is a holder's
 * own transfer and is recorded as a `ledger` transfer. A log booked before changes nothing.
 */
export async function bookTransfer(
  trx: Trx,
  keeper: RegisterKeeper,
  log: TransferLog,
  transferId: string | null,
): Promise<'booked' | 'already'> {
  const sender = await walletByAddress(trx, log.from);
  const receiver = await walletByAddress(trx, log.to);
  if (!sender) throw new UnbookableLog(`${log.from} sent ${log.units} units but holds none in the register`);
  if (!receiver) throw new UnbookableLog(`${log.to} received ${log.units} units but is no wallet of the register`);
  let id = transferId;
  if (id) {
    const booked = await trx
      .updateTable('transfers')
      .set({
        status: 'succeeded',
        error: null,
        transaction_hash: log.transactionHash,
        block_number: log.blockNumber,
        log_index: log.logIndex,
        updated_at: sql<string>`now()`,
      })
      .where('id', '=', id)
      .where('status', '!=', 'succeeded')
      .executeTakeFirst();
    if (booked.numUpdatedRows === 0n) return 'already';
  } else {
    const product = await trx
      .selectFrom('products')
      .select('issuer_id')
      .where('id', '=', log.productId)
      .executeTakeFirstOrThrow();
    id = uuidv7();
    const inserted = await trx
      .insertInto('transfers')
      .values({
        id,
        product_id: log.productId,
        issuer_id: product.issuer_id,
        from_platform_id: sender.distribution_platform_id,
        to_platform_id: receiver.distribution_platform_id,
        source: 'ledger',
        from_address: sender.address,
        to_address: receiver.address,
        from_wallet_id: sender.id,
        to_wallet_id: receiver.id,
        units: log.units,
        status: 'succeeded',
        transaction_hash: log.transactionHash,
        block_number: log.blockNumber,
        log_index: log.logIndex,
      })
      .onConflict((oc) => oc.columns(['transaction_hash', 'log_index']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return 'already';
  }
  let slices: ReturnType<typeof takeFirstInFirstOut<Awaited<ReturnType<typeof holdingsOf>>[number]>>;
  try {
    slices = takeFirstInFirstOut(await holdingsOf(trx, log.productId, sender.id), log.units);
  } catch (error) {
    if (error instanceof InsufficientHoldings) throw new UnbookableLog(`${log.from}: ${error.message}`);
    throw error;
  }
  const now = new Date();
  for (const { holding, units } of slices) {
    await trx
      .updateTable('investments')
      .set((eb) => ({ remaining_amount: eb('remaining_amount', '-', units), updated_at: sql<string>`now()` }))
      .where('id', '=', holding.id)
      .execute();
    await issueStatement(trx, holding.id, 'TRANSFER_OUT', { keeper, transactionHash: log.transactionHash, units, now });
    const received = await trx
      .insertInto('investments')
      .values({
        id: uuidv7(),
        investor_id: receiver.investor_id,
        campaign_id: holding.campaign_id,
        product_id: holding.product_id,
        issuer_id: holding.issuer_id,
        distribution_platform_id: receiver.distribution_platform_id,
        status: 'DELIVERED',
        units,
        currency: holding.currency,
        price_per_token: holding.price_per_token,
        agio_percent: '0',
        disagio: 0n,
        accrued_interest_at_acceptance: 0n,
        remaining_amount: units,
        wallet_id: receiver.id,
        delivered_at: now.toISOString(),
        payment_reference: paymentReference(),
        origin: 'TRANSFER',
        source_investment_id: holding.id,
        transfer_id: id,
        ledger_block: log.blockNumber,
        ledger_log_index: log.logIndex,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('investment_status_changes')
      .values({
        id: uuidv7(),
        investment_id: received.id,
        previous_status: null,
        status: 'DELIVERED',
        changed_at: received.delivered_at!,
      })
      .execute();
    await recordEvent(trx, {
      type: 'investment.created',
      issuerId: received.issuer_id,
      platformId: received.distribution_platform_id,
      investmentId: received.id,
      data: {
        investment_id: received.id,
        status: received.status,
        investor_id: received.investor_id,
        campaign_id: received.campaign_id,
        product_id: received.product_id,
        units: Number(received.units),
        created_at: received.created_at,
      },
    });
    await issueStatement(trx, received.id, 'TRANSFER_IN', { keeper, transactionHash: log.transactionHash, units, now });
  }
  await transferEvent(trx, id, 'transfer.succeeded');
  return 'booked';
}
