import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Address,
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  getAddress,
  getContract,
  type Hash,
  type Hex,
  http,
  keccak256,
  parseEventLogs,
  publicActions,
  type TransactionReceipt,
  toBytes,
} from 'viem';
import { type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { anvil } from 'viem/chains';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ChainHandle, EMBEDDED_CHAIN_ID, startEmbeddedChain } from '../runtime/anvil.ts';
import {
  BATCH_MINT_MAX_RECIPIENTS,
  operationId,
  securityTokenAbi,
  securityTokenBytecode,
  TX_GAS_CAP,
} from './contract.ts';

// anvil's well-known development accounts 0 to 3 (from its default mnemonic).
const registrar = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const holderA = privateKeyToAccount('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const holderB = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const outsider = privateKeyToAccount('0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6');

const REGISTRAR_ROLE = keccak256(toBytes('REGISTRAR_ROLE'));
const DEFAULT_ADMIN_ROLE = `0x${'00'.repeat(32)}` as Hex;

const randomAddress = (): Address => getAddress(`0x${randomBytes(20).toString('hex')}`);
const credit = () => operationId('credit', randomUUID());

describe('operationId', () => {
  it('is keccak256 of kontor:<kind>:<uuid>, the same for the same operation whatever the case', () => {
    const id = '0190c3a2-7b1e-7c3d-8e4f-a1b2c3d4e5f6';
    expect(operationId('credit', id)).toBe(keccak256(toBytes(`kontor:credit:${id}`)));
    expect(operationId('credit', id.toUpperCase())).toBe(operationId('credit', id));
    expect(operationId('burn', id)).not.toBe(operationId('credit', id));
    expect(operationId('transfer', id)).not.toBe(operationId('burn', id));
    expect(() => operationId('credit', 'not-a-uuid')).toThrow(/not a uuid/);
  });
});

describe('KontorSecurityToken on the embedded anvil', () => {
  let chain: ChainHandle;
  let publicClient: ReturnType<typeof makePublicClient>;
  let address: Address;

  function makePublicClient(rpcUrl: string) {
    return createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 50 });
  }

  /** The token as seen by one account: reads, simulations and writes signed by that account. */
  function tokenAs(account: PrivateKeyAccount) {
    // One client for both sides, so that simulations too run as this account.
    const client = createWalletClient({
      account,
      chain: anvil,
      transport: http(chain.rpcUrl),
      pollingInterval: 50,
    }).extend(publicActions);
    return getContract({ address, abi: securityTokenAbi, client });
  }

  let token: ReturnType<typeof tokenAs>;

  async function mined(hash: Promise<Hash>): Promise<TransactionReceipt> {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    expect(receipt.status).toBe('success');
    return receipt;
  }

  /** The custom error a call reverts with: its name and arguments. */
  async function revertOf(call: Promise<unknown>): Promise<{ name?: string; args?: readonly unknown[] }> {
    try {
      await call;
    } catch (error) {
      const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
      if (revert instanceof ContractFunctionRevertedError)
        return { name: revert.data?.errorName, args: revert.data?.args };
      throw error;
    }
    throw new Error('the call did not revert');
  }

  const balance = (wallet: Address) => token.read.balanceOf([wallet]);

  beforeAll(async () => {
    chain = await startEmbeddedChain(mkdtempSync(join(inject('testHome'), 'ledger-')));
    publicClient = makePublicClient(chain.rpcUrl);
    expect(await publicClient.getChainId()).toBe(EMBEDDED_CHAIN_ID);
    const deployer = createWalletClient({ account: registrar, chain: anvil, transport: http(chain.rpcUrl) });
    const receipt = await mined(
      deployer.deployContract({
        abi: securityTokenAbi,
        bytecode: securityTokenBytecode,
        args: ['Green Bond 2031', 'GB31', registrar.address],
      }),
    );
    address = receipt.contractAddress!;
    token = tokenAs(registrar);
    console.log(`deployment: ${receipt.gasUsed} gas`);
  });

  afterAll(async () => {
    await chain?.stop();
  });

  it('is a whole-unit ERC-20 whose registrar holds both roles', async () => {
    expect(await token.read.decimals()).toBe(0);
    expect(await token.read.name()).toBe('Green Bond 2031');
    expect(await token.read.symbol()).toBe('GB31');
    expect(await token.read.hasRole([REGISTRAR_ROLE, registrar.address])).toBe(true);
    expect(await token.read.hasRole([DEFAULT_ADMIN_ROLE, registrar.address])).toBe(true);
    expect(await token.read.REGISTRAR_ROLE()).toBe(REGISTRAR_ROLE);
  });

  it('mints only to registered wallets, each operation id once', async () => {
    const wallet = randomAddress();
    const id = credit();
    expect(await revertOf(token.simulate.mint([wallet, 5n, id]))).toEqual({
      name: 'WalletNotRegistered',
      args: [wallet],
    });

    const registered = await mined(token.write.registerWallets([[wallet, holderA.address, holderB.address]]));
    const events = parseEventLogs({ abi: securityTokenAbi, logs: registered.logs, eventName: 'WalletRegistered' });
    expect(events.map((e) => e.args.wallet)).toEqual([wallet, holderA.address, holderB.address]);
    expect(await token.read.isRegistered([wallet])).toBe(true);
    // Registering again changes nothing and says nothing.
    const again = await mined(token.write.registerWallets([[wallet]]));
    expect(parseEventLogs({ abi: securityTokenAbi, logs: again.logs, eventName: 'WalletRegistered' })).toEqual([]);

    const receipt = await mined(token.write.mint([wallet, 5n, id]));
    const [minted] = parseEventLogs({ abi: securityTokenAbi, logs: receipt.logs, eventName: 'Minted' });
    expect(minted?.args).toEqual({ operationId: id, to: wallet, amount: 5n });
    expect(await balance(wallet)).toBe(5n);
    expect(await token.read.operationUsed([id])).toBe(true);

    // The same operation again (a retried credit): refused, even for another wallet or amount.
    expect(await revertOf(token.simulate.mint([wallet, 5n, id]))).toEqual({ name: 'OperationAlreadyUsed', args: [id] });
    expect(await revertOf(token.simulate.mint([holderA.address, 1n, id]))).toEqual({
      name: 'OperationAlreadyUsed',
      args: [id],
    });
    expect(await balance(wallet)).toBe(5n);
  });

  it(`credits ${BATCH_MINT_MAX_RECIPIENTS} wallets in one transaction under the EIP-7825 gas cap`, async () => {
    // Fresh random wallets: every recipient costs a new balance slot and a new operation slot, the
    // worst case (random addresses also cost the most calldata).
    const wallets = Array.from({ length: 500 }, randomAddress);
    for (let i = 0; i < wallets.length; i += 250) {
      const receipt = await mined(token.write.registerWallets([wallets.slice(i, i + 250)]));
      console.log(`registerWallets(250): ${receipt.gasUsed} gas`);
    }
    const batch = (n: number) => {
      const to = wallets.slice(0, n);
      return [to, to.map((_, i) => BigInt(i + 1)), to.map(() => credit())] as const;
    };
    const estimate = (n: number) =>
      publicClient.estimateContractGas({
        address,
        abi: securityTokenAbi,
        functionName: 'batchMint',
        args: batch(n),
        account: registrar,
      });

    // 500 recipients need more gas than one transaction may have (2^24 since EIP-7825) ...
    const for500 = await estimate(500);
    console.log(`batchMint(500) would need ${for500} gas > the cap ${TX_GAS_CAP}`);
    expect(for500).toBeGreaterThan(TX_GAS_CAP);
    // ... and anvil refuses such a transaction.
    await expect(token.write.batchMint(batch(500), { gas: TX_GAS_CAP + 1n })).rejects.toThrow(/exceeds the limit/);

    // The largest batch that fits, by bisection over estimates.
    let [fits, tooBig] = [1, 500];
    while (tooBig - fits > 1) {
      const mid = Math.floor((fits + tooBig) / 2);
      if ((await estimate(mid)) <= TX_GAS_CAP) fits = mid;
      else tooBig = mid;
    }
    console.log(`largest batchMint under the cap: ${fits} fresh recipients`);
    expect(fits).toBeGreaterThanOrEqual(BATCH_MINT_MAX_RECIPIENTS);

    // The engine's batch size, in one transaction, then the rest of the 500 in a second.
    const first = batch(BATCH_MINT_MAX_RECIPIENTS);
    const receipt = await mined(token.write.batchMint(first));
    const perRecipient = receipt.gasUsed / BigInt(BATCH_MINT_MAX_RECIPIENTS);
    console.log(
      `batchMint(${BATCH_MINT_MAX_RECIPIENTS}): ${receipt.gasUsed} gas (${perRecipient} per recipient), cap ${TX_GAS_CAP}`,
    );
    // Under the cap even with a 20 % margin on top, as a signer may add to its gas limit.
    expect((receipt.gasUsed * 12n) / 10n).toBeLessThanOrEqual(TX_GAS_CAP);
    const minted = parseEventLogs({ abi: securityTokenAbi, logs: receipt.logs, eventName: 'Minted' });
    expect(minted.map((e) => e.args)).toEqual(
      first[0].map((to, i) => ({ operationId: first[2][i], to, amount: first[1][i] })),
    );
    const rest = wallets.slice(BATCH_MINT_MAX_RECIPIENTS);
    const second = await mined(token.write.batchMint([rest, rest.map(() => 7n), rest.map(() => credit())]));
    console.log(`batchMint(${rest.length}): ${second.gasUsed} gas`);

    const balances = await Promise.all(wallets.map(balance));
    expect(balances).toEqual(wallets.map((_, i) => (i < BATCH_MINT_MAX_RECIPIENTS ? BigInt(i + 1) : 7n)));
    const sum = balances.reduce((a, b) => a + b, 0n);
    expect(sum).toBe(
      BigInt((BATCH_MINT_MAX_RECIPIENTS * (BATCH_MINT_MAX_RECIPIENTS + 1)) / 2) + 7n * BigInt(rest.length),
    );
  });

  it('refuses a whole batch with one used operation id or one unregistered wallet', async () => {
    const [a, b] = [randomAddress(), randomAddress()];
    await mined(token.write.registerWallets([[a, b]]));
    const used = credit();
    await mined(token.write.mint([b, 1n, used]));
    const fresh = credit();
    const supply = await token.read.totalSupply();

    expect(
      await revertOf(
        token.simulate.batchMint([
          [a, b],
          [3n, 4n],
          [fresh, used],
        ]),
      ),
    ).toEqual({
      name: 'OperationAlreadyUsed',
      args: [used],
    });
    // The same id twice within one batch is a reuse too.
    expect(
      await revertOf(
        token.simulate.batchMint([
          [a, b],
          [3n, 4n],
          [fresh, fresh],
        ]),
      ),
    ).toEqual({
      name: 'OperationAlreadyUsed',
      args: [fresh],
    });
    const stranger = randomAddress();
    expect(
      await revertOf(
        token.simulate.batchMint([
          [a, stranger],
          [3n, 4n],
          [fresh, credit()],
        ]),
      ),
    ).toEqual({
      name: 'WalletNotRegistered',
      args: [stranger],
    });
    expect(await revertOf(token.simulate.batchMint([[a, b], [3n], [fresh, credit()]]))).toEqual({
      name: 'LengthMismatch',
      args: undefined,
    });

    // Mined for real (gas given, so nothing is estimated first): the transaction reverts as a whole.
    const hash = await token.write.batchMint(
      [
        [a, b],
        [3n, 4n],
        [fresh, used],
      ],
      { gas: 1_000_000n },
    );
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('reverted');
    expect(await balance(a)).toBe(0n);
    expect(await balance(b)).toBe(1n);
    expect(await token.read.operationUsed([fresh])).toBe(false);
    expect(await token.read.totalSupply()).toBe(supply);
  });

  it('lets registered wallets transfer between each other, never to an unregistered one', async () => {
    const a = tokenAs(holderA);
    const before = { a: await balance(holderA.address), b: await balance(holderB.address) };
    await mined(token.write.mint([holderA.address, 100n, credit()]));

    await mined(a.write.transfer([holderB.address, 30n]));
    expect(await balance(holderA.address)).toBe(before.a + 70n);
    expect(await balance(holderB.address)).toBe(before.b + 30n);

    const stranger = randomAddress();
    expect(await revertOf(a.simulate.transfer([stranger, 1n]))).toEqual({
      name: 'WalletNotRegistered',
      args: [stranger],
    });

    // A spender need not be registered; the wallets it moves units between must be.
    await mined(a.write.approve([outsider.address, 10n]));
    const spender = tokenAs(outsider);
    await mined(spender.write.transferFrom([holderA.address, holderB.address, 5n]));
    expect(await balance(holderB.address)).toBe(before.b + 35n);
    expect(await revertOf(spender.simulate.transferFrom([holderA.address, stranger, 5n]))).toEqual({
      name: 'WalletNotRegistered',
      args: [stranger],
    });
  });

  it('burns and forces transfers by operation id, with their events', async () => {
    const wallet = randomAddress();
    await mined(token.write.registerWallets([[wallet]]));
    await mined(token.write.mint([wallet, 50n, credit()]));
    const supply = await token.read.totalSupply();

    const burnId = operationId('burn', randomUUID());
    const burned = await mined(token.write.burn([wallet, 20n, burnId]));
    expect(
      parseEventLogs({ abi: securityTokenAbi, logs: burned.logs, eventName: 'Burned' }).map((e) => e.args),
    ).toEqual([{ operationId: burnId, from: wallet, amount: 20n }]);
    expect(await balance(wallet)).toBe(30n);
    expect(await token.read.totalSupply()).toBe(supply - 20n);
    expect(await revertOf(token.simulate.burn([wallet, 1n, burnId]))).toEqual({
      name: 'OperationAlreadyUsed',
      args: [burnId],
    });

    // An unregistered wallet cannot send by itself, but the registrar can still move its units out.
    const unregistered = await mined(token.write.unregisterWallet([wallet]));
    expect(
      parseEventLogs({ abi: securityTokenAbi, logs: unregistered.logs, eventName: 'WalletUnregistered' }).map(
        (e) => e.args.wallet,
      ),
    ).toEqual([wallet]);
    const moveId = operationId('transfer', randomUUID());
    const stranger = randomAddress();
    expect(await revertOf(token.simulate.forcedTransfer([wallet, stranger, 1n, moveId]))).toEqual({
      name: 'WalletNotRegistered',
      args: [stranger],
    });
    const before = await balance(holderB.address);
    const moved = await mined(token.write.forcedTransfer([wallet, holderB.address, 30n, moveId]));
    expect(
      parseEventLogs({ abi: securityTokenAbi, logs: moved.logs, eventName: 'ForcedTransfer' }).map((e) => e.args),
    ).toEqual([{ operationId: moveId, from: wallet, to: holderB.address, amount: 30n }]);
    expect(
      parseEventLogs({ abi: securityTokenAbi, logs: moved.logs, eventName: 'Transfer' }).map((e) => e.args),
    ).toEqual([{ from: wallet, to: holderB.address, value: 30n }]);
    expect(await balance(wallet)).toBe(0n);
    expect(await balance(holderB.address)).toBe(before + 30n);
    expect(await revertOf(token.simulate.forcedTransfer([holderB.address, holderA.address, 1n, moveId]))).toEqual({
      name: 'OperationAlreadyUsed',
      args: [moveId],
    });

    // An ordinary transfer from an unregistered wallet is refused.
    await mined(token.write.unregisterWallet([holderB.address]));
    expect(await revertOf(tokenAs(holderB).simulate.transfer([holderA.address, 1n]))).toEqual({
      name: 'WalletNotRegistered',
      args: [holderB.address],
    });
    await mined(token.write.registerWallets([[holderB.address]]));
  });

  it('refuses every balance change while paused', async () => {
    const a = tokenAs(holderA);
    expect(await revertOf(a.simulate.pause())).toEqual({
      name: 'AccessControlUnauthorizedAccount',
      args: [holderA.address, REGISTRAR_ROLE],
    });
    await mined(token.write.pause());
    expect(await token.read.paused()).toBe(true);
    const paused = { name: 'EnforcedPause', args: undefined };
    expect(await revertOf(a.simulate.transfer([holderB.address, 1n]))).toEqual(paused);
    expect(await revertOf(token.simulate.mint([holderA.address, 1n, credit()]))).toEqual(paused);
    expect(await revertOf(token.simulate.batchMint([[holderA.address], [1n], [credit()]]))).toEqual(paused);
    expect(await revertOf(token.simulate.burn([holderA.address, 1n, credit()]))).toEqual(paused);
    expect(await revertOf(token.simulate.forcedTransfer([holderA.address, holderB.address, 1n, credit()]))).toEqual(
      paused,
    );
    await mined(token.write.unpause());
    await mined(a.write.transfer([holderB.address, 1n]));
  });

  it('lets no one but the registrar register, mint, burn or force', async () => {
    const o = tokenAs(outsider);
    const denied = { name: 'AccessControlUnauthorizedAccount', args: [outsider.address, REGISTRAR_ROLE] };
    expect(await revertOf(o.simulate.mint([holderA.address, 1n, credit()]))).toEqual(denied);
    expect(await revertOf(o.simulate.batchMint([[holderA.address], [1n], [credit()]]))).toEqual(denied);
    expect(await revertOf(o.simulate.registerWallets([[outsider.address]]))).toEqual(denied);
    expect(await revertOf(o.simulate.unregisterWallet([holderA.address]))).toEqual(denied);
    expect(await revertOf(o.simulate.burn([holderA.address, 1n, credit()]))).toEqual(denied);
    expect(await revertOf(o.simulate.forcedTransfer([holderA.address, outsider.address, 1n, credit()]))).toEqual(
      denied,
    );
    expect(await revertOf(o.simulate.grantRole([REGISTRAR_ROLE, outsider.address]))).toEqual({
      name: 'AccessControlUnauthorizedAccount',
      args: [outsider.address, DEFAULT_ADMIN_ROLE],
    });
  });
});
