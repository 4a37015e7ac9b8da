/**
 * Invariants 3 and 4 under crashes: 200 investments are credited, then 40 transfers made, while
 * the server (API and workers) is killed with SIGKILL at random moments and restarted; afterwards
 * every investment is DELIVERED exactly once, every transfer moved its units once (first-in
 * first-out, a holding on the receiving side), and `kontor admin reconcile` finds no difference
 * between ledger and register.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Api,
  createTenant,
  DISTRIBUTOR,
  deployedToken,
  freshDatabase,
  identify,
  investorWithWallet,
  listedProduct,
  type TestDatabase,
  uploadPdf,
} from '../helpers.ts';
import { waitFor } from '../webhook-receiver.ts';
import { type KontorProcess, runCli, startKontorProcess, tempHome } from './process.ts';

const COUNT = 200;
const UNITS = 3;
const TRANSFERS = 40;
const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
let state = seed;
/** A small seeded generator (mulberry32), so that a failing run can be replayed with CRASH_SEED. */
function random(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

let database: TestDatabase;
let kontor: KontorProcess | null = null;
const env: Record<string, string> = {};

beforeAll(async () => {
  database = await freshDatabase();
  Object.assign(env, { KONTOR_HOME: tempHome(), DATABASE_URL: database.url });
});
afterAll(async () => {
  await kontor?.stop('SIGTERM');
  await database?.drop();
});

describe(`crediting and transferring across crashes (CRASH_SEED=${seed})`, () => {
  it('delivers every investment and moves every transfer exactly once, and the ledger matches the register', async () => {
    console.log(`credit crash test: CRASH_SEED=${seed}`);
    kontor = await startKontorProcess(env);
    const t = await createTenant({ db: database.db, api: new Api(kontor.url) });
    const { product, campaign } = await listedProduct(
      t,
      { asset_code: 'CRASH' },
      { allocation: 10_000, max_number_of_tokens: 10 },
    );
    const [tos, terms] = [await uploadPdf(t.distributor, 'tos.pdf'), await uploadPdf(t.distributor, 'terms.pdf')];
    const investments: string[] = [];
    const wallets = new Map<string, string>();
    for (let offset = 0; offset < COUNT; offset += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const { investorId, walletId } = await investorWithWallet(t.distributor, {
            person: { forename: 'Crash', surname: 'Test' },
          });
          await identify(t.distributor, investorId, { document_id: 'T22000129', verified_at: '2026-02-01T11:00:00Z' });
          const created = await t.distributor.post(`${DISTRIBUTOR}/investments/`, {
            investor_id: investorId,
            campaign_id: campaign.id,
            units: UNITS,
            signed_at: '2026-02-01T10:00:00Z',
            signed_documents: [
              { category: 'effecta_cryptoregistry_tos', document_id: tos },
              { category: 'effecta_document', document_id: terms },
            ],
            accepted_at: '2026-02-02T10:00:00Z',
            paid_at: '2026-02-03T10:00:00Z',
            wallet: walletId,
          });
          expect(created.body.status, created.text).toBe('PAID');
          wallets.set(created.body.id, walletId);
          return created.body.id as string;
        }),
      );
      investments.push(...batch);
    }
    await deployedToken(t, product.id);

    // Credits are requested in waves while the server is killed and restarted under them.
    let requested = 0;
    for (let round = 0; round < 4; round++) {
      const wave = investments.slice(requested, requested + COUNT / 4);
      requested += wave.length;
      const api = new Api(kontor.url, t.distributor.token);
      await Promise.all(wave.map((id) => api.post(`${DISTRIBUTOR}/investments/${id}/credits/`)));
      await new Promise((r) => setTimeout(r, 50 + random() * 600));
      expect(await kontor.stop('SIGKILL')).toBeNull();
      kontor = await startKontorProcess(env);
    }
    // Requests that a kill cut short are asked again: a credit is never doubled by asking twice.
    const api = new Api(kontor.url, t.distributor.token);
    for (const id of investments)
      expect((await api.post(`${DISTRIBUTOR}/investments/${id}/credits/`)).status).toBe(202);

    await waitFor(
      async () => {
        const row = await database.db
          .selectFrom('investments')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('campaign_id', '=', campaign.id)
          .where('status', '=', 'DELIVERED')
          .executeTakeFirstOrThrow();
        return Number(row.n) === COUNT;
      },
      120_000,
      'every investment DELIVERED',
    );
    const credits = await database.db
      .selectFrom('credits')
      .select(['investment_id', 'status'])
      .where('product_id', '=', product.id)
      .execute();
    const succeeded = credits.filter((c) => c.status === 'succeeded');
    expect(succeeded).toHaveLength(COUNT);
    expect(new Set(succeeded.map((c) => c.investment_id)).size).toBe(COUNT);
    const delivered = await database.db
      .selectFrom('investment_status_changes')
      .select('investment_id')
      .where('status', '=', 'DELIVERED')
      .where('investment_id', 'in', investments)
      .execute();
    expect(delivered).toHaveLength(COUNT);

    // Transfers: investment i's wallet sends 1–3 units to investment (100 + i)'s wallet, in two waves
    // under kills. Every request carries an idempotency key, so asking again after a kill is safe.
    const addressOf = new Map<string, string>();
    for (const id of investments.slice(100, 100 + TRANSFERS)) {
      const wallet = await database.db
        .selectFrom('wallets')
        .select('address')
        .where('id', '=', wallets.get(id)!)
        .executeTakeFirstOrThrow();
      addressOf.set(id, wallet.address);
    }
    const transfer = (api: Api, i: number) =>
      api.post(
        `${DISTRIBUTOR}/transfers/`,
        {
          product: product.id,
          source_wallet: wallets.get(investments[i]!)!,
          target_address: addressOf.get(investments[100 + i]!)!,
          amount: 1 + (i % 3),
        },
        { headers: { 'idempotency-key': `crash-transfer-${i}` } },
      );
    const firstAnswers = new Map<number, string>();
    for (let wave = 0; wave < 2; wave++) {
      const waveApi = new Api(kontor.url, t.distributor.token);
      const indexes = Array.from({ length: TRANSFERS / 2 }, (_, k) => wave * (TRANSFERS / 2) + k);
      const answers = await Promise.all(indexes.map((i) => transfer(waveApi, i)));
      answers.forEach((a, k) => {
        expect(a.status, a.text).toBe(202);
        firstAnswers.set(indexes[k]!, a.body.id);
      });
      await new Promise((r) => setTimeout(r, 50 + random() * 400));
      expect(await kontor.stop('SIGKILL')).toBeNull();
      kontor = await startKontorProcess(env);
    }
    const again = new Api(kontor.url, t.distributor.token);
    for (let i = 0; i < TRANSFERS; i++) {
      const replay = await transfer(again, i);
      expect(replay.status).toBe(202);
      expect(replay.body.id).toBe(firstAnswers.get(i));
    }
    await waitFor(
      async () => {
        const open = await database.db
          .selectFrom('transfers')
          .select('status')
          .where('product_id', '=', product.id)
          .where('status', '!=', 'succeeded')
          .execute();
        expect(open.filter((x) => x.status === 'failed')).toEqual([]);
        return open.length === 0;
      },
      120_000,
      'every transfer succeeded',
    );
    const transfers = await database.db
      .selectFrom('transfers')
      .select('id')
      .where('product_id', '=', product.id)
      .execute();
    expect(transfers).toHaveLength(TRANSFERS);
    // The indexer books a transfer from its log, possibly before the restarted registrar job has
    // settled the stored transaction: wait until none is left unsettled, then count.
    const forced = (status: 'signed' | 'mined') =>
      database.db
        .selectFrom('chain_transactions')
        .select('status')
        .where('kind', '=', 'forced_transfer')
        .where('status', '=', status)
        .execute();
    await waitFor(async () => (await forced('signed')).length === 0, 120_000, 'the transfers settled');
    expect(await forced('mined')).toHaveLength(TRANSFERS);
    for (let i = 0; i < TRANSFERS; i++) {
      const [sender, receiver] = await Promise.all(
        [investments[i]!, investments[100 + i]!].map((id) =>
          database.db
            .selectFrom('investments')
            .select('remaining_amount')
            .where('id', '=', id)
            .executeTakeFirstOrThrow(),
        ),
      );
      expect(sender!.remaining_amount).toBe(BigInt(UNITS - (1 + (i % 3))));
      expect(receiver!.remaining_amount).toBe(BigInt(UNITS));
    }
    const received = await database.db
      .selectFrom('investments')
      .select((eb) => eb.fn.sum<string>('units').as('units'))
      .where('product_id', '=', product.id)
      .where('origin', '=', 'TRANSFER')
      .executeTakeFirstOrThrow();
    expect(Number(received.units)).toBe(
      Array.from({ length: TRANSFERS }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b),
    );

    const report = await runCli(['admin', 'reconcile', '--json'], env);
    expect(report.code, report.stderr + report.stdout).toBe(0);
    const products = JSON.parse(report.stdout) as {
      product_id: string;
      ledger_supply: string;
      differences: string[];
    }[];
    const ours = products.find((p) => p.product_id === product.id)!;
    expect(ours.ledger_supply).toBe(String(COUNT * UNITS));
    expect(ours.differences).toEqual([]);
  });
});
