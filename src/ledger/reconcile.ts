/**
 * Invariant 4: for every product, tokens on the ledger = Σ remaining_amount of its investments,
 * and every holder's balance = what the register says it holds.
 */
import { getAbiItem, getAddress, type Hex, zeroAddress } from 'viem';
import type { Db } from '../db/database.ts';
import type { Ledger } from './chain.ts';
import { securityTokenAbi } from './contract.ts';
import { LOG_RANGE } from './indexer.ts';

export interface ProductReconciliation {
  product_id: string;
  name: string;
  contract_address: string;
  ledger_supply: string;
  register_total: string;
  holders: { address: string; ledger_balance: string; register_balance: string }[];
  /** The indexer's cursor: the last block booked, and why it stopped if it did. */
  indexed_block: string | null;
  indexing_halted: string | null;
  differences: string[];
}

/**
 * Every address that ever received units of the token, read from the ledger's Transfer logs (not
 * from the indexer: this is the check of what the indexer booked).
 */
async function ledgerRecipients(ledger: Ledger, contract: Hex, fromBlock: bigint): Promise<Set<string>> {
  const event = getAbiItem({ abi: securityTokenAbi, name: 'Transfer' });
  const head = await ledger.client.getBlockNumber({ cacheTime: 0 });
  const recipients = new Set<string>();
  for (let from = fromBlock; from <= head; from += LOG_RANGE) {
    const to = from + LOG_RANGE - 1n < head ? from + LOG_RANGE - 1n : head;
    const logs = await ledger.client.getLogs({ address: contract, event, fromBlock: from, toBlock: to, strict: true });
    for (const log of logs) if (log.args.to !== zeroAddress) recipients.add(log.args.to.toLowerCase());
  }
  return recipients;
}

export async function reconcile(db: Db, ledger: Ledger, productId?: string): Promise<ProductReconciliation[]> {
  const products = await db
    .selectFrom('products')
    .select(['id', 'name', 'token_contract_address'])
    .where('token_contract_address', 'is not', null)
    .$if(productId !== undefined, (q) => q.where('id', '=', productId!))
    .where('token_chain_id', '=', BigInt(ledger.chainId))
    .orderBy('created_at')
    .execute();
  const report: ProductReconciliation[] = [];
  for (const product of products) {
    const contract = product.token_contract_address as Hex;
    const holdings = await db
      .selectFrom('investments')
      .innerJoin('wallets', 'wallets.id', 'investments.wallet_id')
      .select(['wallets.address'])
      .select((eb) => eb.fn.sum<string>('investments.remaining_amount').as('held'))
      .where('investments.product_id', '=', product.id)
      .where('investments.remaining_amount', '>', 0n)
      .groupBy('wallets.address')
      .execute();
    const supply = await ledger.client.readContract({
      address: contract,
      abi: securityTokenAbi,
      functionName: 'totalSupply',
    });
    const registerTotal = holdings.reduce((a, h) => a + BigInt(h.held), 0n);
    const differences: string[] = [];
    if (supply !== registerTotal) differences.push(`supply ${supply} on the ledger, ${registerTotal} in the register`);
    const deployment = await db
      .selectFrom('chain_transactions')
      .select('block_number')
      .where('kind', '=', `deploy_token:${product.id}`)
      .where('status', '=', 'mined')
      .executeTakeFirst();
    // Holders the register does not know (units that arrived by a transfer not booked yet) too.
    const known = new Set(holdings.map((h) => h.address.toLowerCase()));
    for (const address of await ledgerRecipients(ledger, contract, deployment?.block_number ?? 0n)) {
      if (!known.has(address)) holdings.push({ address: getAddress(address), held: '0' });
    }
    const cursor = await db
      .selectFrom('ledger_cursors')
      .select(['block_number', 'halted'])
      .where('product_id', '=', product.id)
      .executeTakeFirst();
    if (cursor?.halted) differences.push(`indexing stopped: ${cursor.halted}`);
    const holders = [];
    for (const h of holdings) {
      const balance = await ledger.client.readContract({
        address: contract,
        abi: securityTokenAbi,
        functionName: 'balanceOf',
        args: [h.address as Hex],
      });
      if (balance !== BigInt(h.held))
        differences.push(`${h.address}: ${balance} on the ledger, ${h.held} in the register`);
      // An address that once held and now holds nothing on both sides is no holder.
      if (balance === 0n && BigInt(h.held) === 0n) continue;
      holders.push({ address: h.address, ledger_balance: balance.toString(), register_balance: String(h.held) });
    }
    report.push({
      product_id: product.id,
      name: product.name,
      contract_address: contract,
      ledger_supply: supply.toString(),
      register_total: registerTotal.toString(),
      holders,
      indexed_block: cursor ? cursor.block_number.toString() : null,
      indexing_halted: cursor?.halted ?? null,
      differences,
    });
  }
  return report;
}
