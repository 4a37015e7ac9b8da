/**
 * Webhook delivery by the job workers (spec §8): the outbox's events fan out to the matching
 * subscriptions, and one drainer per subscription posts them, keeping each investment's events in
 * order, retrying with backoff, and logging every attempt.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import { fanOutFrom } from '../events/outbox.ts';
import { enqueueJob } from '../jobs/queue.ts';
import {
  addressProblem,
  DEFAULT_RETRY_DELAYS,
  DELIVERY_TIMEOUT_MS,
  drainerJob,
  excerpt,
  messageBody,
  nextDelayMs,
} from './domain.ts';
import { webhookSecret } from './service.ts';

/**
 * Creates the deliveries of the given events to every matching subscription (idempotent: one per
 * subscription and event); their drainers are woken when this commits (migration 010).
 */
async function fanOut(db: Db, events: { eventId?: string; since?: string }): Promise<void> {
  await sql`
    with e as (
      select id, seq, type, issuer_id, distribution_platform_id, investment_id, created_at from events
      where ${events.eventId ? sql`id = ${events.eventId}` : sql`created_at >= ${events.since!}::timestamptz`}
    )
    ${fanOutFrom('e')}`.execute(db);
}

/**
 * The `fan_out_event` job of earlier versions (events now fan out in their own transaction): kept
 * so that jobs queued before an upgrade still run; idempotent.
 */
export async function fanOutEvent(db: Db, eventId: string): Promise<void> {
  await fanOut(db, { eventId });
}

/**
 * The safety net after a crash (run when workers start and every quarter hour): fans out recent
 * events again (a no-op for those already fanned out) and wakes every subscription with pending
 * deliveries, whatever happened to the jobs of a worker that died.
 */
export async function recoverWebhookDeliveries(db: Db, windowHours: number): Promise<void> {
  await fanOut(db, { since: new Date(Date.now() - windowHours * 3600_000).toISOString() });
  const pending = await db
    .selectFrom('webhook_deliveries')
    .select('webhook_id')
    .distinct()
    .where('status', '=', 'pending')
    .execute();
  await db.transaction().execute(async (trx) => {
    for (const { webhook_id } of pending) await enqueueJob(trx, ...drainerJob(webhook_id));
  });
}

interface PostResult {
  statusCode: number | null;
  body: string;
  error: string | null;
  latencyMs: number;
}

/** POST without following redirects, through a DNS lookup that refuses forbidden addresses. */
function post(url: string, headers: Record<string, string>, body: string, allowPrivate: boolean): Promise<PostResult> {
  const started = performance.now();
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  const lookup = (
    hostname: string,
    options: object,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const list = addresses as LookupAddress[];
      const refused = list.map((a) => addressProblem(a.address, allowPrivate)).find((p) => p !== null);
      if (refused) return callback(Object.assign(new Error(refused), { code: 'EFORBIDDEN' }), '');
      if ((options as { all?: boolean }).all) return callback(null, list);
      return callback(null, list[0]!.address, list[0]!.family);
    });
  };
  return new Promise((resolve) => {
    const done = (statusCode: number | null, text: string, error: string | null) =>
      resolve({ statusCode, body: text, error, latencyMs: Math.round(performance.now() - started) });
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: lookup as never,
        timeout: DELIVERY_TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < 4096) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () => done(response.statusCode ?? null, Buffer.concat(chunks).toString('utf8'), null));
        response.on('error', (e) => done(response.statusCode ?? null, '', e.message));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`)));
    request.on('error', (e) => done(null, '', e.message));
    request.end(body);
  });
}

/** The next deliverable delivery: due, pending, and the oldest pending one of its ordering key. */
async function nextDue(db: Db, webhookId: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select(['d.id', 'd.attempts', 'd.schedule_attempts', 'e.id as event_id', 'e.type', 'e.created_at', 'e.data'])
    .where('d.webhook_id', '=', webhookId)
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', sql<string>`now()`)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('webhook_deliveries as p')
            .select('p.id')
            .whereRef('p.webhook_id', '=', 'd.webhook_id')
            .whereRef('p.ordering_key', '=', 'd.ordering_key')
            .where('p.status', '=', 'pending')
            .whereRef('p.event_seq', '<', 'd.event_seq'),
        ),
      ),
    )
    .orderBy('d.event_seq')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Drains one subscription's due deliveries. One drainer per subscription at a time (an advisory
 * lock); a drainer that finds the lock taken comes back shortly. Attempts are recorded in their
 * own transactions; nothing is held open while the receiver answers.
 */
export async function deliverWebhooks(db: Db, config: Config, webhookId: string): Promise<void> {
  const delays = config.webhookRetryDelays ?? DEFAULT_RETRY_DELAYS;
  await db.connection().execute(async (conn) => {
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_lock(hashtextextended(${`webhook:${webhookId}`}, 0)) as locked`.execute(conn);
    if (!rows[0]?.locked) {
      await db
        .transaction()
        .execute((trx) =>
          enqueueJob(
            trx,
            'deliver_webhooks',
            { webhook_id: webhookId },
            { runAt: new Date(Date.now() + 1000).toISOString() },
          ),
        );
      return;
    }
    try {
      for (;;) {
        const webhook = await db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).executeTakeFirst();
        if (!webhook || webhook.deleted_at !== null || !webhook.is_active) return;
        const delivery = await nextDue(db, webhookId);
        if (!delivery) {
          await scheduleNext(db, webhookId);
          return;
        }
        await attempt(db, config, delays, webhook, delivery);
      }
    } finally {
      await sql`select pg_advisory_unlock(hashtextextended(${`webhook:${webhookId}`}, 0))`.execute(conn);
    }
  });
}

/** Wakes the drainer again when the earliest waiting retry is due. */
async function scheduleNext(db: Db, webhookId: string): Promise<void> {
  const next = await db
    .selectFrom('webhook_deliveries')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (next?.at) {
    await db.transaction().execute((trx) => enqueueJob(trx, ...drainerJob(webhookId, String(next.at))));
  }
}

async function attempt(
  db: Db,
  config: Config,
  delays: readonly number[],
  webhook: { id: string; url: string; encrypted_secret: string },
  delivery: NonNullable<Awaited<ReturnType<typeof nextDue>>>,
): Promise<void> {
  const body = messageBody(
    { type: delivery.type, created_at: delivery.created_at, data: delivery.data },
    config.environment,
  );
  const sentAt = new Date();
  const signature = new Webhook(webhookSecret(webhook, config.walletEncryptionKey)).sign(
    delivery.event_id,
    sentAt,
    body,
  );
  const result = await post(
    webhook.url,
    {
      'content-type': 'application/json',
      'user-agent': 'Kontor-Webhooks/1',
      'webhook-id': delivery.event_id,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': signature,
    },
    body,
    config.allowPrivateWebhookTargets,
  );
  const ok = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const gone = result.statusCode === 410;
  const scheduleAttempts = delivery.schedule_attempts + 1;
  const delay = ok || gone ? null : nextDelayMs(scheduleAttempts, delays, Math.random());
  const error =
    result.error ??
    (ok
      ? null
      : result.statusCode !== null && result.statusCode >= 300 && result.statusCode < 400
        ? `redirect (${result.statusCode}) not followed`
        : `HTTP ${result.statusCode}`);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_attempts')
      .values({
        id: uuidv7(),
        delivery_id: delivery.id,
        attempted_at: sentAt.toISOString(),
        status_code: result.statusCode,
        latency_ms: result.latencyMs,
        response_excerpt: result.body ? excerpt(result.body) : null,
        error,
      })
      .execute();
    await trx
      .updateTable('webhook_deliveries')
      .set({
        status: ok ? 'succeeded' : delay === null ? 'failed' : 'pending',
        attempts: delivery.attempts + 1,
        schedule_attempts: scheduleAttempts,
        next_attempt_at: delay === null ? sql<string>`now()` : new Date(Date.now() + delay).toISOString(),
        last_status_code: result.statusCode,
        last_error: error,
        delivered_at: ok ? sentAt.toISOString() : null,
        updated_at: sql<string>`now()`,
      })
      .where('id', '=', delivery.id)
      .execute();
    if (gone) {
      // 410 Gone: the receiver asks for no more deliveries (spec §8); the rest fails with it.
      await trx
        .updateTable('webhooks')
        .set({ is_active: false, disabled_reason: 'the endpoint answered 410 Gone', updated_at: sql<string>`now()` })
        .where('id', '=', webhook.id)
        .execute();
      await trx
        .updateTable('webhook_deliveries')
        .set({
          status: 'failed',
          last_error: 'the subscription was disabled (410 Gone)',
          updated_at: sql<string>`now()`,
        })
        .where('webhook_id', '=', webhook.id)
        .where('status', '=', 'pending')
        .execute();
    }
  });
}
