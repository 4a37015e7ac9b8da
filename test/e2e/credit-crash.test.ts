/**
 * Invariant 3 under crashes: 200 investments are credited while the server (API and workers) is
 * killed with SIGKILL at random moments and restarted; afterwards every investment is DELIVERED
 * exactly once and `kontor admin reconcile` finds no difference between ledger and register.
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

describe(`crediting across crashes (CRASH_SEED=${seed})`, () => {
  it('delivers every investment exactly once and the ledger matches the register', async () => {
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
