/**
 * Invariant 4: for every product, tokens on the ledger = Σ remaining_amount of its investments,
 * and every holder's balance = what the register says it holds.
 */
import type { Hex } from 'viem';
import type { Db } from '../db/database.ts';
import type { Ledger } from './chain.ts';
import { securityTokenAbi } from './contract.ts';

export interface ProductReconciliation {
  product_id: string;
  name: string;
  contract_address: string;
  ledger_supply: string;
  register_total: string;
  holders: { address: string; ledger_balance: string; register_balance: string }[];
  differences: string[];
}

export async function reconcile(db: Db, ledger: Ledger): Promise<ProductReconciliation[]> {
  const products = await db
    .selectFrom('products')
    .select(['id', 'name', 'token_contract_address'])
    .where('token_contract_address', 'is not', null)
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
      holders.push({ address: h.address, ledger_balance: balance.toString(), register_balance: String(h.held) });
    }
    report.push({
      product_id: product.id,
      name: product.name,
      contract_address: contract,
      ledger_supply: supply.toString(),
      register_total: registerTotal.toString(),
      holders,
      differences,
    });
  }
  return report;
}
