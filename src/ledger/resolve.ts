/**
 * Resolution of the registrar's single-operation tasks (transfers, burns) once their stored
 * transaction is settled: mined ones wait for the indexer to book their log (their outcome is
 * clear); reverted ones failed unless the operation id was used after all; dropped ones (their
 * nonce went to another transaction) are sent again — their operation id was never used.
 */
import { sql } from 'kysely';
import type { Hex } from 'viem';
import type { Db } from '../db/database.ts';
import type { Ledger } from './chain.ts';
import { securityTokenAbi } from './contract.ts';
import type { ChainTx } from './signer.ts';

export async function resolveTasksOf(
  db: Db,
  ledger: Ledger,
  tx: ChainTx,
  // Both tables have the columns used here; the cast lets one query serve them.
  table: 'transfers' | 'burns',
  fail: (ids: string[], error: string) => Promise<void>,
): Promise<void> {
  const tasks = table as 'transfers';
  const open = await db
    .selectFrom(tasks)
    .innerJoin('products', 'products.id', 'transfers.product_id')
    .select(['transfers.id', 'transfers.operation_id', 'products.token_contract_address'])
    .where('transfers.chain_transaction_id', '=', tx.id)
    .where('transfers.status', 'in', ['processing', 'unknown'])
    .execute();
  for (const task of open) {
    if (tx.status === 'mined') {
      await db
        .updateTable(tasks)
        .set({ status: 'processing', error: null, updated_at: sql<string>`now()` })
        .where('id', '=', task.id)
        .where('status', '=', 'unknown')
        .execute();
    } else if (tx.status === 'reverted') {
      const used = await ledger.client.readContract({
        address: task.token_contract_address as Hex,
        abi: securityTokenAbi,
        functionName: 'operationUsed',
        args: [task.operation_id as Hex],
      });
      if (!used)
        await fail([task.id], `the ${table === 'burns' ? 'burn' : 'transfer'} transaction ${tx.hash} reverted`);
    } else if (tx.status === 'dropped') {
      await db
        .updateTable(tasks)
        .set({ status: 'processing', chain_transaction_id: null, error: null, updated_at: sql<string>`now()` })
        .where('id', '=', task.id)
        .execute();
    }
  }
}
