// The security token contract as Kontor deploys and calls it: its ABI and bytecode from the
// committed artifacts (compiled by scripts/compile-contracts.mjs, checked by artifacts.test.ts),
// and the operation ids that make every ledger operation happen at most once.
import { type Hex, keccak256, toBytes } from 'viem';
// A `const` ABI (generated beside the JSON) gives viem the types of every function, event and error.
import { kontorSecurityTokenAbi } from '../../contracts/artifacts/KontorSecurityToken.abi.ts';
// esbuild inlines the JSON into the bundle, so dist/ needs no file beside it.
import artifact from '../../contracts/artifacts/KontorSecurityToken.json' with { type: 'json' };

export const securityTokenAbi = kontorSecurityTokenAbi;

/** The creation bytecode; the constructor is `(string name, string symbol, address registrar)`. */
export const securityTokenBytecode = artifact.bytecode as Hex;

/** The compiler that produced the bytecode, for the record of a deployment. */
export const securityTokenCompiler = artifact.compiler.version;

/** The kinds of registrar operation that carry an operation id. */
export type OperationKind = 'credit' | 'burn' | 'transfer';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The contract's operation id of one Kontor operation: keccak256 of the UTF-8 text
 * `kontor:<kind>:<uuid>` (the uuid in lower case), e.g. `kontor:credit:<credit task id>`.
 *
 * The contract refuses an id it has seen (`OperationAlreadyUsed`), so the id must be derived from
 * the database row of the operation and nothing else: a retry, a re-broadcast or a crashed worker's
 * successor computes the same id and can never mint, burn or move units twice. The kind keeps a
 * credit and a burn with the same uuid apart.
 */
export function operationId(kind: OperationKind, id: string): Hex {
  const uuid = id.toLowerCase();
  if (!UUID.test(uuid)) throw new Error(`operation id: not a uuid: ${id}`);
  return keccak256(toBytes(`kontor:${kind}:${uuid}`));
}

/** The most gas one transaction may use since EIP-7825 (Osaka): 2^24. The embedded anvil enforces it
 * (`--enable-tx-gas-limit`), as will every network past Osaka. */
export const TX_GAS_CAP = 16_777_216n;

/**
 * The most recipients Kontor puts in one `batchMint`. A recipient costs about 52,750 gas when its
 * wallet holds no units yet and its operation id is new (two fresh storage slots of 22,100 each,
 * the `Transfer` and `Minted` logs, calldata), so at most 318 fit under {@link TX_GAS_CAP} (500 would
 * need 26.4 M). 250 (13.2 M) keeps even a gas limit of the estimate plus 20 % under the cap.
 * contract.test.ts measures it.
 */
export const BATCH_MINT_MAX_RECIPIENTS = 250;
