/**
 * The `ledger_operations` job: everything the registrar key signs, done by one writer at a time
 * (an advisory lock per signer) in a fixed order — first settle what a crash or time-out left
 * open, then deploy missing tokens, register receiving wallets, mint pending credits, execute
 * requested transfers and burns.
 */
import type { Db } from '../db/database.ts';
import { executePendingBurns, resolveBurnsOf } from './burns.ts';
import type { Ledger } from './chain.ts';
import { deployTokens, mintPendingCredits, resolveCreditsOf } from './credits.ts';
import { registerReceivingWallets } from './registrations.ts';
import { asSoleSigner, settleStoredTransactions } from './signer.ts';
import { executePendingTransfers, resolveTransfersOf } from './transfers.ts';

export async function processLedgerOperations(
  db: Db,
  ledger: Ledger,
  options: { creditBatchMax?: number } = {},
): Promise<'done' | 'busy'> {
  const result = await asSoleSigner(db, ledger, async () => {
    await settleStoredTransactions(db, ledger);
    // Tasks whose transaction is settled (mined, reverted, dropped) but not the task itself.
    const unresolved = await db
      .selectFrom('chain_transactions')
      .selectAll()
      .where('status', '!=', 'signed')
      .where((eb) =>
        eb.or(
          (['credits', 'transfers', 'burns'] as const).map((table) =>
            eb.exists(
              eb
                .selectFrom(table)
                .select(`${table}.id`)
                .whereRef(`${table}.chain_transaction_id`, '=', 'chain_transactions.id')
                .where(`${table}.status`, 'in', ['processing', 'unknown']),
            ),
          ),
        ),
      )
      .execute();
    for (const tx of unresolved) {
      await resolveCreditsOf(db, ledger, tx);
      await resolveTransfersOf(db, ledger, tx);
      await resolveBurnsOf(db, ledger, tx);
    }
    await deployTokens(db, ledger);
    await registerReceivingWallets(db, ledger);
    await mintPendingCredits(db, ledger, options.creditBatchMax);
    await executePendingTransfers(db, ledger);
    await executePendingBurns(db, ledger);
  });
  return result ? 'done' : 'busy';
}
