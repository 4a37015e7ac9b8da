import type { Trx } from '../db/database.ts';
import { enqueueJob } from '../jobs/queue.ts';

/**
 * Asks the workers to run the registrar's ledger operations (deploy tokens, register wallets,
 * mint, transfer, burn) once the caller's transaction commits. One waiting job at a time (its key);
 * a request while one runs queues the next run.
 */
export async function scheduleLedgerOperations(trx: Trx): Promise<void> {
  await enqueueJob(trx, 'ledger_operations', {}, { jobKey: 'ledger_operations' });
}

/** Asks the indexer to look at the ledger now (it also polls on its own). */
export async function scheduleIndexing(trx: Trx): Promise<void> {
  await enqueueJob(trx, 'index_ledger', {}, { jobKey: 'index_ledger_now' });
}
