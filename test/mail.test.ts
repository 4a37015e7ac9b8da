import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/database.ts';
import { EMAIL_MAX_ATTEMPTS, NO_RECIPIENTS, sendDueEmails, sendEmail } from '../src/notifications/sender.ts';
import { createStudioUser } from '../src/parties/service.ts';
import { freePort } from '../src/runtime/ports.ts';
import { runCli, tempHome } from './e2e/process.ts';
import {
  createInvestor,
  createTenant,
  DISTRIBUTOR,
  drainerJobs,
  listedProduct,
  startTestServer,
  startWorkingServer,
  type Tenant,
  type TestServer,
  uploadPdf,
  type WorkingServer,
} from './helpers.ts';

interface Received {
  from: string;
  to: string[];
  /** The message as received, headers unfolded and quoted-printable decoded. */
  text: string;
}

function decode(raw: string): string {
  const unfolded = raw.replace(/\r?\n[ \t]+/g, ' ');
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(unfolded)) return unfolded;
  return unfolded
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives. */
async function startSmtp(port: number, inbox: Received[]): Promise<SMTPServer> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        inbox.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          text: decode(Buffer.concat(chunks).toString('utf8')),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

const closeSmtp = (server: SMTPServer) => new Promise<void>((resolve) => server.close(() => resolve()));

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates a signed investment of an identified investor: it starts in WAITING_FOR_ACCEPTANCE. */
async function waitingInvestment(t: Tenant, campaignId: string) {
  const api = t.distributor;
  const investorId = await createInvestor(api, { kyc: true });
  const tos = await uploadPdf(api, 'tos.pdf');
  return api.post(`${DISTRIBUTOR}/investments/`, {
    investor_id: investorId,
    campaign_id: campaignId,
    units: 10,
    signed_at: '2026-03-01T10:00:00+01:00',
    signed_documents: [{ category: 'effecta_cryptoregistry_tos', document_id: tos }],
  });
}

async function addStudioUser(db: Db, issuerId: string, email: string) {
  await db
    .transaction()
    .execute((trx) => createStudioUser(trx, { email, password: 'correct horse battery staple', issuerId }));
}

const emailOf = (db: Db, investmentId: string) =>
  db.selectFrom('emails').selectAll().where('investment_id', '=', investmentId).executeTakeFirstOrThrow();

describe('e-mail over SMTP', () => {
  const inbox: Received[] = [];
  let smtpPort: number;
  let smtp: SMTPServer | null = null;
  let server: WorkingServer;
  let t: Tenant;
  let campaignId: string;
  const studioEmail = `ops-${randomBytes(3).toString('hex')}@issuer.example`;

  beforeAll(async () => {
    smtpPort = await freePort();
    smtp = await startSmtp(smtpPort, inbox);
    server = await startWorkingServer({ smtpUrl: `smtp://127.0.0.1:${smtpPort}` });
    t = await createTenant(server, 'Mail');
    await addStudioUser(server.db, t.issuerId, studioEmail);
    const { campaign } = await listedProduct(t, { name: 'Harbour Bond 2030', asset_code: 'HB30' });
    campaignId = campaign.id;
  });
  afterAll(async () => {
    await server?.close();
    if (smtp) await closeSmtp(smtp);
  });

  it("tells the issuer's Studio users when an investment waits for acceptance", async () => {
    const created = await waitingInvestment(t, campaignId);
    expect(created.status, created.text).toBe(201);
    expect(created.body.status).toBe('WAITING_FOR_ACCEPTANCE');
    const id: string = created.body.id;

    const message = await until('the acceptance notice', async () =>
      inbox.find((m) => m.to.includes(studioEmail) && m.text.includes(id)),
    );
    expect(message.from).toBe('no-reply@kontor.invalid');
    expect(message.text).toMatch(/^Subject: .*Harbour Bond 2030/im);
    expect(message.text).toContain(`Investment: ${id}`);

    const row = await until('sent_at', async () => {
      const r = await emailOf(server.db, id);
      return r.sent_at ? r : null;
    });
    expect(row).toMatchObject({ recipients: [studioEmail], attempts: 1, last_error: null });

    // A second run of the job (a duplicate, a retry after a crash) sends nothing again.
    const before = inbox.length;
    await sendEmail(server.db, server.config, row.id);
    expect(inbox.length).toBe(before);
    expect((await emailOf(server.db, id)).attempts).toBe(1);
  });

  it('a dead SMTP server delays the mail, never the API request; a retry delivers it', async () => {
    await closeSmtp(smtp!);
    smtp = null;
    const created = await waitingInvestment(t, campaignId);
    expect(created.status, created.text).toBe(201);
    const id: string = created.body.id;

    const failed = await until('a failed attempt', async () => {
      const r = await emailOf(server.db, id);
      return r.attempts >= 1 ? r : null;
    });
    expect(failed.sent_at).toBeNull();
    expect(failed.last_error).toMatch(/ECONNREFUSED|ECONNECTION/);
    expect(failed.recipients).toEqual([studioEmail]);

    // The server comes back: the retry (after e^1 s, the drainer queued for then) delivers it.
    smtp = await startSmtp(smtpPort, inbox);
    const row = await until(
      'the retried delivery',
      async () => {
        const r = await emailOf(server.db, id);
        return r.sent_at ? r : null;
      },
      25_000,
    );
    expect(row.attempts).toBeGreaterThanOrEqual(2);
    expect(row.last_error).toBeNull();
    expect(inbox.some((m) => m.to.includes(studioEmail) && m.text.includes(id))).toBe(true);
  });
});

describe('e-mail without SMTP_URL', () => {
  let server: WorkingServer;
  let t: Tenant;
  const studioEmail = `ops-${randomBytes(3).toString('hex')}@issuer.example`;

  beforeAll(async () => {
    server = await startWorkingServer({ smtpUrl: null });
    t = await createTenant(server, 'Outbox');
    await addStudioUser(server.db, t.issuerId, studioEmail);
  });
  afterAll(async () => server?.close());

  it('keeps the e-mail in the database and `kontor admin mail list` shows it', async () => {
    const { campaign } = await listedProduct(t, { name: 'Outbox Bond 2032', asset_code: 'OB32' });
    const created = await waitingInvestment(t, campaign.id);
    expect(created.status, created.text).toBe(201);
    const id: string = created.body.id;

    // The job ran (it resolved the recipients) and left the e-mail unsent.
    const row = await until('the job', async () => {
      const r = await emailOf(server.db, id);
      return r.recipients ? r : null;
    });
    expect(row).toMatchObject({ recipients: [studioEmail], sent_at: null, attempts: 0, last_error: null });

    const env = { DATABASE_URL: server.database.url, KONTOR_HOME: tempHome() };
    const listed = await runCli(['admin', 'mail', 'list', '--json', '--unsent'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const mails = JSON.parse(listed.stdout) as Array<Record<string, unknown>>;
    const mail = mails.find((m) => m.investment_id === id);
    expect(mail).toMatchObject({
      id: row.id,
      issuer_id: t.issuerId,
      kind: 'investment_waiting_for_acceptance',
      recipients: [studioEmail],
      sent_at: null,
    });
    expect(mail!.subject).toContain('Outbox Bond 2032');
    expect(mail!.body).toContain(id);

    const human = await runCli(['admin', 'mail', 'list'], env);
    expect(human.code, human.stderr).toBe(0);
    const line = human.stdout.split('\n').find((l) => l.includes('Outbox Bond 2032'));
    expect(line).toContain('unsent');
    expect(line).toContain(studioEmail);
  });

  it('an issuer without Studio users: finished unsent with "no recipients", not retried', async () => {
    const lonely = await createTenant(server, 'Lonely');
    const { campaign } = await listedProduct(lonely, { name: 'Lonely Bond', asset_code: 'LB30' });
    const created = await waitingInvestment(lonely, campaign.id);
    expect(created.status, created.text).toBe(201);
    const row = await until('the job', async () => {
      const r = await emailOf(server.db, created.body.id);
      return r.recipients ? r : null;
    });
    expect(row).toMatchObject({ recipients: [], sent_at: null, attempts: 0, last_error: NO_RECIPIENTS });
    // The drainer succeeded (graphile-worker removes finished jobs): nothing waits to be retried.
    await until('the job to finish', async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from graphile_worker.jobs where task_identifier = 'send_emails'`.execute(server.db);
      return rows[0]!.n === 0;
    });
  });
});

describe('the e-mail drainer (migration 011)', () => {
  const inbox: Received[] = [];
  let smtpPort: number;
  let smtp: SMTPServer | null = null;
  let server: TestServer;
  let t: Tenant;
  let campaignId: string;
  const studioEmail = `drain-${randomBytes(3).toString('hex')}@issuer.example`;

  // No workers run here: the jobs the e-mails queue stay in the queue to be looked at.
  beforeAll(async () => {
    smtpPort = await freePort();
    smtp = await startSmtp(smtpPort, inbox);
    server = await startTestServer({ smtpUrl: `smtp://127.0.0.1:${smtpPort}` });
    t = await createTenant(server, 'Drain');
    await addStudioUser(server.db, t.issuerId, studioEmail);
    campaignId = (await listedProduct(t, { name: 'Drain Bond', asset_code: 'DB30' })).campaign.id;
  });
  afterAll(async () => {
    await server?.close();
    if (smtp) await closeSmtp(smtp);
  });

  const drainers = (issuerId: string) => drainerJobs(server.db, 'send_emails', 'issuer_id', issuerId);

  it("wakes the issuer's drainer once while it waits; a started or postponed drainer is not relied on", async () => {
    const key = `send_emails:${t.issuerId}`;
    expect((await waitingInvestment(t, campaignId)).status).toBe(201);
    expect((await waitingInvestment(t, campaignId)).status).toBe(201);
    // Two e-mails, two transactions: one drainer, due, not started, which the second transaction
    // left as it was (not queued again: its revision is still 0).
    expect(await drainers(t.issuerId)).toEqual([{ key, locked_at: null, due: true, revision: 0 }]);

    // The drainer starts (a worker locks it): the next e-mail queues another one.
    await sql`update graphile_worker._private_jobs set locked_at = now(), locked_by = 'test' where key = ${key}`.execute(
      server.db,
    );
    expect((await waitingInvestment(t, campaignId)).status).toBe(201);
    const afterStart = await drainers(t.issuerId);
    expect(afterStart).toHaveLength(2);
    expect(afterStart[1]).toEqual({ key, locked_at: null, due: true, revision: 0 });

    // A drainer postponed by its backoff is brought forward by a new e-mail.
    await sql`delete from graphile_worker._private_jobs where locked_by = 'test'`.execute(server.db);
    await sql`update graphile_worker._private_jobs set run_at = now() + interval '1 hour' where key = ${key}`.execute(
      server.db,
    );
    expect((await waitingInvestment(t, campaignId)).status).toBe(201);
    expect(await drainers(t.issuerId)).toEqual([{ key, locked_at: null, due: true, revision: 1 }]);
  });

  it('sends every due e-mail once, skips sent and given-up ones, and fails after trying all', async () => {
    const due = await server.db
      .selectFrom('emails')
      .select('id')
      .where('issuer_id', '=', t.issuerId)
      .where('sent_at', 'is', null)
      .execute();
    expect(due.length).toBeGreaterThanOrEqual(4);
    const givenUp = due[0]!.id;
    await server.db
      .updateTable('emails')
      .set({ attempts: EMAIL_MAX_ATTEMPTS, recipients: [studioEmail], last_error: 'ECONNREFUSED' })
      .where('id', '=', givenUp)
      .execute();

    const before = inbox.length;
    await sendDueEmails(server.db, server.config, t.issuerId);
    expect(inbox.length - before).toBe(due.length - 1);
    const rows = await server.db.selectFrom('emails').selectAll().where('issuer_id', '=', t.issuerId).execute();
    for (const row of rows) {
      if (row.id === givenUp) expect(row).toMatchObject({ sent_at: null, attempts: EMAIL_MAX_ATTEMPTS });
      else expect(row).toMatchObject({ attempts: 1, last_error: null, sent_at: expect.any(String) });
    }
    // Nothing is due any more: a second run sends nothing.
    await sendDueEmails(server.db, server.config, t.issuerId);
    expect(inbox.length - before).toBe(due.length - 1);

    // The mail server is down: both new e-mails are tried and counted; one does not stop the other.
    await closeSmtp(smtp!);
    smtp = null;
    const other = await createTenant(server, 'Drain Other');
    await addStudioUser(server.db, other.issuerId, `other-${studioEmail}`);
    const otherCampaign = (await listedProduct(other, { name: 'Other Bond', asset_code: 'OB31' })).campaign.id;
    expect((await waitingInvestment(t, campaignId)).status).toBe(201);
    expect((await waitingInvestment(other, otherCampaign)).status).toBe(201);
    expect(await sendDueEmails(server.db, server.config)).toEqual({ tried: 2, failed: 2 });
    const failed = (await server.db.selectFrom('emails').selectAll().where('sent_at', 'is', null).execute()).filter(
      (r) => r.id !== givenUp,
    );
    expect(failed.map((r) => r.attempts)).toEqual([1, 1]);
    for (const r of failed) expect(Date.parse(r.retry_at!)).toBeGreaterThan(Date.now());

    // Before its retry_at a failed e-mail is not tried again, however often the drainer runs (a
    // new e-mail wakes it): attempts are not used up by a burst. The issuer's drainer queues
    // itself for that time.
    expect(await sendDueEmails(server.db, server.config, t.issuerId)).toEqual({ tried: 0, failed: 0 });
    expect((await emailOf(server.db, failed.find((r) => r.issuer_id === t.issuerId)!.investment_id!)).attempts).toBe(1);
    expect(await drainers(t.issuerId)).toContainEqual({
      key: `send_emails:${t.issuerId}`,
      locked_at: null,
      due: false,
      revision: expect.any(Number),
    });

    // Its time comes (moved here instead of waited for).
    await server.db
      .updateTable('emails')
      .set({ retry_at: sql<string>`now() - interval '1 second'` })
      .where(
        'id',
        'in',
        failed.map((r) => r.id),
      )
      .execute();
    // Back up: the sweep (no issuer) sends both issuers' e-mails.
    smtp = await startSmtp(smtpPort, inbox);
    const sweptFrom = inbox.length;
    await sendDueEmails(server.db, server.config);
    expect(
      inbox
        .slice(sweptFrom)
        .flatMap((m) => m.to)
        .sort(),
    ).toEqual([`other-${studioEmail}`, studioEmail].sort());
  });
});
