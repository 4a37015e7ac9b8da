/**
 * Crediting (spec §7): the API creates a credit task for a paid investment; the workers batch
 * pending credits into `batchMint` transactions of at most 250 recipients (what fits under the
 * EIP-7825 transaction gas cap with a margin; measured in src/ledger/contract.test.ts), each with its
 * own operation id, and deliver the investments. A credit is issued at most once (invariant 3):
 * the transaction is stored before it is broadcast, an unclear outcome becomes `unknown`, and
 * `unknown` is resolved from the ledger (is the operation id used?), never by minting again.
 */
import { sql } from 'kysely';
import { encodeDeployData, encodeFunctionData, type Hex } from 'viem';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import { type NewEvent, recordEvent, recordEvents } from '../events/outbox.ts';
import { conflict, invalidField, notFound } from '../http/errors.ts';
import { changeStatuses } from '../investments/lifecycle.ts';
import { type InvestmentViewer, visibleInvestments } from '../investments/service.ts';
import { issueStatements } from '../registry/service.ts';
import type { Ledger } from './chain.ts';
import { BATCH_MINT_MAX_RECIPIENTS, operationId, securityTokenAbi, securityTokenBytecode } from './contract.ts';
import { registerRecipients } from './registrations.ts';
import { scheduleLedgerOperations } from './schedule.ts';
import { broadcastAndWait, type ChainTx, OutcomeUnknown, signAndStore } from './signer.ts';

type CreditRow = {
  id: string;
  investment_id: string;
  status: 'processing' | 'failed' | 'succeeded' | 'unknown';
  error: string | null;
  created_at: string;
  updated_at: string;
  transaction_hash: string | null;
};

export function creditView(row: CreditRow) {
  return {
    id: row.id,
    investment_id: row.investment_id,
    status: row.status,
    transaction_hash: row.transaction_hash,
    error: row.error,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Credits with their transaction hash, as a query base. */
export function creditsWithHash(db: Db | Trx) {
  return db
    .selectFrom('credits')
    .leftJoin('chain_transactions', 'chain_transactions.id', 'credits.chain_transaction_id')
    .select([
      'credits.id',
      'credits.investment_id',
      'credits.status',
      'credits.error',
      'credits.created_at',
      'credits.updated_at',
      'chain_transactions.hash as transaction_hash',
    ]);
}

/**
 * POST /investments/{id}/credits/: only PAID with a wallet; a second request while one is
 * processing, unknown or succeeded returns that task.
 */
export async function requestCredit(trx: Trx, viewer: InvestmentViewer, investmentId: string) {
  const investment = await visibleInvestments(trx, viewer)
    .selectAll('investments')
    .where('investments.id', '=', investmentId)
    .forUpdate()
    .executeTakeFirst();
  if (!investment) throw notFound('investment');
  const live = await creditsWithHash(trx)
    .where('credits.investment_id', '=', investment.id)
    .where('credits.status', 'in', ['processing', 'unknown', 'succeeded'])
    .executeTakeFirst();
  if (live) return creditView(live);
  if (investment.status !== 'PAID') {
    throw conflict('not_paid', `crediting needs a PAID investment; it is ${investment.status}`);
  }
  if (!investment.wallet_id) throw conflict('wallet_missing', 'set the wallet of the investment before crediting');
  const wallet = await trx
    .selectFrom('wallets')
    .select(['address', 'receiving_enabled'])
    .where('id', '=', investment.wallet_id)
    .executeTakeFirstOrThrow();
  if (!wallet.receiving_enabled) throw invalidField('wallet', 'the wallet does not have receiving_enabled');
  const id = uuidv7();
  await trx
    .insertInto('credits')
    .values({
      id,
      investment_id: investment.id,
      product_id: investment.product_id,
      operation_id: operationId('credit', id),
      status: 'processing',
      wallet_address: wallet.address,
      units: investment.units,
    })
    .execute();
  await trx
    .updateTable('investments')
    .set({ credit_requested_at: sql<string>`now()`, updated_at: sql<string>`now()` })
    .where('id', '=', investment.id)
    .execute();
  await scheduleLedgerOperations(trx);
  return creditView((await creditsWithHash(trx).where('credits.id', '=', id).executeTakeFirstOrThrow()) as CreditRow);
}

type CreditEventType = 'credit.succeeded' | 'credit.failed' | 'credit.unknown';

/** A credit's event: its task as the API shows it, to the investment's issuer and platform. */
function creditEventOf(
  type: CreditEventType,
  credit: { id: string; investment_id: string; status: string; transaction_hash: string | null; error: string | null },
  investment: { issuer_id: string; distribution_platform_id: string },
): NewEvent {
  return {
    type,
    issuerId: investment.issuer_id,
    platformId: investment.distribution_platform_id,
    investmentId: credit.investment_id,
    data: {
      credit_id: credit.id,
      investment_id: credit.investment_id,
      status: credit.status,
      transaction_hash: credit.transaction_hash,
      error: credit.error,
    },
  };
}

async function creditEvent(trx: Trx, creditId: string, type: CreditEventType) {
  const credit = await creditsWithHash(trx).where('credits.id', '=', creditId).executeTakeFirstOrThrow();
  const investment = await trx
    .selectFrom('investments')
    .select(['issuer_id', 'distribution_platform_id'])
    .where('id', '=', credit.investment_id)
    .executeTakeFirstOrThrow();
  await recordEvent(trx, creditEventOf(type, credit, investment));
}

/**
 * The credits of a mined transaction succeeded: their investments are DELIVERED, with their first
 * registry statement. Set-based: a batch of 250 credits is booked in about ten statements.
 */
async function succeed(db: Db, ledger: Ledger, creditIds: string[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Locked in one order (credits, then investments, by id); a retry leaves succeeded ones alone.
    const credits = (
      await trx.selectFrom('credits').selectAll().where('id', 'in', creditIds).orderBy('id').forUpdate().execute()
    ).filter((c) => c.status !== 'succeeded');
    if (credits.length === 0) return;
    await trx
      .updateTable('credits')
      .set({ status: 'succeeded', error: null, updated_at: sql<string>`now()` })
      .where(
        'id',
        'in',
        credits.map((c) => c.id),
      )
      .execute();
    const investments = await trx
      .selectFrom('investments')
      .selectAll()
      .where(
        'id',
        'in',
        credits.map((c) => c.investment_id),
      )
      .orderBy('id')
      .forUpdate()
      .execute();
    const investmentOf = new Map(investments.map((i) => [i.id, i]));
    // The credits of a batch share their transaction: its hash and block are read once.
    const mints = new Map(
      (
        await trx
          .selectFrom('chain_transactions')
          .select(['id', 'hash', 'block_number'])
          .where('id', 'in', [...new Set(credits.map((c) => c.chain_transaction_id!))])
          .execute()
      ).map((t) => [t.id, t]),
    );
    const mintOf = (credit: (typeof credits)[number]) => mints.get(credit.chain_transaction_id!)!;
    const now = new Date().toISOString();
    const paid = credits.filter((c) => investmentOf.get(c.investment_id)!.status === 'PAID');
    for (const [txId, mint] of mints) {
      const delivered = paid
        .filter((c) => c.chain_transaction_id === txId)
        .map((c) => investmentOf.get(c.investment_id)!);
      await changeStatuses(trx, delivered, 'DELIVERED', now, {
        delivered_at: now,
        remaining_amount: sql<bigint>`units`,
        // Their place in the wallets' first-in first-out order.
        ledger_block: mint.block_number,
      });
    }
    await issueStatements(
      trx,
      paid.map((c) => ({
        investmentId: c.investment_id,
        reason: 'ISSUANCE' as const,
        options: { keeper: ledger.keeper, transactionHash: mintOf(c).hash, now: new Date(now) },
      })),
    );
    await recordEvents(
      trx,
      credits.map((c) =>
        creditEventOf(
          'credit.succeeded',
          { ...c, status: 'succeeded', transaction_hash: mintOf(c).hash, error: null },
          investmentOf.get(c.investment_id)!,
        ),
      ),
    );
  });
}

async function mark(db: Db, creditIds: string[], status: 'failed' | 'unknown', error: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const id of creditIds) {
      await trx
        .updateTable('credits')
        .set({ status, error, updated_at: sql<string>`now()` })
        .where('id', '=', id)
        .execute();
      await creditEvent(trx, id, status === 'failed' ? 'credit.failed' : 'credit.unknown');
    }
  });
}

export async function operationUsed(ledger: Ledger, contract: Hex, opId: Hex): Promise<boolean> {
  return ledger.client.readContract({
    address: contract,
    abi: securityTokenAbi,
    functionName: 'operationUsed',
    args: [opId],
  });
}

/**
 * Resolves a transaction's credits from the ledger after its outcome became clear (or was lost):
 * an operation id that the contract has used was minted; the others go back to be batched again.
 */
export async function resolveCreditsOf(db: Db, ledger: Ledger, tx: ChainTx): Promise<void> {
  const credits = await db
    .selectFrom('credits')
    .innerJoin('products', 'products.id', 'credits.product_id')
    .select(['credits.id', 'credits.operation_id', 'products.token_contract_address'])
    .where('credits.chain_transaction_id', '=', tx.id)
    .where('credits.status', 'in', ['processing', 'unknown'])
    .execute();
  const minted: string[] = [];
  const notMinted: string[] = [];
  for (const c of credits) {
    (await operationUsed(ledger, c.token_contract_address as Hex, c.operation_id as Hex))
      ? minted.push(c.id)
      : notMinted.push(c.id);
  }
  if (minted.length) await succeed(db, ledger, minted);
  if (notMinted.length === 0) return;
  if (tx.status === 'reverted') {
    await mark(db, notMinted, 'failed', `the mint transaction ${tx.hash} reverted`);
    return;
  }
  // Dropped (its nonce went to another transaction): batch these credits again, safely — their
  // operation ids were never used.
  await db
    .updateTable('credits')
    .set({ status: 'processing', chain_transaction_id: null, error: null, updated_at: sql<string>`now()` })
    .where('id', 'in', notMinted)
    .execute();
}

/** Deploys the token of every product that has none yet. */
export async function deployTokens(db: Db, ledger: Ledger): Promise<void> {
  const products = await db
    .selectFrom('products')
    .select(['id', 'name', 'asset_code'])
    .where('token_contract_address', 'is', null)
    .orderBy('created_at')
    .execute();
  for (const product of products) {
    const data = encodeDeployData({
      abi: securityTokenAbi,
      bytecode: securityTokenBytecode,
      args: [product.name, product.asset_code, ledger.registrar.address],
    });
    const tx = await signAndStore(db, ledger, { kind: `deploy_token:${product.id}`, data });
    const mined = await broadcastAndWait(db, ledger, tx);
    await recordDeployment(db, ledger, product.id, mined);
  }
}

async function recordDeployment(db: Db, ledger: Ledger, productId: string, tx: ChainTx): Promise<void> {
  if (tx.status !== 'mined' || !tx.contract_address) return;
  await db
    .updateTable('products')
    .set({
      token_chain_id: BigInt(ledger.chainId),
      token_contract_address: tx.contract_address,
      token_deployed_at: sql<string>`now()`,
      updated_at: sql<string>`now()`,
    })
    .where('id', '=', productId)
    .where('token_contract_address', 'is', null)
    .execute();
}

/**
 * The `ledger_operations` step for credits: mints pending credits in batches, per product. A mined
 * batch is booked while the next one is minted, so that the booking (mostly the registry
 * statements) and the chain work at the same time; bookings run one at a time, in the order of the
 * mints, and the step ends when the last one has. A failed booking fails the step; the job's retry
 * books that batch (its transaction is mined, its credits unresolved).
 */
export async function mintPendingCredits(db: Db, ledger: Ledger, batchMax = BATCH_MINT_MAX_RECIPIENTS): Promise<void> {
  let booking: Promise<void> | null = null;
  try {
    await mintBatches(db, ledger, batchMax, async (book) => {
      await booking;
      booking = book();
      // Awaited by the next batch or at the end; not an unhandled rejection meanwhile.
      booking.catch(() => {});
    });
  } catch (error) {
    // Settled before the step ends; the first error is the one reported.
    await (booking as Promise<void> | null)?.catch(() => {});
    throw error;
  }
  await booking;
}

async function mintBatches(
  db: Db,
  ledger: Ledger,
  batchMax: number,
  bookWhenReady: (book: () => Promise<void>) => Promise<void>,
): Promise<void> {
  for (;;) {
    const next = await db
      .selectFrom('credits')
      .innerJoin('products', 'products.id', 'credits.product_id')
      .select(['credits.product_id', 'products.token_contract_address'])
      .where('credits.status', '=', 'processing')
      .where('credits.chain_transaction_id', 'is', null)
      .where('products.token_contract_address', 'is not', null)
      .orderBy('credits.created_at')
      .limit(1)
      .executeTakeFirst();
    if (!next) return;
    const batch = await db
      .selectFrom('credits')
      .select(['id', 'operation_id', 'wallet_address', 'units'])
      .where('product_id', '=', next.product_id)
      .where('status', '=', 'processing')
      .where('chain_transaction_id', 'is', null)
      .orderBy('created_at')
      .limit(Math.min(batchMax, BATCH_MINT_MAX_RECIPIENTS))
      .execute();
    const contract = next.token_contract_address as Hex;
    await registerRecipients(db, ledger, next.product_id, contract, [...new Set(batch.map((c) => c.wallet_address))]);
    const data = encodeFunctionData({
      abi: securityTokenAbi,
      functionName: 'batchMint',
      args: [
        batch.map((c) => c.wallet_address as Hex),
        batch.map((c) => c.units),
        batch.map((c) => c.operation_id as Hex),
      ],
    });
    const ids = batch.map((c) => c.id);
    // The credits are tied to the stored transaction in the transaction that stores it.
    const tx = await signAndStore(db, ledger, { kind: 'batch_mint', to: contract, data }, async (trx, stored) => {
      await trx
        .updateTable('credits')
        .set({ chain_transaction_id: stored.id, updated_at: sql<string>`now()` })
        .where('id', 'in', ids)
        .execute();
    });
    let settled: ChainTx;
    try {
      settled = await broadcastAndWait(db, ledger, tx);
    } catch (error) {
      if (!(error instanceof OutcomeUnknown)) throw error;
      await mark(db, ids, 'unknown', error.message);
      throw error;
    }
    if (settled.status === 'mined') await bookWhenReady(() => succeed(db, ledger, ids));
    else await bookWhenReady(() => resolveCreditsOf(db, ledger, settled));
  }
}
