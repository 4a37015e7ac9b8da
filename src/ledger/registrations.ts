/**
 * Wallets on the token contracts: only registered wallets may receive units or send them by
 * themselves. Every wallet with receiving_enabled is registered on every deployed token by the
 * `ledger_operations` job; a recipient is also checked right before a mint or transfer to it.
 */
import { sql } from 'kysely';
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, type Hex } from 'viem';
import type { Db } from '../db/database.ts';
import type { Ledger } from './chain.ts';
import { securityTokenAbi } from './contract.ts';
import { broadcastAndWait, signAndStore } from './signer.ts';

/**
 * At most this many wallets per `registerWallets` transaction: a new registration costs about
 * 25,000 gas (a fresh storage slot and a log), so 400 stay near 10 M, well under the 2^24 cap.
 */
export const REGISTER_WALLETS_MAX = 400;

/** Registers on the product's token the addresses it does not know yet. */
export async function registerRecipients(
  db: Db,
  ledger: Ledger,
  productId: string,
  contract: Hex,
  addresses: string[],
) {
  const known = await db
    .selectFrom('token_wallet_registrations')
    .select('address')
    .where('product_id', '=', productId)
    .where('address', 'in', addresses)
    .execute();
  const missing = addresses.filter((a) => !known.some((k) => k.address === a));
  for (let i = 0; i < missing.length; i += REGISTER_WALLETS_MAX) {
    const chunk = missing.slice(i, i + REGISTER_WALLETS_MAX);
    const data = encodeFunctionData({ abi: securityTokenAbi, functionName: 'registerWallets', args: [chunk as Hex[]] });
    const tx = await signAndStore(db, ledger, { kind: 'register_wallets', to: contract, data });
    const mined = await broadcastAndWait(db, ledger, tx);
    if (mined.status !== 'mined') throw new Error(`registering wallets on ${contract} reverted (${mined.hash})`);
    await db
      .insertInto('token_wallet_registrations')
      .values(chunk.map((address) => ({ product_id: productId, address, chain_transaction_id: mined.id })))
      .onConflict((oc) => oc.columns(['product_id', 'address']).doNothing())
      .execute();
  }
}

/** Registers every wallet with receiving_enabled on every deployed token that does not know it yet. */
export async function registerReceivingWallets(db: Db, ledger: Ledger): Promise<void> {
  for (;;) {
    const missing = await db
      .selectFrom('products')
      .innerJoin('wallets', (join) => join.on('wallets.receiving_enabled', '=', true))
      .select(['products.id as product_id', 'products.token_contract_address', 'wallets.address'])
      .where('products.token_contract_address', 'is not', null)
      .where('products.token_chain_id', '=', BigInt(ledger.chainId))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('token_wallet_registrations as r')
              .select(sql`1`.as('one'))
              .whereRef('r.product_id', '=', 'products.id')
              .whereRef('r.address', '=', 'wallets.address'),
          ),
        ),
      )
      .orderBy('products.created_at')
      .orderBy('wallets.created_at')
      .limit(REGISTER_WALLETS_MAX)
      .execute();
    if (missing.length === 0) return;
    const first = missing[0]!;
    const forProduct = missing.filter((m) => m.product_id === first.product_id).map((m) => m.address);
    await registerRecipients(db, ledger, first.product_id, first.token_contract_address as Hex, forProduct);
  }
}

type RegistrarCall = 'forcedTransfer' | 'burn';

/**
 * Why the contract would refuse a registrar call now (its custom error or revert reason), or null
 * when it would go through. Asked before signing: a refused operation fails at once instead of
 * costing a reverted transaction. Errors that are not the contract's (the node is down) propagate.
 */
export async function revertReason(
  ledger: Ledger,
  contract: Hex,
  functionName: RegistrarCall,
  args: readonly unknown[],
): Promise<string | null> {
  try {
    await ledger.client.simulateContract({
      account: ledger.registrar,
      address: contract,
      abi: securityTokenAbi,
      functionName,
      // biome-ignore lint/suspicious/noExplicitAny: the args match functionName; viem cannot narrow a union here.
      args: args as any,
    });
    return null;
  } catch (error) {
    if (error instanceof BaseError) {
      const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
      if (reverted instanceof ContractFunctionRevertedError) {
        return reverted.data?.errorName
          ? `${reverted.data.errorName}(${(reverted.data.args ?? []).map(String).join(', ')})`
          : (reverted.reason ?? reverted.shortMessage);
      }
    }
    throw error;
  }
}
