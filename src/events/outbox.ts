import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';

export const EVENT_TYPES = [
  'investment.created',
  'investment.status_changed',
  'credit.succeeded',
  'credit.failed',
  'credit.unknown',
  'registry_statement.created',
  'transfer.succeeded',
  'transfer.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  type: EventType;
  /** The principals that see the event: the product's issuer and the investment's platform. */
  issuerId: string | null;
  platformId: string | null;
  investmentId: string | null;
  data: Record<string, unknown>;
}

/**
 * Writes an event in the transaction of the change that causes it (invariant 5), so a committed
 * change always has its event, and in the same statement its deliveries to the matching webhook
 * subscriptions (one per subscription; the subscription's drainer is woken at COMMIT, migration
 * 010). GET /events/ reads the same table.
 */
export async function recordEvent(trx: Trx, event: NewEvent): Promise<string> {
  return (await recordEvents(trx, [event]))[0]!;
}

/** Several events in one statement, in the order given (their `seq` follows it). */
export async function recordEvents(trx: Trx, events: NewEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const ids = events.map(() => uuidv7());
  await sql`
    with e as (${eventsInsert(events, ids)})
    ${fanOutFrom('e')}`.execute(trx);
  return ids;
}

/**
 * The statement that records `events` (non-empty) under `ids`, returning what `fanOutFrom` needs:
 * for a statement that records events as one of its parts (a CTE named for `fanOutFrom`).
 */
export function eventsInsert(events: NewEvent[], ids: string[]) {
  const values = events.map(
    (event, i) =>
      sql`(${ids[i]}::uuid, ${i}::int, ${event.type}, ${event.issuerId}::uuid, ${event.platformId}::uuid, ${event.investmentId}::uuid, ${JSON.stringify(event.data)}::jsonb)`,
  );
  return sql`
    insert into events (id, type, issuer_id, distribution_platform_id, investment_id, data)
    select id, type, issuer_id, distribution_platform_id, investment_id, data
    from (values ${sql.join(values)}) as v (id, position, type, issuer_id, distribution_platform_id, investment_id, data)
    order by position
    returning id, seq, type, issuer_id, distribution_platform_id, investment_id, created_at`;
}

/**
 * The deliveries of the events in `source` (a table or CTE with the events' columns) to every
 * matching subscription: subscribed to the event's issuer or platform, active, not deleted,
 * created no later than the event, and with the event's type in its filter. Idempotent.
 */
export function fanOutFrom(source: string) {
  return sql`
    insert into webhook_deliveries (id, webhook_id, event_id, event_seq, ordering_key)
    select kontor_uuidv7(), w.id, e.id, e.seq, coalesce(e.investment_id::text, e.id::text)
    from ${sql.table(source)} e
    join webhooks w
      on (w.issuer_id = e.issuer_id or w.distribution_platform_id = e.distribution_platform_id)
     and w.deleted_at is null and w.is_active
     and w.created_at <= e.created_at
     and (w.events is null or e.type = any (w.events))
    on conflict (webhook_id, event_id) do nothing`;
}
