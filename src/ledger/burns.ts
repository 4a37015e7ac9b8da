/**
 * Burns: the issuer's CANCELLATION of a delivered investment takes its units off the ledger
 * (`burn`, an operation id used at most once). The investment stays DELIVERED, with the
 * cancellation's date and reason noted, until the indexer books the burn's log; then it becomes
 * CANCELLATION with no units left and a CANCELLATION registry statement. A burn the ledger refuses
 * (the holder moved the units meanwhile) fails and the investment stays DELIVERED.
 */
import { sql } from 'kysely';
import { encodeFunctionData, type Hex } from 'viem';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import { changeStatus, type InvestmentRow } from '../investments/lifecycle.ts';
import type { RegisterKeeper } from '../registry/domain.ts';
import { issueStatement } from '../registry/service.ts';
import type { Ledger } from './chain.ts';
import { operationId, securityTokenAbi } from './contract.ts';
import { UnbookableLog } from './holdings.ts';
import { revertReason } from './registrations.ts';
import { resolveTasksOf } from './resolve.ts';
import { scheduleLedgerOperations } from './schedule.ts';
import { broadcastAndWait, type ChainTx, OutcomeUnknown, signAndStore } from './signer.ts';

/** Queues the burn of a delivered investment's units, in the cancelling transaction. */
export async function requestBurn(
  trx: Trx,
  investment: InvestmentRow,
  cancellationDate: string,
): Promise<InvestmentRow> {
  const wallet = await trx
    .selectFrom('wallets')
    .select('address')
    .where('id', '=', investment.wallet_id!)
    .executeTakeFirstOrThrow();
  const id = uuidv7();
  await trx
    .insertInto('burns')
    .values({
      id,
      investment_id: investment.id,
      product_id: investment.product_id,
      operation_id: operationId('burn', id),
      status: 'processing',
      wallet_address: wallet.address,
      units: investment.remaining_amount,
      cancellation_date: cancellationDate,
    })
    .execute();
  await scheduleLedgerOperations(trx);
  return trx
    .updateTable('investments')
    .set({ cancellation_date: cancellationDate, cancellation_reason: 'CANCELLATION', updated_at: sql<string>`now()` })
    .where('id', '=', investment.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A burn that will not happen: the investment stays DELIVERED and loses the noted cancellation. */
async function failBurns(db: Db, ids: string[], error: string): Promise<void> {
  if (ids.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const id of ids) {
      const burn = await trx
        .updateTable('burns')
        .set({ status: 'failed', error, updated_at: sql<string>`now()` })
        .where('id', '=', id)
        .where('status', 'in', ['processing', 'unknown'])
        .returning('investment_id')
        .executeTakeFirst();
      if (!burn) continue;
      await trx
        .updateTable('investments')
        .set({ cancellation_date: null, cancellation_reason: null, updated_at: sql<string>`now()` })
        .where('id', '=', burn.investment_id)
        .where('status', '=', 'DELIVERED')
        .execute();
    }
  });
}

async function markBurn(db: Db, id: string, status: 'unknown' | 'processing', error: string | null) {
  await db
    .updateTable('burns')
    .set({ status, error, updated_at: sql<string>`now()` })
    .where('id', '=', id)
    .where('status', 'in', ['processing', 'unknown'])
    .execute();
}

/** The `ledger_operations` step for requested burns: one `burn` transaction each, stored before it is sent. */
export async function executePendingBurns(db: Db, ledger: Ledger): Promise<void> {
  for (;;) {
    const next = await db
      .selectFrom('burns')
      .innerJoin('products', 'products.id', 'burns.product_id')
      .select([
        'burns.id',
        'burns.operation_id',
        'burns.wallet_address',
        'burns.units',
        'products.token_contract_address',
      ])
      .where('burns.status', '=', 'processing')
      .where('burns.chain_transaction_id', 'is', null)
      .orderBy('burns.created_at')
      .limit(1)
      .executeTakeFirst();
    if (!next) return;
    const contract = next.token_contract_address as Hex;
    const args = [next.wallet_address as Hex, next.units, next.operation_id as Hex] as const;
    const refused = await revertReason(ledger, contract, 'burn', args);
    if (refused) {
      await failBurns(db, [next.id], `the ledger refused the burn: ${refused}`);
      continue;
    }
    const data = encodeFunctionData({ abi: securityTokenAbi, functionName: 'burn', args });
    const tx = await signAndStore(db, ledger, { kind: 'burn', to: contract, data }, async (trx, stored) => {
      await trx
        .updateTable('burns')
        .set({ chain_transaction_id: stored.id, updated_at: sql<string>`now()` })
        .where('id', '=', next.id)
        .execute();
    });
    try {
      const settled = await broadcastAndWait(db, ledger, tx);
      if (settled.status !== 'mined') await resolveBurnsOf(db, ledger, settled);
    } catch (error) {
      if (!(error instanceof OutcomeUnknown)) throw error;
      await markBurn(db, next.id, 'unknown', error.message);
      throw error;
    }
  }
}

/** Resolves the burns of a settled transaction (see resolveTasksOf). */
export async function resolveBurnsOf(db: Db, ledger: Ledger, tx: ChainTx): Promise<void> {
  await resolveTasksOf(db, ledger, tx, 'burns', (ids, error) => failBurns(db, ids, error));
}

/**
 * Books the Transfer-to-zero log of a burn, in the indexer's transaction: the investment becomes
 * CANCELLATION with nothing left, and gets its CANCELLATION statement.
 */
export async function bookBurn(
  trx: Trx,
  keeper: RegisterKeeper,
  burnId: string,
  log: { units: bigint; transactionHash: string },
): Promise<'booked' | 'already'> {
  const burn = await trx.selectFrom('burns').selectAll().where('id', '=', burnId).forUpdate().executeTakeFirstOrThrow();
  if (burn.status === 'succeeded') return 'already';
  const investment = await trx
    .selectFrom('investments')
    .selectAll()
    .where('id', '=', burn.investment_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (investment.status !== 'DELIVERED' || investment.remaining_amount !== log.units) {
    throw new UnbookableLog(
      `the burn of ${log.units} units does not match investment ${investment.id} (${investment.status}, ${investment.remaining_amount} left)`,
    );
  }
  await trx
    .updateTable('burns')
    .set({ status: 'succeeded', error: null, updated_at: sql<string>`now()` })
    .where('id', '=', burn.id)
    .execute();
  await changeStatus(trx, investment, 'CANCELLATION', burn.cancellation_date, {
    cancellation_date: burn.cancellation_date,
    cancellation_reason: 'CANCELLATION',
    remaining_amount: 0n,
  });
  await issueStatement(trx, investment.id, 'CANCELLATION', {
    keeper,
    transactionHash: log.transactionHash,
    units: log.units,
  });
  return 'booked';
}
