/**
 * A seeded fault simulation: two platforms' clients make random sequences of API calls at the
 * same time (investors, investments paid at once, credits, aborts, transfers), with duplicate
 * retries under idempotency keys and retries of calls refused while the server restarts, while
 * the chain RPC drops the answers to broadcasts, fails other calls and answers some only after the
 * client's time-out, the API server is stopped and restarted, the workers (a `kontor worker`
 * process) are killed with SIGKILL and restarted, and the webhook receiver fails. Afterwards every
 * invariant of docs/invariants.md is checked. CI runs the fixed seeds; SIM_SEEDS=N adds N random
 * ones; a failure names the seed. SIM_SEED=… replays each client's sequence of calls exactly; how
 * the two interleave, and when the faults strike, depends on timing as well.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { canTransition, END_STATES, type InvestmentStatus } from '../../src/investments/domain.ts';
import { ANVIL_DEV_KEY, connectLedger } from '../../src/ledger/chain.ts';
import { reconcile } from '../../src/ledger/reconcile.ts';
import { scheduleLedgerOperations } from '../../src/ledger/schedule.ts';
import { type ChainHandle, startEmbeddedChain } from '../../src/runtime/anvil.ts';
import { type Kontor, startKontor } from '../../src/runtime/kontor.ts';
import { type KontorProcess, startKontorProcess } from '../e2e/process.ts';
import {
  Api,
  bothDocuments,
  createTenant,
  DISTRIBUTOR,
  deployedToken,
  freshDatabase,
  ISSUER,
  listedProduct,
  newAddress,
  type Tenant,
  type TestDatabase,
  testConfig,
} from '../helpers.ts';
import { startReceiver, waitFor } from '../webhook-receiver.ts';

const FIXED_SEEDS = [20261122, 7];
const seeds = process.env.SIM_SEED
  ? [Number(process.env.SIM_SEED)]
  : [
      ...FIXED_SEEDS,
      ...Array.from({ length: Number(process.env.SIM_SEEDS ?? 0) }, () => Math.floor(Math.random() * 2 ** 31)),
    ];
const STEPS = Number(process.env.SIM_STEPS ?? 80);

type Listed = { id: string; wallet: string; remaining_amount: number };
const results = (page: { body: { results?: Listed[] } }): Listed[] => page.body.results ?? [];

/** mulberry32: the whole run follows from the seed. */
function generator(seed: number) {
  let state = seed;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, chance: (p: number) => next() < p, pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]! };
}

/** The workers' chain RPC time-out in the simulation (CHAIN_RPC_TIMEOUT_MS). */
const RPC_TIMEOUT_MS = 1000;

/**
 * A JSON-RPC proxy in front of anvil that, by chance, drops broadcast answers, fails other calls,
 * and answers calls (broadcasts included: they reach the node) only after the client gave up.
 */
async function faultyRpc(upstream: string, rng: ReturnType<typeof generator>) {
  const faults = { on: true, dropped: 0, failed: 0, timedOut: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (faults.on && !body.includes('eth_sendRawTransaction') && rng.chance(0.03)) {
        faults.failed++;
        res.writeHead(502).end('bad gateway');
        return;
      }
      const answer = await fetch(upstream, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await answer.text();
      if (faults.on && rng.chance(0.03)) {
        faults.timedOut++;
        await new Promise((r) => setTimeout(r, RPC_TIMEOUT_MS + 300));
      } else if (faults.on && body.includes('eth_sendRawTransaction') && rng.chance(0.2)) {
        // The transaction reached the node; its sender never hears of it.
        faults.dropped++;
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    faults,
    close: () => server.close(),
  };
}

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

describe.each(seeds)('the fault simulation (SIM_SEED=%i)', (seed) => {
  it('keeps every invariant', async () => {
    console.log(`simulation: SIM_SEED=${seed}`);
    const rng = generator(seed);
    // Faults draw from their own stream: the clients' sequence does not depend on background timing.
    const faultRng = generator(seed ^ 0x5bd1e995);
    const chain: ChainHandle = await startEmbeddedChain(mkdtempSync(join(inject('testHome'), 'sim-chain-')));
    cleanup.push(() => chain.stop());
    const rpc = await faultyRpc(chain.rpcUrl, faultRng);
    cleanup.push(() => rpc.close());
    // The receiver fails a third of the deliveries while the faults are on.
    const receiver = await startReceiver(() => (rpc.faults.on && faultRng.chance(0.33) ? 500 : 200));
    cleanup.push(() => receiver.close());
    const database: TestDatabase = await freshDatabase();
    cleanup.push(() => database.drop());
    const config = testConfig({
      databaseUrl: database.url,
      port: 0,
      chainRpcUrl: rpc.url,
      registrarPrivateKey: ANVIL_DEV_KEY,
      ledgerPollMs: 200,
      webhookRetryDelays: [1, 1, 2, 2, 3],
      allowPrivateWebhookTargets: true,
    });
    // The API runs here; the workers in their own process, which is killed without warning.
    let kontor: Kontor = await startKontor(config, { api: true, workers: false, logger: false });
    cleanup.push(() => kontor.stop());
    const workerEnv = {
      KONTOR_HOME: mkdtempSync(join(inject('testHome'), 'sim-worker-')),
      DATABASE_URL: database.url,
      CHAIN_RPC_URL: rpc.url,
      CHAIN_CONFIRMATIONS: '0',
      CHAIN_RPC_TIMEOUT_MS: String(RPC_TIMEOUT_MS),
      REGISTRAR_PRIVATE_KEY: ANVIL_DEV_KEY,
      WALLET_ENCRYPTION_KEY: config.walletEncryptionKey.toString('hex'),
      LEDGER_POLL_INTERVAL_MS: '200',
      WEBHOOK_RETRY_DELAYS: '1,1,2,2,3',
      ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true',
    };
    let worker: KontorProcess = await startKontorProcess(workerEnv, 'worker');
    cleanup.push(() => worker.stop('SIGTERM'));
    let kills = 0;
    const server = () => ({ db: database.db, api: new Api(kontor.apiUrl) });
    const tenants: Tenant[] = [await createTenant(server(), 'A'), await createTenant(server(), 'B')];
    const rebase = (api: Api) => new Api(kontor.apiUrl, api.token);
    const products: (Awaited<ReturnType<typeof listedProduct>> & {
      tenant: Tenant;
      investors: { id: string; wallet: string; address: string }[];
    })[] = [];
    for (const [i, t] of tenants.entries()) {
      const listed = await listedProduct(t, { asset_code: `SIM${i}` }, { allocation: 40, max_number_of_tokens: 5 });
      await deployedToken(t, listed.product.id);
      const hook = await t.distributor.post(`${DISTRIBUTOR}/webhooks/`, { url: receiver.url });
      expect(hook.status, hook.text).toBe(201);
      products.push({ ...listed, tenant: t, investors: [] as { id: string; wallet: string; address: string }[] });
    }
    const replays: string[] = [];
    let restarts = 0;

    let restarting: Promise<void> | null = null;
    /** A restart or a kill runs alone: the other client waits for it before its next call. */
    async function exclusively(work: () => Promise<void>) {
      while (restarting) await restarting;
      restarting = work().finally(() => {
        restarting = null;
      });
      await restarting;
    }
    /**
     * A call as a client makes it: after a refused connection or a 503 (the API server restarting)
     * it is sent again, the same request under the same idempotency key.
     */
    async function retried<T>(send: () => Promise<T>): Promise<T> {
      for (let attempt = 0; ; attempt++) {
        while (restarting) await restarting;
        try {
          const res = await send();
          if ((res as { status?: unknown }).status !== 503 || attempt >= 20) return res;
        } catch (error) {
          if (attempt >= 20) throw error;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const get = (api: Api, path: string) => retried(() => rebase(api).get(path));

    /** A POST under an idempotency key, sometimes sent twice: the second answer must be the first. */
    async function post(rng: ReturnType<typeof generator>, api: Api, path: string, body: unknown) {
      const key = `sim-${seed}-${rng.next().toString(36).slice(2)}`;
      const send = () => retried(() => rebase(api).post(path, body, { headers: { 'x-idempotency-key': key } }));
      const first = await send();
      if (first.status < 500 && rng.chance(0.3)) {
        const again = await send();
        if (again.status !== first.status || again.text !== first.text) {
          replays.push(
            `${path}: ${first.status} ${first.text.slice(0, 80)} then ${again.status} ${again.text.slice(0, 80)}`,
          );
        }
      }
      return first;
    }

    /** One step of one client: a call of its platform, or a restart of the API or a kill of the workers. */
    async function step(client: number, rng: ReturnType<typeof generator>, step: number) {
      const p = products[client]!;
      const api = p.tenant.distributor;
      const roll = rng.next();
      if (roll < 0.05) {
        await exclusively(async () => {
          await kontor.stop();
          kontor = await startKontor(config, { api: true, workers: false, logger: false });
          restarts++;
        });
      } else if (roll < 0.1) {
        // Whatever the workers were doing (a mint on its way, a delivery, a booking) stops dead.
        await exclusively(async () => {
          await worker.stop('SIGKILL');
          worker = await startKontorProcess(workerEnv, 'worker');
          kills++;
        });
      } else if (p.investors.length < 3 || roll < 0.2) {
        const address = newAddress();
        const investor = await post(rng, api, `${DISTRIBUTOR}/investors/`, {
          natural_person: { forename: 'Sim', surname: `Investor ${client}-${step}` },
          wallet_address: address,
        });
        if (investor.status !== 201) return;
        await post(rng, api, `${DISTRIBUTOR}/investors/${investor.body.id}/identifications/`, {
          document_type: 'IDCARD',
          document_id: `S${client}x${step}`,
          document_valid_to: '2035-01-01',
          verified_at: '2026-01-05T09:00:00Z',
        });
        const wallets = await get(api, `${DISTRIBUTOR}/investors/${investor.body.id}/wallets/`);
        p.investors.push({ id: investor.body.id, wallet: wallets.body.results[0].id, address });
      } else if (roll < 0.55) {
        const investor = rng.pick(p.investors);
        const now = new Date().toISOString();
        const paid = rng.chance(0.8);
        await post(rng, api, `${DISTRIBUTOR}/investments/`, {
          investor_id: investor.id,
          campaign_id: p.campaign.id,
          units: 1 + Math.floor(rng.next() * 3),
          signed_at: '2026-02-01T10:00:00Z',
          signed_documents: await retried(() => bothDocuments(rebase(api))),
          ...(paid ? { accepted_at: now, paid_at: now } : {}),
          wallet: investor.wallet,
        });
      } else if (roll < 0.75) {
        const paid = results(await get(api, `${DISTRIBUTOR}/investments/?status=PAID&limit=500`));
        if (paid.length) await post(rng, api, `${DISTRIBUTOR}/investments/${rng.pick(paid).id}/credits/`, undefined);
      } else if (roll < 0.85) {
        const waiting = results(await get(api, `${DISTRIBUTOR}/investments/?status=WAITING_FOR_ACCEPTANCE&limit=500`));
        if (waiting.length) {
          await post(rng, api, `${DISTRIBUTOR}/investments/${rng.pick(waiting).id}/cancellation/`, {
            cancellation_date: new Date().toISOString(),
          });
        }
      } else {
        const delivered = results(await get(api, `${DISTRIBUTOR}/investments/?status=DELIVERED&limit=500`)).filter(
          (i) => i.remaining_amount > 0,
        );
        if (delivered.length && p.investors.length > 1) {
          const from = rng.pick(delivered);
          const to = rng.pick(p.investors.filter((i) => i.wallet !== from.wallet));
          await post(rng, api, `${DISTRIBUTOR}/transfers/`, {
            product: p.product.id,
            source_wallet: from.wallet,
            target_address: to.address,
            amount: 1,
          });
        }
      }
    }

    // The two platforms' clients call at the same time, each from its own stream of the seed.
    await Promise.all(
      products.map(async (_, client) => {
        const own = client === 0 ? rng : generator(seed ^ 0x2545f491);
        for (let n = 0; n < STEPS / 2; n++) await step(client, own, n);
      }),
    );

    // The faults end; the system must come to rest on its own (one more restart on the way).
    rpc.faults.on = false;
    await kontor.stop();
    kontor = await startKontor(config, { api: true, workers: false, logger: false });
    await worker.stop('SIGKILL');
    worker = await startKontorProcess(workerEnv, 'worker');
    await database.db.transaction().execute((trx) => scheduleLedgerOperations(trx));
    const db = database.db;
    await waitFor(
      async () => {
        const open = await db
          .selectFrom('credits')
          .select('id')
          .where('status', 'in', ['processing', 'unknown'])
          .unionAll(db.selectFrom('transfers').select('id').where('status', 'in', ['processing', 'unknown']))
          .unionAll(db.selectFrom('webhook_deliveries').select('id').where('status', '=', 'pending'))
          .execute();
        return open.length === 0;
      },
      180_000,
      `rest after the faults (SIM_SEED=${seed})`,
    );

    // 1. Units reserved = units of live subscriptions, never above the allocation.
    for (const p of products) {
      const campaign = await db
        .selectFrom('campaigns')
        .select(['units_reserved', 'allocation'])
        .where('id', '=', p.campaign.id)
        .executeTakeFirstOrThrow();
      const live = await db
        .selectFrom('investments')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('units'), eb.val('0')).as('units'))
        .where('campaign_id', '=', p.campaign.id)
        .where('origin', '=', 'SUBSCRIPTION')
        .where('status', 'not in', [...END_STATES])
        .executeTakeFirstOrThrow();
      expect(campaign.units_reserved, `seed ${seed}`).toBe(BigInt(live.units));
      expect(campaign.units_reserved <= campaign.allocation).toBe(true);
    }
    // 2. Every status change is an edge of the graph, and the history ends at the status.
    const investments = await db.selectFrom('investments').select(['id', 'status']).execute();
    for (const inv of investments) {
      const history = await db
        .selectFrom('investment_status_changes')
        .select(['previous_status', 'status'])
        .where('investment_id', '=', inv.id)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      expect(history[0]?.previous_status ?? null).toBeNull();
      for (const h of history.slice(1)) {
        expect(
          canTransition(h.previous_status as InvestmentStatus, h.status as InvestmentStatus),
          `${h.previous_status}→${h.status}`,
        ).toBe(true);
      }
      expect(history.at(-1)?.status).toBe(inv.status);
      // 5. … and has its event.
      const events = await db
        .selectFrom('events')
        .select('id')
        .where('investment_id', '=', inv.id)
        .where('type', '=', 'investment.status_changed')
        .execute();
      expect(events.length).toBe(history.length - 1);
    }
    // 3. Issued at most once: one succeeded credit per delivered subscription, none twice.
    const credits = await db.selectFrom('credits').select(['investment_id', 'status']).execute();
    const succeeded = credits.filter((c) => c.status === 'succeeded').map((c) => c.investment_id);
    expect(new Set(succeeded).size).toBe(succeeded.length);
    const delivered = await db
      .selectFrom('investments')
      .select('id')
      .where('origin', '=', 'SUBSCRIPTION')
      .where('delivered_at', 'is not', null)
      .execute();
    expect(new Set(succeeded)).toEqual(new Set(delivered.map((d) => d.id)));
    // 4. The ledger and the register agree, product by product and holder by holder.
    const report = await reconcile(db, await connectLedger(config, chain.rpcUrl));
    expect(
      report.flatMap((r) => r.differences),
      `seed ${seed}`,
    ).toEqual([]);
    // 5. Every event reached the receiver (every delivery succeeded once the faults ended).
    const failed = await db.selectFrom('webhook_deliveries').select('id').where('status', '!=', 'succeeded').execute();
    expect(failed).toEqual([]);
    // 6. A retry under the same key had no second effect and the same answer.
    expect(replays).toEqual([]);
    // 7. Each tenant's investments are invisible to the other; 8. amounts are exact integers.
    const [a, b] = tenants.map((t) => rebase(t.distributor));
    const ofA = (await a!.get(`${DISTRIBUTOR}/investments/?limit=500`)).body.results;
    for (const inv of ofA.slice(0, 10)) {
      expect((await b!.get(`${DISTRIBUTOR}/investments/${inv.id}/`)).status).toBe(404);
      for (const m of [inv.investment_amount, inv.agio, inv.accrued_interest, inv.payment_total])
        expect(m.amount).toMatch(/^-?\d+$/);
    }
    expect(
      (
        await rebase(tenants[1]!.issuer).get(
          `${ISSUER}/investments/${ofA[0]?.id ?? '00000000-0000-7000-8000-000000000000'}/`,
        )
      ).status,
    ).toBe(404);
    const transfers = await db.selectFrom('transfers').select('id').where('status', '=', 'succeeded').execute();
    console.log(
      `simulation SIM_SEED=${seed}: ${restarts} API restarts, ${kills} worker kills, ` +
        `${rpc.faults.dropped} broadcast answers dropped, ${rpc.faults.failed} RPC calls failed, ` +
        `${rpc.faults.timedOut} RPC answers after the time-out, ${investments.length} investments, ${succeeded.length} credited, ` +
        `${transfers.length} transfers, ${receiver.received.length} webhook attempts`,
    );
  }, 600_000);
});
