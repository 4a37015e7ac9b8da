import { type ExpressionBuilder, sql } from 'kysely';
import { createTransport } from 'nodemailer';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { enqueueJob } from '../jobs/queue.ts';

/** Advisory-lock namespace of e-mail sending (the two-key form: namespace, hashtext(email id)). */
const SEND_LOCK = 7_364_113;

/** Error text kept on an e-mail that has nobody to go to; it is not retried. */
export const NO_RECIPIENTS = 'no recipients';

type Transport = ReturnType<typeof createTransport>;
const transports = new Map<string, Transport>();

/**
 * One transport per SMTP URL for the life of the process. A plain SMTP transport opens a
 * connection per message; `?pool=true` in the URL keeps a pool instead. The time-outs are short
 * so that a dead server fails an attempt quickly (the job is retried) instead of holding a worker.
 */
function transportFor(url: string): Transport {
  let transport = transports.get(url);
  if (!transport) {
    transport = createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 60_000 });
    transports.set(url, transport);
  }
  return transport;
}

function describeError(error: unknown): string {
  const e = error as { code?: string; responseCode?: number; message?: string };
  const text = [e.code, e.responseCode, e.message ?? String(error)].filter((x) => x !== undefined).join(': ');
  return text.slice(0, 1000);
}

/** An e-mail that failed this many attempts is given up (left unsent with its last error). */
export const EMAIL_MAX_ATTEMPTS = 25;

/** E-mails one drainer query reads at a time. */
const DRAIN_PAGE = 100;

/** Failed, not sent, not given up: it is tried again at its `retry_at`. */
function retrying(eb: ExpressionBuilder<Database, 'emails'>) {
  return eb.and([eb('sent_at', 'is', null), eb('attempts', '>', 0), eb('attempts', '<', EMAIL_MAX_ATTEMPTS)]);
}

/** Never tried, or retrying and its `retry_at` passed. */
function due(eb: ExpressionBuilder<Database, 'emails'>) {
  return eb.or([
    eb.and([eb('sent_at', 'is', null), eb('recipients', 'is', null)]),
    eb.and([retrying(eb), eb.or([eb('retry_at', 'is', null), eb('retry_at', '<=', sql<string>`now()`)])]),
  ]);
}

/**
 * The drainer (`send_emails`, woken when e-mails are written; migration 011): sends every due
 * e-mail of an issuer — or of every issuer, for the sweep — oldest first, each once per run, with
 * `sendEmail`. A failure does not stop the others; the failed e-mail waits for its `retry_at`, and
 * an issuer's drainer queues itself again for the earliest of its issuer's. Returns how many
 * e-mails were tried and how many of those failed.
 */
export async function sendDueEmails(
  db: Db,
  config: Config,
  issuerId?: string,
): Promise<{ tried: number; failed: number }> {
  let tried = 0;
  let failed = 0;
  let after: { created_at: string; id: string } | null = null;
  for (;;) {
    const page: { id: string; created_at: string }[] = await db
      .selectFrom('emails')
      .select(['id', 'created_at'])
      .where(due)
      .$if(issuerId !== undefined, (q) => q.where('issuer_id', '=', issuerId!))
      .$if(after !== null, (q) =>
        q.where((eb) => eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after!.created_at, after!.id))),
      )
      .orderBy('created_at')
      .orderBy('id')
      .limit(DRAIN_PAGE)
      .execute();
    for (const email of page) {
      tried += 1;
      try {
        await sendEmail(db, config, email.id);
      } catch {
        failed += 1; // kept on the e-mail: attempts, last_error, retry_at
      }
    }
    if (page.length < DRAIN_PAGE) break;
    after = page[page.length - 1]!;
  }
  if (issuerId !== undefined) await requeueForRetries(db, issuerId);
  return { tried, failed };
}

/** Queues the issuer's drainer for the earliest retry of its failed e-mails, if any waits. */
async function requeueForRetries(db: Db, issuerId: string): Promise<void> {
  const next = await db
    .selectFrom('emails')
    .select((eb) => eb.fn.min('retry_at').as('retry_at'))
    .where('issuer_id', '=', issuerId)
    .where(retrying)
    .where('retry_at', '>', sql<string>`now()`)
    .executeTakeFirst();
  if (!next?.retry_at) return;
  await db
    .transaction()
    .execute((trx) =>
      enqueueJob(
        trx,
        'send_emails',
        { issuer_id: issuerId },
        { jobKey: `send_emails:${issuerId}`, runAt: next.retry_at! },
      ),
    );
}

/**
 * Sends one queued e-mail to the Studio users of its issuer (for the drainer above; the job
 * `send_email` of one e-mail remains for jobs queued before migration 011).
 *
 * - Recipients are resolved at every attempt (someone removed meanwhile gets nothing) and stored
 *   in `recipients`.
 * - Without `SMTP_URL` the e-mail stays unsent in the database (the outbox: `kontor admin mail
 *   list`, later Studio); it is not sent when SMTP is configured afterwards.
 * - Without recipients it is finished unsent: `sent_at` stays null, `last_error` says
 *   'no recipients', and the job succeeds (nothing to retry).
 * - An SMTP failure counts an attempt, keeps the error in `last_error` and throws, so that
 *   graphile-worker retries the job with its backoff (up to the job's `max_attempts`).
 *
 * No transaction is open while SMTP is talked to: the e-mail is read in one short transaction,
 * sent, and the outcome written in another. Two workers never send the same e-mail at once: a
 * session advisory lock per e-mail is held (outside any transaction) from the read to the outcome,
 * and an e-mail with `sent_at` is never sent again. Delivery is at least once: a crash between the
 * server's acceptance and the outcome's write sends it again on the retry.
 */
export async function sendEmail(db: Db, config: Config, emailId: string): Promise<void> {
  await db.connection().execute(async (conn) => {
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_lock(${SEND_LOCK}, hashtext(${emailId})) as locked`.execute(conn);
    // Another worker is sending it right now; it records the outcome (and retries if need be).
    if (!rows[0]?.locked) return;
    try {
      await sendLocked(conn, config, emailId);
    } finally {
      await sql`select pg_advisory_unlock(${SEND_LOCK}, hashtext(${emailId}))`.execute(conn).catch(() => {
        // A broken connection has released its locks with its session.
      });
    }
  });
}

async function sendLocked(db: Db, config: Config, emailId: string): Promise<void> {
  const email = await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('emails')
      .select(['id', 'issuer_id', 'subject', 'body', 'sent_at'])
      .where('id', '=', emailId)
      .forUpdate()
      .executeTakeFirst();
    if (!row || row.sent_at !== null) return null;
    const users = row.issuer_id
      ? await trx
          .selectFrom('studio_users')
          .select('email')
          .where('issuer_id', '=', row.issuer_id)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      : [];
    const recipients = users.map((u) => u.email);
    const noOne = recipients.length === 0;
    await trx
      .updateTable('emails')
      .set({ recipients, ...(noOne ? { last_error: NO_RECIPIENTS } : {}) })
      .where('id', '=', emailId)
      .execute();
    return noOne ? null : { ...row, recipients };
  });
  if (!email || !config.smtpUrl) return;

  let info: { rejected?: unknown[] };
  try {
    info = await transportFor(config.smtpUrl).sendMail({
      from: config.mailFrom,
      to: email.recipients,
      subject: email.subject,
      text: email.body,
      headers: { 'X-Kontor-Email-Id': email.id },
    });
  } catch (error) {
    await db
      .updateTable('emails')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: describeError(error),
        // e^attempts seconds, at most e^10 ≈ 6 h (graphile-worker's backoff).
        retry_at: sql<string>`now() + make_interval(secs => exp(least(attempts + 1, 10)))`,
      }))
      .where('id', '=', emailId)
      .execute();
    throw error;
  }
  // Accepted for at least one recipient (nodemailer fails when none is); name the others.
  const rejected = (info.rejected ?? []).map(String);
  await db
    .updateTable('emails')
    .set((eb) => ({
      sent_at: sql<string>`now()`,
      attempts: eb('attempts', '+', 1),
      last_error: rejected.length ? `rejected: ${rejected.join(', ')}`.slice(0, 1000) : null,
    }))
    .where('id', '=', emailId)
    .execute();
}
