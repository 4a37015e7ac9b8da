/**
 * The registrar's transactions, one writer per signer key (a PostgreSQL advisory lock) with its
 * own nonce ledger: every transaction is signed and stored — raw bytes, hash, nonce — before it is
 * broadcast (invariant 3), so that a crash or a time-out never leaves Kontor guessing.
 */
import { sql } from 'kysely';
import { createWalletClient, type Hex, http, keccak256 } from 'viem';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import type { Ledger } from './chain.ts';
import { TX_GAS_CAP } from './contract.ts';

export type ChainTx = {
  id: string;
  nonce: bigint;
  hash: string;
  raw_transaction: string;
  status: 'signed' | 'mined' | 'reverted' | 'dropped';
  contract_address: string | null;
};

/** The broadcast's outcome is not known (RPC error or time-out after the transaction was stored). */
export class OutcomeUnknown extends Error {}

/** Runs `task` as the only writer for this signer; null when another process holds it now. */
export async function asSoleSigner<T>(db: Db, ledger: Ledger, task: () => Promise<T>): Promise<{ value: T } | null> {
  const key = `signer:${ledger.chainId}:${ledger.registrar.address.toLowerCase()}`;
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_lock(hashtextextended(${key}, 0)) as locked`.execute(conn);
    if (!rows[0]?.locked) return null;
    try {
      return { value: await task() };
    } finally {
      await sql`select pg_advisory_unlock(hashtextextended(${key}, 0))`.execute(conn);
    }
  });
}

async function nextNonce(db: Db, ledger: Ledger): Promise<number> {
  const onChain = await ledger.client.getTransactionCount({ address: ledger.registrar.address, blockTag: 'pending' });
  const stored = await db
    .selectFrom('chain_transactions')
    .select((eb) => eb.fn.max('nonce').as('nonce'))
    .where('chain_id', '=', BigInt(ledger.chainId))
    .where('signer', '=', ledger.registrar.address)
    .where('status', '!=', 'dropped')
    .executeTakeFirst();
  const after = stored?.nonce === null || stored?.nonce === undefined ? 0 : Number(stored.nonce) + 1;
  return Math.max(onChain, after);
}

/**
 * Signs a transaction and stores it, with `link` writing what it belongs to (credits, a product)
 * in the same database transaction. Nothing is broadcast yet.
 */
export async function signAndStore(
  db: Db,
  ledger: Ledger,
  request: { kind: string; to?: Hex; data: Hex },
  link: (trx: Trx, tx: ChainTx) => Promise<void> = async () => {},
): Promise<ChainTx> {
  const wallet = createWalletClient({
    account: ledger.registrar,
    chain: ledger.client.chain,
    transport: http(ledger.rpcUrl, { retryCount: 0 }),
  });
  const nonce = await nextNonce(db, ledger);
  const prepared = await wallet.prepareTransactionRequest({
    account: ledger.registrar,
    chain: ledger.client.chain,
    ...(request.to ? { to: request.to } : {}),
    data: request.data,
    nonce,
  });
  // A margin over the estimate, never above the per-transaction gas cap (EIP-7825).
  const gas = prepared.gas ? [(prepared.gas * 12n) / 10n, TX_GAS_CAP].reduce((a, b) => (a < b ? a : b)) : undefined;
  const raw = await ledger.registrar.signTransaction({ ...prepared, gas } as Parameters<
    typeof ledger.registrar.signTransaction
  >[0]);
  const hash = keccak256(raw);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('chain_transactions')
      .values({
        id: uuidv7(),
        chain_id: BigInt(ledger.chainId),
        signer: ledger.registrar.address,
        nonce: BigInt(nonce),
        kind: request.kind,
        raw_transaction: raw,
        hash,
        status: 'signed',
      })
      .returning(['id', 'nonce', 'hash', 'raw_transaction', 'status', 'contract_address'])
      .executeTakeFirstOrThrow();
    await link(trx, row);
    return row;
  });
}

function known(error: unknown): boolean {
  const text = String((error as Error)?.message ?? error).toLowerCase();
  return text.includes('already known') || text.includes('already imported') || text.includes('nonce too low');
}

/**
 * Broadcasts a stored transaction (again: the same bytes, so a re-send can never double anything)
 * and waits for its receipt. Throws OutcomeUnknown when the node does not say.
 */
export async function broadcastAndWait(db: Db, ledger: Ledger, tx: ChainTx, timeoutMs = 60_000): Promise<ChainTx> {
  // A stopping worker sends nothing more: settleStoredTransactions sends it on the next run.
  if (ledger.abortSignal?.aborted) throw new OutcomeUnknown(`${tx.hash} not broadcast: the worker is stopping`);
  try {
    await ledger.client.sendRawTransaction({ serializedTransaction: tx.raw_transaction as Hex });
  } catch (error) {
    if (!known(error))
      throw new OutcomeUnknown(`broadcast of ${tx.hash}: ${String((error as Error).message ?? error)}`);
  }
  let receipt: Awaited<ReturnType<typeof ledger.client.waitForTransactionReceipt>>;
  try {
    // A node that mines on arrival (anvil) has the receipt at once; otherwise it is polled for.
    receipt =
      (await ledger.client.getTransactionReceipt({ hash: tx.hash as Hex }).catch(() => null)) ??
      (await untilAborted(
        ledger.abortSignal,
        ledger.client.waitForTransactionReceipt({
          hash: tx.hash as Hex,
          timeout: timeoutMs,
          pollingInterval: 100,
          retryCount: 0,
        }),
      ));
  } catch (error) {
    throw new OutcomeUnknown(`receipt of ${tx.hash}: ${String((error as Error).message ?? error)}`);
  }
  return recordReceipt(db, tx.id, receipt);
}

/** `promise`, unless `signal` fires first: then a rejection at once (a shutdown does not wait a minute for a receipt). */
function untilAborted<T>(signal: AbortSignal | undefined, promise: Promise<T>): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(new Error('the worker is stopping'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

export async function recordReceipt(
  db: Db | Trx,
  txId: string,
  receipt: { status: 'success' | 'reverted'; blockNumber: bigint; gasUsed: bigint; contractAddress?: string | null },
): Promise<ChainTx> {
  return db
    .updateTable('chain_transactions')
    .set({
      status: receipt.status === 'success' ? 'mined' : 'reverted',
      block_number: receipt.blockNumber,
      gas_used: receipt.gasUsed,
      contract_address: receipt.contractAddress ?? null,
      updated_at: sql<string>`now()`,
    })
    .where('id', '=', txId)
    .returning(['id', 'nonce', 'hash', 'raw_transaction', 'status', 'contract_address'])
    .executeTakeFirstOrThrow();
}

/**
 * Settles every stored transaction still `signed` (a crash or time-out left it): its receipt if
 * it was mined; `dropped` if its nonce was used by something else; else it is sent again.
 */
export async function settleStoredTransactions(db: Db, ledger: Ledger): Promise<void> {
  const pending = await db
    .selectFrom('chain_transactions')
    .select(['id', 'nonce', 'hash', 'raw_transaction', 'status', 'contract_address'])
    .where('chain_id', '=', BigInt(ledger.chainId))
    .where('signer', '=', ledger.registrar.address)
    .where('status', '=', 'signed')
    .orderBy('nonce')
    .execute();
  for (const tx of pending) {
    const receipt = await ledger.client.getTransactionReceipt({ hash: tx.hash as Hex }).catch(() => null);
    if (receipt) {
      await recordReceipt(db, tx.id, receipt);
      continue;
    }
    const mined = await ledger.client.getTransactionCount({ address: ledger.registrar.address, blockTag: 'latest' });
    if (mined > Number(tx.nonce)) {
      await db
        .updateTable('chain_transactions')
        .set({ status: 'dropped', error: 'its nonce was used by another transaction', updated_at: sql<string>`now()` })
        .where('id', '=', tx.id)
        .execute();
      continue;
    }
    await broadcastAndWait(db, ledger, tx);
  }
}
