/**
 * Registry statements (spec §7, §8, §9): the ISSUANCE statement issued with the delivery, its
 * listing, record, event and PDF on both surfaces and to no one else; the yearly ANNUAL run,
 * through the service and the command line, issuing one statement per holding investment and year.
 */
import { createHash } from 'node:crypto';
import { parseCrontab } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRONTAB } from '../src/jobs/tasks.ts';
import { statementText } from '../src/registry/domain.ts';
import { renderStatementPdf } from '../src/registry/pdf.ts';
import { issueAnnualStatements } from '../src/registry/service.ts';
import { type Kontor, startKontor } from '../src/runtime/kontor.ts';
import { runCli, tempHome } from './e2e/process.ts';
import {
  Api,
  createTenant,
  DISTRIBUTOR,
  deliver,
  downloadBytes as download,
  freshDatabase,
  ISSUER,
  listedProduct,
  type NaturalPerson,
  paidInvestment,
  pdfLines,
  type Tenant,
  testConfig,
} from './helpers.ts';
import { waitFor } from './webhook-receiver.ts';

const REGISTRAR = 'Registerstelle Test AG';
const ISIN = 'DE000BAY0017';

let database: Awaited<ReturnType<typeof freshDatabase>>;
let kontor: Kontor;
let t: Tenant;
let other: Tenant;

beforeAll(async () => {
  database = await freshDatabase();
  kontor = await startKontor(testConfig({ databaseUrl: database.url, port: 0, registrarName: REGISTRAR }), {
    api: true,
    workers: true,
    logger: false,
  });
  const server = { db: database.db, api: new Api(kontor.apiUrl) } as Parameters<typeof createTenant>[0];
  t = await createTenant(server);
  other = await createTenant(server, 'Other');
}, 60_000);
afterAll(async () => {
  await kontor?.stop();
  await database?.drop();
});

// ---- local helpers -------------------------------------------------------------------------

/** The shared paidInvestment with this file's argument order; the investment's id. */
async function paidInvestmentOf(campaignId: string, address: string, units: number, person: NaturalPerson) {
  return (await paidInvestment(t.distributor, campaignId, { address, units, person })).investmentId;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const statements = (api: Api, base: string, investmentId: string) =>
  api.get(`${base}/investments/${investmentId}/registry-statements/`);

// ---- tests ---------------------------------------------------------------------------------

const deliveredIds: string[] = [];
let notCreditedId: string;

describe('the ISSUANCE statement', () => {
  it('is issued with the delivery: listed, readable, announced, and its PDF states the entry', async () => {
    const { product, campaign } = await listedProduct(t, { asset_code: 'REGS', isin: ISIN, name: 'Registerbond 2030' });
    await waitFor(
      async () => (await t.issuer.get(`${ISSUER}/products/${product.id}/`)).body.token !== null,
      30_000,
      'token',
    );
    const token = (await t.issuer.get(`${ISSUER}/products/${product.id}/`)).body.token;
    const investmentId = await paidInvestmentOf(campaign.id, '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', 7, {
      forename: 'Henrike',
      surname: 'Registerfeld',
      street: 'Hauptstraße 1',
      zip: '10115',
      city: 'Berlin',
      country: 'DEU',
    });
    notCreditedId = await paidInvestmentOf(campaign.id, '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359', 2, {
      forename: 'Not',
      surname: 'Credited',
    });
    // Nothing before the delivery.
    expect((await statements(t.distributor, DISTRIBUTOR, investmentId)).body.count).toBe(0);

    const credit = await deliver(t.distributor, investmentId);
    deliveredIds.push(investmentId);
    // Issued in the delivery's transaction: there as soon as the credit has succeeded.
    const list = await statements(t.distributor, DISTRIBUTOR, investmentId);
    expect(list.status, list.text).toBe(200);
    expect(list.body).toMatchObject({ count: 1, next: null, previous: null });
    const statement = list.body.results[0];
    expect(statement).toEqual({
      id: expect.any(String),
      investment_id: investmentId,
      reason: 'ISSUANCE',
      units: 7,
      remaining_amount: 7,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const path = `${DISTRIBUTOR}/investments/${investmentId}/registry-statements/${statement.id}/`;
    const read = await t.distributor.get(path);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(statement);
    // Without the trailing slash too (spec §1).
    expect((await t.distributor.get(path.slice(0, -1))).body).toEqual(statement);

    const events = await t.distributor.get(
      `${DISTRIBUTOR}/events/?investment_id=${investmentId}&type=registry_statement.created`,
    );
    expect(events.body.count).toBe(1);
    expect(events.body.results[0].data).toEqual({
      investment_id: investmentId,
      registry_statement_id: statement.id,
      reason: 'ISSUANCE',
    });
    const issuerEvents = await t.issuer.get(
      `${ISSUER}/events/?investment_id=${investmentId}&type=registry_statement.created`,
    );
    expect(issuerEvents.body.count).toBe(1);

    const pdf = await download(t.distributor, `${path}content/`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe(
      `attachment; filename="registry-statement-${statement.id}.pdf"`,
    );
    expect(pdf.headers.get('etag')).toBe(`"${statement.sha256}"`);
    expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    expect(sha256(pdf.body)).toBe(statement.sha256);
    const notModified = await download(t.distributor, `${path}content/`, { 'if-none-match': `"${statement.sha256}"` });
    expect(notModified.status).toBe(304);

    const lines = pdfLines(pdf.body);
    const text = lines.join('\n');
    expect(text).toContain('Registerauszug / Registry statement');
    expect(lines).toContain('Registerbond 2030');
    expect(lines).toContain(ISIN);
    expect(lines).toContain('Alpha Issuer GmbH');
    expect(lines).toContain('Henrike Registerfeld');
    expect(lines).toContain('Hauptstraße 1, 10115 Berlin, DEU');
    expect(lines).toContain('7 Stück / units');
    expect(lines).toContain('EUR 100.00');
    expect(lines).toContain(REGISTRAR);
    expect(lines).toContain('31337');
    expect(lines.map((l) => l.toLowerCase())).toContain(token.contract_address.toLowerCase());
    expect(lines).toContain(credit.transaction_hash);
    expect(lines).toContain('Eintragung bei Emission / Entry on issuance');
    const time = `${statement.created_at.slice(0, 19).replace('T', ' ')} UTC`;
    expect(lines).toContain(time);

    // The issuer of the product reads the same statement on its surface.
    const issuerList = await statements(t.issuer, ISSUER, investmentId);
    expect(issuerList.status).toBe(200);
    expect(issuerList.body.results).toEqual([statement]);
    const issuerPdf = await download(
      t.issuer,
      `${ISSUER}/investments/${investmentId}/registry-statements/${statement.id}/content/`,
    );
    expect(sha256(issuerPdf.body)).toBe(statement.sha256);

    // No one else sees it, and an unknown statement is not found.
    for (const [api, base] of [
      [other.distributor, DISTRIBUTOR],
      [other.issuer, ISSUER],
    ] as const) {
      const prefix = `${base}/investments/${investmentId}/registry-statements/`;
      expect((await api.get(prefix)).status).toBe(404);
      expect((await api.get(`${prefix}${statement.id}/`)).status).toBe(404);
      expect((await download(api, `${prefix}${statement.id}/content/`)).status).toBe(404);
    }
    const unknown = `${DISTRIBUTOR}/investments/${investmentId}/registry-statements/${investmentId}/`;
    expect((await t.distributor.get(unknown)).status).toBe(404);
    expect((await download(t.distributor, `${unknown}content/`)).status).toBe(404);
    expect(
      (await t.distributor.get(`${DISTRIBUTOR}/investments/${investmentId}/registry-statements/nope/`)).status,
    ).toBe(404);
  });

  it('is issued for each investment of a second delivery, and none for an investment not delivered', async () => {
    const { campaign } = await listedProduct(t, { asset_code: 'REGT', name: 'Registerbond 2032' });
    const id = await paidInvestmentOf(campaign.id, '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', 3, {
      forename: 'Jonas',
      surname: 'Zweiter',
    });
    await deliver(t.distributor, id);
    deliveredIds.push(id);
    const list = await statements(t.distributor, DISTRIBUTOR, id);
    expect(list.body.results.map((s: { reason: string; units: number }) => [s.reason, s.units])).toEqual([
      ['ISSUANCE', 3],
    ]);
    expect((await statements(t.distributor, DISTRIBUTOR, notCreditedId)).body.count).toBe(0);
    const count = await database.db
      .selectFrom('registry_statements')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2);
  });
});

describe('the ANNUAL statements', () => {
  const keeper = { name: REGISTRAR, environment: 'test' };
  const thisYear = new Date().getUTCFullYear();

  it('are issued once per holding investment and year, however often the run is repeated', async () => {
    // The run on 2 January of next year, for this year.
    const tick = new Date(Date.UTC(thisYear + 1, 0, 2, 0, 30));
    // Three runs at once: each investment gets its statement from exactly one of them.
    const runs = await Promise.all([1, 2, 3].map(() => issueAnnualStatements(database.db, keeper, thisYear, tick)));
    expect(runs.every((r) => r.year === thisYear)).toBe(true);
    expect(runs.reduce((sum, r) => sum + r.issued, 0)).toBe(2);
    expect(await issueAnnualStatements(database.db, keeper, thisYear, tick)).toEqual({ year: thisYear, issued: 0 });

    for (const id of deliveredIds) {
      const list = (await statements(t.distributor, DISTRIBUTOR, id)).body;
      expect(list.results.map((s: { reason: string }) => s.reason)).toEqual(['ISSUANCE', 'ANNUAL']);
      const annual = list.results[1];
      expect(annual.units).toBe(annual.remaining_amount);
      expect(annual.remaining_amount).toBeGreaterThan(0);
      const events = await t.distributor.get(
        `${DISTRIBUTOR}/events/?investment_id=${id}&type=registry_statement.created`,
      );
      expect(events.body.results.map((e: { data: { reason: string } }) => e.data.reason)).toEqual([
        'ISSUANCE',
        'ANNUAL',
      ]);
      const pdf = await download(
        t.distributor,
        `${DISTRIBUTOR}/investments/${id}/registry-statements/${annual.id}/content/`,
      );
      expect(sha256(pdf.body)).toBe(annual.sha256);
      const lines = pdfLines(pdf.body);
      expect(lines).toContain(`Jahresauszug / Annual statement ${thisYear}`);
      expect(lines).toContain(`${annual.units} Stück / units`);
    }
    expect((await statements(t.distributor, DISTRIBUTOR, notCreditedId)).body.count).toBe(0);
  });

  it('refuses a year that is not over yet', async () => {
    await expect(issueAnnualStatements(database.db, keeper, thisYear)).rejects.toMatchObject({
      status: 400,
      errors: { year: [expect.stringContaining('completed year')] },
    });
  });

  it('run from the command line for a completed year, for investments delivered before it ended', async () => {
    const env = { KONTOR_HOME: tempHome(), DATABASE_URL: database.url, LOG_LEVEL: 'silent' };
    const lastYear = thisYear - 1;
    const run = async () => {
      const r = await runCli(['admin', 'statements', 'annual', '--year', String(lastYear), '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    // Nothing was delivered before this year began.
    expect(await run()).toEqual({ year: lastYear, issued: 0 });
    // Delivered (and its ISSUANCE stated) last June; all its units left this year. The statement of
    // last year states what was held on 31 December.
    const id = deliveredIds[0]!;
    await database.db
      .updateTable('investments')
      .set({ delivered_at: `${lastYear}-06-30T12:00:00Z`, remaining_amount: 0n })
      .where('id', '=', id)
      .execute();
    await database.db
      .updateTable('registry_statements')
      .set({ created_at: `${lastYear}-06-30T12:00:00Z` })
      .where('investment_id', '=', id)
      .where('reason', '=', 'ISSUANCE')
      .execute();
    const before = new Set(
      (await statements(t.distributor, DISTRIBUTOR, id)).body.results.map((s: { id: string }) => s.id),
    );
    try {
      expect(await run()).toEqual({ year: lastYear, issued: 1 });
      expect(await run()).toEqual({ year: lastYear, issued: 0 });
    } finally {
      await database.db.updateTable('investments').set({ remaining_amount: 7n }).where('id', '=', id).execute();
    }
    const listed = (await statements(t.distributor, DISTRIBUTOR, id)).body.results;
    expect(listed.map((s: { reason: string }) => s.reason)).toEqual(['ISSUANCE', 'ANNUAL', 'ANNUAL']);
    const annual = listed.find((s: { id: string }) => !before.has(s.id));
    expect(annual).toMatchObject({ units: 7, remaining_amount: 7 });
    const pdf = await download(
      t.distributor,
      `${DISTRIBUTOR}/investments/${id}/registry-statements/${annual.id}/content/`,
    );
    // The long label wraps onto a second line, beside its value.
    const lines = pdfLines(pdf.body);
    const at = lines.indexOf(`Bestand am 31.12.${lastYear} / Units held on`);
    expect(at, lines.join('\n')).toBeGreaterThanOrEqual(0);
    expect(lines.slice(at + 1, at + 3)).toEqual([`31 December ${lastYear}`, '7 Stück / units']);

    const human = await runCli(['admin', 'statements', 'annual', '--year', String(lastYear)], env);
    expect(human.stdout).toContain(`0 annual registry statements issued for ${lastYear}`);
    const future = await runCli(['admin', 'statements', 'annual', '--year', String(thisYear)], env);
    expect(future.code).toBe(1);
    expect(future.stderr).toContain('completed year');
    const bad = await runCli(['admin', 'statements', 'annual', '--year', 'last'], env);
    expect(bad.code).toBe(2);
  });

  it('are scheduled on 2 January at 00:30 UTC, and daily in January after it to make up a missed run', () => {
    const item = parseCrontab(CRONTAB).find((i) => i.task === 'annual_statements');
    expect(item).toBeDefined();
    expect(item!.match({ min: 30, hour: 0, date: 2, month: 1, dow: 5 })).toBe(true);
    expect(item!.match({ min: 30, hour: 0, date: 3, month: 1, dow: 6 })).toBe(true);
    expect(item!.match({ min: 30, hour: 0, date: 1, month: 1, dow: 4 })).toBe(false);
    expect(item!.match({ min: 31, hour: 0, date: 2, month: 1, dow: 5 })).toBe(false);
    expect(item!.match({ min: 30, hour: 0, date: 2, month: 2, dow: 1 })).toBe(false);
  });
});

describe('the PDF', () => {
  it('is the same bytes for the same statement at the same time', async () => {
    const text = statementText({
      statementId: '0193f1d2-7c4e-7a10-8000-000000000001',
      investmentId: '0193f1d2-7c4e-7a10-8000-000000000002',
      reason: 'ISSUANCE',
      year: null,
      createdAt: '2026-02-03T10:00:00.123000Z',
      units: 7n,
      remainingAmount: 7n,
      security: {
        name: 'Green Bond 2031',
        productType: 'BOND',
        isin: ISIN,
        assetCode: 'GB31',
        issuer: 'Alpha Issuer GmbH',
        currency: 'EUR',
        nominalValue: 10000n,
        issuancePrice: 10000n,
        maxIssuableAmount: 100000n,
      },
      holder: { name: 'Łukasz Müller', address: null, investorId: 'x', walletAddress: null },
      ledger: { chainId: 31337n, contractAddress: null, transactionHash: `0x${'ab'.repeat(32)}` },
      keeper: { name: REGISTRAR, environment: 'test' },
    });
    const meta = { createdAt: '2026-02-03T10:00:00.123000Z', subject: 'ISSUANCE' };
    const [a, b] = [renderStatementPdf(text, meta), renderStatementPdf(text, meta)];
    expect(sha256(a)).toBe(sha256(b));
    const lines = pdfLines(a);
    // A character outside the built-in fonts' encoding is written as its plain stand-in.
    expect(lines).toContain('Lukasz Müller');
    // A hash fits on one line.
    expect(lines).toContain(`0x${'ab'.repeat(32)}`);
    expect(a.length).toBeLessThan(20_000);
  });
});
