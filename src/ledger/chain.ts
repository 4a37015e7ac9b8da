/**
 * Kontor's connection to the ledger: one JSON-RPC endpoint (the embedded anvil or CHAIN_RPC_URL)
 * and the registrar's key (REGISTRAR_PRIVATE_KEY; anvil's first development key when embedded).
 */
import { createPublicClient, defineChain, type Hex, http, type PublicClient } from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import type { Config } from '../config.ts';
import { type RegisterKeeper, registerKeeperOf } from '../registry/domain.ts';

/** anvil's first development account: public knowledge, used only against the embedded chain. */
export const ANVIL_DEV_KEY: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export interface Ledger {
  rpcUrl: string;
  chainId: number;
  client: PublicClient;
  registrar: PrivateKeyAccount;
  /** The registrar as the register-keeping body named on registry statements. */
  keeper: RegisterKeeper;
  /**
   * Fires when the job using this ledger should stop (the worker is shutting down): waits for
   * receipts end at once and nothing more is broadcast; what was stored is settled by the next run.
   */
  abortSignal?: AbortSignal;
}

export class LedgerConfigError extends Error {}

export async function connectLedger(config: Config, rpcUrl: string): Promise<Ledger> {
  const key = (config.registrarPrivateKey ?? (config.chainRpcUrl ? null : ANVIL_DEV_KEY)) as Hex | null;
  if (!key) throw new LedgerConfigError('REGISTRAR_PRIVATE_KEY is required with CHAIN_RPC_URL');
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) });
  const chainId = await probe.getChainId();
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  return {
    rpcUrl,
    chainId,
    // No automatic retries: a time-out after broadcast must surface as "unknown", never resend blindly.
    client: createPublicClient({
      chain,
      transport: http(rpcUrl, { retryCount: 0, timeout: config.chainRpcTimeoutMs }),
    }),
    registrar: privateKeyToAccount(key),
    keeper: registerKeeperOf(config),
  };
}
