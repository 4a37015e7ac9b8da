import type { Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import { enqueueJob } from '../jobs/queue.ts';

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
 * change always has its event; delivery (webhooks) and GET /events/ read this table.
 */
export async function recordEvent(trx: Trx, event: NewEvent): Promise<string> {
  const id = uuidv7();
  await trx
    .insertInto('events')
    .values({
      id,
      type: event.type,
      issuer_id: event.issuerId,
      distribution_platform_id: event.platformId,
      investment_id: event.investmentId,
      data: JSON.stringify(event.data),
    })
    .execute();
  // Delivery to the webhook subscriptions starts once this transaction commits.
  await enqueueJob(trx, 'fan_out_event', { event_id: id });
  return id;
}
