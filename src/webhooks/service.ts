import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import type { EventType } from '../events/outbox.ts';
import type { Principal } from '../http/auth.ts';
import { conflict, forbidden, invalidField, notFound } from '../http/errors.ts';
import { open, seal } from '../investors/wallet-crypto.ts';
import { enqueueJob } from '../jobs/queue.ts';
import { drainerJob, targetProblem } from './domain.ts';

/** Whose subscriptions: an issuer's or a platform's (the registrar has no events of its own). */
export type WebhookOwner = { kind: 'issuer'; issuerId: string } | { kind: 'platform'; platformId: string };

export function webhookOwnerOf(principal: Principal): WebhookOwner {
  if (principal.type === 'issuer') return { kind: 'issuer', issuerId: principal.issuerId! };
  if (principal.type === 'distribution_platform') return { kind: 'platform', platformId: principal.platformId! };
  throw forbidden('issuer_or_platform_only', 'webhooks belong to an issuer or a distribution platform');
}

export interface WebhookInput {
  url: string;
  events?: string[] | null;
  description?: string | null;
  is_active?: boolean;
}

type WebhookRow = {
  id: string;
  url: string;
  events: string[] | null;
  description: string | null;
  is_active: boolean;
  disabled_reason: string | null;
  created_at: string;
  updated_at: string;
};

export function webhookView(row: WebhookRow) {
  return {
    id: row.id,
    url: row.url,
    events: row.events as EventType[] | null,
    description: row.description,
    is_active: row.is_active,
    disabled_reason: row.disabled_reason,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function checkUrl(url: string, allowPrivate: boolean): void {
  const problem = targetProblem(url, allowPrivate);
  if (problem) throw invalidField('url', problem);
}

/** Creates a subscription; its signing secret is returned this once. */
export async function createWebhook(
  trx: Trx,
  owner: WebhookOwner,
  input: WebhookInput,
  opts: { key: Buffer; allowPrivate: boolean },
) {
  checkUrl(input.url, opts.allowPrivate);
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const row = await trx
    .insertInto('webhooks')
    .values({
      id: uuidv7(),
      issuer_id: owner.kind === 'issuer' ? owner.issuerId : null,
      distribution_platform_id: owner.kind === 'platform' ? owner.platformId : null,
      url: input.url,
      events: input.events ?? null,
      description: input.description ?? null,
      encrypted_secret: seal(Buffer.from(secret, 'utf8'), opts.key),
      is_active: input.is_active ?? true,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...webhookView(row), secret };
}

/** The caller's subscriptions (not deleted), as a query base. */
export function ownWebhooks(db: Db | Trx, owner: WebhookOwner) {
  const base = db.selectFrom('webhooks').where('webhooks.deleted_at', 'is', null);
  return owner.kind === 'issuer'
    ? base.where('webhooks.issuer_id', '=', owner.issuerId)
    : base.where('webhooks.distribution_platform_id', '=', owner.platformId);
}

export async function getWebhook(db: Db | Trx, owner: WebhookOwner, id: string, lock = false) {
  const row = await ownWebhooks(db, owner)
    .selectAll('webhooks')
    .where('webhooks.id', '=', id)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
  if (!row) throw notFound('webhook');
  return row;
}

export async function updateWebhook(
  trx: Trx,
  owner: WebhookOwner,
  id: string,
  patch: Partial<WebhookInput>,
  opts: { allowPrivate: boolean },
) {
  const current = await getWebhook(trx, owner, id, true);
  if (patch.url !== undefined) checkUrl(patch.url, opts.allowPrivate);
  const reactivated = patch.is_active === true && !current.is_active;
  const row = await trx
    .updateTable('webhooks')
    .set({
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.events !== undefined ? { events: patch.events } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.is_active !== undefined ? { is_active: patch.is_active } : {}),
      ...(patch.is_active === true ? { disabled_reason: null } : {}),
      updated_at: sql<string>`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (reactivated) await enqueueJob(trx, ...drainerJob(id));
  return webhookView(row);
}

export async function deleteWebhook(trx: Trx, owner: WebhookOwner, id: string): Promise<void> {
  await getWebhook(trx, owner, id, true);
  await trx
    .updateTable('webhooks')
    .set({ deleted_at: sql<string>`now()`, is_active: false, updated_at: sql<string>`now()` })
    .where('id', '=', id)
    .execute();
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', last_error: 'the subscription was deleted', updated_at: sql<string>`now()` })
    .where('webhook_id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

export function webhookSecret(row: { encrypted_secret: string }, key: Buffer): string {
  return open(row.encrypted_secret, key).toString('utf8');
}

type DeliveryRow = {
  id: string;
  event_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: string;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
  updated_at: string;
};

export function deliveryView(
  row: DeliveryRow & { event_type: EventType },
  attempts: {
    attempted_at: string;
    status_code: number | null;
    latency_ms: number;
    response_excerpt: string | null;
    error: string | null;
  }[],
) {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts_count: row.attempts,
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    delivered_at: row.delivered_at,
    attempts,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export async function deliveryViews(db: Db | Trx, rows: (DeliveryRow & { event_type: EventType })[]) {
  const ids = rows.map((r) => r.id);
  const attempts =
    ids.length === 0
      ? []
      : await db
          .selectFrom('webhook_attempts')
          .select(['delivery_id', 'attempted_at', 'status_code', 'latency_ms', 'response_excerpt', 'error'])
          .where('delivery_id', 'in', ids)
          .orderBy('attempted_at')
          .execute();
  return rows.map((r) =>
    deliveryView(
      r,
      attempts.filter((a) => a.delivery_id === r.id).map(({ delivery_id: _, ...a }) => a),
    ),
  );
}

/** Queues a delivery again from the start of the retry schedule (after a failure, or to resend). */
export async function redeliver(trx: Trx, owner: WebhookOwner, webhookId: string, deliveryId: string) {
  const webhook = await getWebhook(trx, owner, webhookId, true);
  if (!webhook.is_active) {
    throw conflict('webhook_inactive', 'the subscription is switched off; PATCH is_active: true first');
  }
  const row = await trx
    .updateTable('webhook_deliveries')
    .set({
      status: 'pending',
      schedule_attempts: 0,
      next_attempt_at: sql<string>`now()`,
      delivered_at: null,
      updated_at: sql<string>`now()`,
    })
    .where('id', '=', deliveryId)
    .where('webhook_id', '=', webhookId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('delivery');
  await enqueueJob(trx, ...drainerJob(webhookId));
  const event = await trx.selectFrom('events').select('type').where('id', '=', row.event_id).executeTakeFirstOrThrow();
  return (await deliveryViews(trx, [{ ...row, event_type: event.type as EventType }]))[0]!;
}
