/**
 * The ledger indexer: follows every token contract from a stored cursor and books its Transfer
 * logs in ledger order — holders' own transfers, the registrar's forced transfers and burns — so
 * the register moves exactly as the ledger did.
 *
 * - Once per log: a block's logs and the cursor move in one database transaction, and a holder's
 *   transfer is recorded under its (transaction hash, log index), so reading a block twice books
 *   nothing twice.
 * - Safe against reorganisations: only blocks `confirmations` deep are read; the cursor keeps its
 *   block's hash, and a different hash there later halts the contract's indexing (a reorganisation
 *   deeper than the depth needs a person) instead of booking a history that no longer exists.
 * - Mints are booked by their credits when the receipt arrives; the indexer waits at a mint whose
 *   credits are not booked yet, so nothing is booked out of order before the units it moves.
 */
import { sql } from 'kysely';
import { getAbiItem, type Hex, zeroAddress } from 'viem';
import type { Db, Trx } from '../db/database.ts';
import type { RegisterKeeper } from '../registry/domain.ts';
import { bookBurn } from './burns.ts';
import type { Ledger } from './chain.ts';
import { securityTokenAbi } from './contract.ts';
import { UnbookableLog } from './holdings.ts';
import { bookTransfer } from './transfers.ts';

const TRANSFER_EVENT = getAbiItem({ abi: securityTokenAbi, name: 'Transfer' });

/** Most blocks asked for in one eth_getLogs (public nodes often refuse wider ranges). */
export const LOG_RANGE = 2000n;

export interface IndexerOptions {
  confirmations: number;
  keeper: RegisterKeeper;
}

export interface IndexReport {
  /** Logs booked in this run. */
  booked: number;
  /** Contracts where indexing stopped, and why (also stored on their cursor). */
  halted: { product_id: string; reason: string }[];
}

/** Stops one block's booking without an error: the log must wait (for a credit to be booked). */
class WaitHere extends Error {}

interface Log {
  from: string;
  to: string;
  value: bigint;
  transactionHash: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  logIndex: number;
}

/** Runs the indexer as the only one on this chain; null when another process runs it now. */
export async function indexLedger(db: Db, ledger: Ledger, options: IndexerOptions): Promise<IndexReport | null> {
  const key = `indexer:${ledger.chainId}`;
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_lock(hashtextextended(${key}, 0)) as locked`.execute(conn);
    if (!rows[0]?.locked) return null;
    try {
      return await indexAll(db, ledger, options);
    } finally {
      await sql`select pg_advisory_unlock(hashtextextended(${key}, 0))`.execute(conn);
    }
  });
}

async function indexAll(db: Db, ledger: Ledger, options: IndexerOptions): Promise<IndexReport> {
  const report: IndexReport = { booked: 0, halted: [] };
  const head = await ledger.client.getBlockNumber({ cacheTime: 0 });
  const safe = head - BigInt(options.confirmations);
  if (safe < 0n) return report;
  const products = await db
    .selectFrom('products')
    .select(['id', 'token_contract_address'])
    .where('token_contract_address', 'is not', null)
    .where('token_chain_id', '=', BigInt(ledger.chainId))
    .orderBy('created_at')
    .execute();
  for (const product of products) {
    const cursor = await cursorOf(db, ledger, product.id, product.token_contract_address as Hex);
    if (!cursor) continue;
    const onChain = await ledger.client.getBlock({ blockNumber: cursor.block_number }).catch(() => null);
    if (onChain && onChain.hash !== cursor.block_hash) {
      const reason = `block ${cursor.block_number} is now ${onChain.hash}, not ${cursor.block_hash}: a reorganisation deeper than ${options.confirmations} confirmations; indexing of this token stopped`;
      await halt(db, product.id, reason);
      report.halted.push({ product_id: product.id, reason });
      continue;
    }
    try {
      report.booked += await follow(
        db,
        ledger,
        options,
        product.id,
        cursor.contract_address as Hex,
        cursor.block_number,
        safe,
      );
      if (cursor.halted) await halt(db, product.id, null);
    } catch (error) {
      if (error instanceof WaitHere) continue;
      if (!(error instanceof UnbookableLog)) throw error;
      await halt(db, product.id, error.message);
      report.halted.push({ product_id: product.id, reason: error.message });
    }
  }
  return report;
}

async function halt(db: Db, productId: string, reason: string | null) {
  await db
    .updateTable('ledger_cursors')
    .set({ halted: reason, updated_at: sql<string>`now()` })
    .where('product_id', '=', productId)
    .execute();
}

/** The product's cursor; a new one starts at the block that deployed its token. */
async function cursorOf(db: Db, ledger: Ledger, productId: string, contract: Hex) {
  const existing = await db
    .selectFrom('ledger_cursors')
    .selectAll()
    .where('product_id', '=', productId)
    .executeTakeFirst();
  if (existing) return existing;
  const deployment = await db
    .selectFrom('chain_transactions')
    .select('block_number')
    .where('kind', '=', `deploy_token:${productId}`)
    .where('status', '=', 'mined')
    .where('chain_id', '=', BigInt(ledger.chainId))
    .executeTakeFirst();
  // Deployed by another registrar (or not recorded): start at the contract's first block on record.
  const start = deployment?.block_number ?? 0n;
  const block = await ledger.client.getBlock({ blockNumber: start });
  return db
    .insertInto('ledger_cursors')
    .values({
      product_id: productId,
      chain_id: BigInt(ledger.chainId),
      contract_address: contract,
      block_number: start,
      block_hash: block.hash,
    })
    .onConflict((oc) => oc.column('product_id').doNothing())
    .returningAll()
    .executeTakeFirst();
}

async function moveCursor(trx: Trx | Db, productId: string, blockNumber: bigint, blockHash: string) {
  await trx
    .updateTable('ledger_cursors')
    .set({ block_number: blockNumber, block_hash: blockHash, updated_at: sql<string>`now()` })
    .where('product_id', '=', productId)
    .execute();
}

async function follow(
  db: Db,
  ledger: Ledger,
  options: IndexerOptions,
  productId: string,
  contract: Hex,
  after: bigint,
  safe: bigint,
): Promise<number> {
  let booked = 0;
  for (let from = after + 1n; from <= safe; from += LOG_RANGE) {
    const to = from + LOG_RANGE - 1n < safe ? from + LOG_RANGE - 1n : safe;
    const logs = (
      await ledger.client.getLogs({
        address: contract,
        event: TRANSFER_EVENT,
        fromBlock: from,
        toBlock: to,
        strict: true,
      })
    )
      .map(
        (l): Log => ({
          from: l.args.from,
          to: l.args.to,
          value: l.args.value,
          transactionHash: l.transactionHash,
          blockNumber: l.blockNumber,
          blockHash: l.blockHash,
          logIndex: l.logIndex,
        }),
      )
      .sort((a, b) =>
        a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
      );
    const blocks = new Map<bigint, Log[]>();
    for (const log of logs) blocks.set(log.blockNumber, [...(blocks.get(log.blockNumber) ?? []), log]);
    for (const [blockNumber, inBlock] of blocks) {
      await db.transaction().execute(async (trx) => {
        // A batch mint is one transaction with a log per credit: it is checked once.
        const checkedMints = new Set<string>();
        for (const log of inBlock) {
          if ((await bookLog(trx, ledger, options, productId, log, checkedMints)) === 'booked') booked++;
        }
        await moveCursor(trx, productId, blockNumber, inBlock[0]!.blockHash);
      });
    }
    const last = await ledger.client.getBlock({ blockNumber: to });
    await moveCursor(db, productId, to, last.hash);
  }
  return booked;
}

async function bookLog(
  trx: Trx,
  ledger: Ledger,
  options: IndexerOptions,
  productId: string,
  log: Log,
  checkedMints: Set<string>,
): Promise<'booked' | 'already' | 'mint'> {
  if (log.from === zeroAddress && checkedMints.has(log.transactionHash)) return 'mint';
  const ours = await trx
    .selectFrom('chain_transactions')
    .select(['id'])
    .where('hash', '=', log.transactionHash)
    .where('chain_id', '=', BigInt(ledger.chainId))
    .executeTakeFirst();
  if (log.from === zeroAddress) {
    if (!ours) throw new UnbookableLog(`a mint in ${log.transactionHash} that Kontor did not make`);
    const open = await trx
      .selectFrom('credits')
      .select('id')
      .where('chain_transaction_id', '=', ours.id)
      .where('status', '!=', 'succeeded')
      .executeTakeFirst();
    // Its credits book the mint when they see the receipt; what follows may move those units.
    if (open) throw new WaitHere();
    checkedMints.add(log.transactionHash);
    return 'mint';
  }
  if (log.to === zeroAddress) {
    const burn = ours
      ? await trx.selectFrom('burns').select('id').where('chain_transaction_id', '=', ours.id).executeTakeFirst()
      : undefined;
    if (!burn) throw new UnbookableLog(`a burn in ${log.transactionHash} that Kontor did not ask for`);
    return bookBurn(trx, options.keeper, burn.id, { units: log.value, transactionHash: log.transactionHash });
  }
  const requested = ours
    ? await trx.selectFrom('transfers').select('id').where('chain_transaction_id', '=', ours.id).executeTakeFirst()
    : undefined;
  if (ours && !requested)
    throw new UnbookableLog(`a transfer in ${log.transactionHash} by the registrar that no task asked for`);
  return bookTransfer(
    trx,
    options.keeper,
    {
      productId,
      from: log.from,
      to: log.to,
      units: log.value,
      transactionHash: log.transactionHash,
      blockNumber: log.blockNumber,
      logIndex: log.logIndex,
    },
    requested?.id ?? null,
  );
}
