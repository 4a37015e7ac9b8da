/**
 * A worker that stops does not wait for receipts: its job's abort signal ends the wait at once,
 * and a transaction not yet broadcast is not sent. Either way the transaction stays stored as
 * `signed`, and the next run settles it (invariant 3: stored before broadcast, never guessed).
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicClient, type Hex, http, type PublicClient } from 'viem';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectLedger, type Ledger } from '../src/ledger/chain.ts';
import { broadcastAndWait, OutcomeUnknown, settleStoredTransactions, signAndStore } from '../src/ledger/signer.ts';
import { type ChainHandle, startEmbeddedChain } from '../src/runtime/anvil.ts';
import {
  createTenant,
  freshDatabase,
  ISSUER,
  productBody,
  startWorkingServer,
  type TestDatabase,
  testConfig,
} from './helpers.ts';
import { waitFor } from './webhook-receiver.ts';

let chain: ChainHandle;
let database: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  chain = await startEmbeddedChain(mkdtempSync(join(inject('testHome'), 'chain-')));
  database = await freshDatabase();
  ledger = await connectLedger(testConfig(), chain.rpcUrl);
}, 60_000);
afterAll(async () => {
  await database?.drop();
  await chain?.stop();
});

/** anvil stops mining on arrival: a broadcast transaction waits in its pool until `evm_mine`. */
const automine = (on: boolean, client: PublicClient = ledger.client) =>
  client.request({ method: 'evm_setAutomine' as never, params: [on] as never });
const stored = (hash: string) =>
  database.db.selectFrom('chain_transactions').select('status').where('hash', '=', hash).executeTakeFirstOrThrow();
const inPool = async (hash: string) =>
  (await ledger.client.getTransaction({ hash: hash as Hex }).catch(() => null)) !== null;
/** A transaction with no effect: empty calldata to the registrar's own address. */
const noop = () => signAndStore(database.db, ledger, { kind: 'test_noop', to: ledger.registrar.address, data: '0x' });

describe('a stopping worker and its transactions', () => {
  it('stops waiting for a receipt when its job is aborted; the next run settles the transaction', async () => {
    await automine(false);
    const tx = await noop();
    const stop = new AbortController();
    const waiting = broadcastAndWait(database.db, { ...ledger, abortSignal: stop.signal }, tx);
    const outcome = waiting.then(
      () => 'mined',
      (error) => error,
    );
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    // Without the signal this would wait the full minute for a block that does not come.
    const error = await outcome;
    expect(error).toBeInstanceOf(OutcomeUnknown);
    expect(String(error.message)).toContain('the worker is stopping');
    expect(await inPool(tx.hash)).toBe(true);
    expect((await stored(tx.hash)).status).toBe('signed');

    await automine(true);
    await ledger.client.request({ method: 'evm_mine' as never });
    await settleStoredTransactions(database.db, ledger);
    expect((await stored(tx.hash)).status).toBe('mined');
  }, 30_000);

  it('broadcasts nothing once its job is aborted; the next run sends it', async () => {
    const tx = await noop();
    const stop = new AbortController();
    stop.abort();
    await expect(broadcastAndWait(database.db, { ...ledger, abortSignal: stop.signal }, tx)).rejects.toThrow(
      OutcomeUnknown,
    );
    expect(await inPool(tx.hash)).toBe(false);
    expect((await stored(tx.hash)).status).toBe('signed');

    await settleStoredTransactions(database.db, ledger);
    expect((await stored(tx.hash)).status).toBe('mined');
  }, 30_000);

  it('a worker stops without waiting for the receipt its job is waiting for', async () => {
    const server = await startWorkingServer();
    try {
      const rpc = createPublicClient({ transport: http(server.kontor.chain.rpcUrl) });
      await automine(false, rpc);
      const t = await createTenant(server);
      // The product's token is deployed by the ledger job, which then waits for a block that never comes.
      expect((await t.issuer.post(`${ISSUER}/products/`, productBody())).status).toBe(201);
      const deployment = () =>
        server.db
          .selectFrom('chain_transactions')
          .select(['hash', 'status'])
          .where('kind', 'like', 'deploy_token:%')
          .executeTakeFirst();
      await waitFor(
        async () => {
          const tx = await deployment();
          return tx !== undefined && (await rpc.getTransaction({ hash: tx.hash as Hex }).catch(() => null)) !== null;
        },
        20_000,
        'the deployment broadcast',
      );
      // Without the job's abort signal the stop would wait out the job's minute for the receipt
      // and this test its time-out; graphile aborts running jobs 5 s into a graceful shutdown.
      await server.kontor.stop();
      expect((await deployment())?.status).toBe('signed');
    } finally {
      await server.database.drop();
    }
  }, 45_000);
});
