/**
 * The one place where an investment's status changes: along the graph only (invariant 2), with
 * its history row, its `investment.status_changed` event, the issuer's e-mail when it starts to
 * wait for acceptance, and the release of its units when it ends — all in the caller's transaction.
 */
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import type { InvestmentsTable } from '../db/schema.ts';
import { recordEvent } from '../events/outbox.ts';
import { enqueueEmail } from '../notifications/emails.ts';
import { canTransition, type InvestmentStatus, isEndState, progressed } from './domain.ts';

export type InvestmentRow = Selectable<InvestmentsTable>;

export type InvestmentChanges = Partial<
  Pick<
    InvestmentRow,
    | 'accepted_at'
    | 'paid_at'
    | 'delivered_at'
    | 'signed_at'
    | 'cancellation_date'
    | 'cancellation_reason'
    | 'accrued_interest_at_acceptance'
    | 'remaining_amount'
    | 'ledger_block'
  >
>;

export class StatusGraphViolation extends Error {}

export async function changeStatus(
  trx: Trx,
  investment: InvestmentRow,
  to: InvestmentStatus,
  changedAt: string,
  changes: InvestmentChanges = {},
): Promise<InvestmentRow> {
  const from = investment.status as InvestmentStatus;
  if (!canTransition(from, to)) {
    // Decisions are taken before this call; reaching here is a bug, never a client's error.
    throw new StatusGraphViolation(`no edge ${from} → ${to} (investment ${investment.id})`);
  }
  const row = await trx
    .updateTable('investments')
    .set({ ...changes, status: to, updated_at: sql<string>`now()` })
    .where('id', '=', investment.id)
    .where('status', '=', from)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new StatusGraphViolation(`investment ${investment.id} was not ${from} any more`);
  // Read back from the database: changed_at in the API's form (UTC, Z, six fractional digits).
  const change = await trx
    .insertInto('investment_status_changes')
    .values({ id: uuidv7(), investment_id: row.id, previous_status: from, status: to, changed_at: changedAt })
    .returning('changed_at')
    .executeTakeFirstOrThrow();
  await recordEvent(trx, {
    type: 'investment.status_changed',
    issuerId: row.issuer_id,
    platformId: row.distribution_platform_id,
    investmentId: row.id,
    data: { investment_id: row.id, status: to, previous_status: from, changed_at: change.changed_at },
  });
  if (to === 'WAITING_FOR_ACCEPTANCE') await notifyWaiting(trx, row);
  if (isEndState(to)) {
    // The units go back to the campaign (invariant 1 keeps units_reserved <= allocation).
    await trx
      .updateTable('campaigns')
      .set((eb) => ({ units_reserved: eb('units_reserved', '-', row.units), updated_at: sql<string>`now()` }))
      .where('id', '=', row.campaign_id)
      .execute();
  }
  return row;
}

/** Tells the issuer's Studio users that an investment waits for their acceptance. */
export async function notifyWaiting(trx: Trx, investment: InvestmentRow): Promise<void> {
  const product = await trx
    .selectFrom('products')
    .select(['name'])
    .where('id', '=', investment.product_id)
    .executeTakeFirstOrThrow();
  await enqueueEmail(trx, {
    issuerId: investment.issuer_id,
    kind: 'investment_waiting_for_acceptance',
    subject: `An investment in ${product.name} waits for your acceptance`,
    body: [
      `An investment of ${investment.units} units in ${product.name} is ready to be accepted.`,
      `Investment: ${investment.id}`,
      'Accept it in Studio or with PATCH /api/external/issuer/v2/investments/{id}/ {"accepted_at": ...}.',
    ].join('\n'),
    investmentId: investment.id,
  });
}

/**
 * Moves an investor's signed investments on by themselves once KYC or the review completes
 * (spec §7). Called in the transaction that completed it.
 */
export async function advanceInvestments(
  trx: Trx,
  filter: { investorId: string } | { investmentId: string },
  now = new Date().toISOString(),
): Promise<InvestmentRow[]> {
  const rows = await trx
    .selectFrom('investments')
    .innerJoin('investors', 'investors.id', 'investments.investor_id')
    .innerJoin('products', 'products.id', 'investments.product_id')
    .selectAll('investments')
    .select(['investors.kyc_status', 'products.requires_review'])
    .where('investments.status', 'in', ['KYC_PENDING', 'REVIEW_PENDING'])
    .$if('investorId' in filter, (q) =>
      q.where('investments.investor_id', '=', (filter as { investorId: string }).investorId),
    )
    .$if('investmentId' in filter, (q) =>
      q.where('investments.id', '=', (filter as { investmentId: string }).investmentId),
    )
    .orderBy('investments.created_at')
    .forUpdate('investments')
    .execute();
  const moved: InvestmentRow[] = [];
  for (const { kyc_status, requires_review, ...investment } of rows) {
    const next = progressed(investment.status as InvestmentStatus, investment.signed_at !== null, {
      kycSucceeded: kyc_status === 'SUCCESS',
      requiresReview: requires_review,
      reviewCompleted: investment.review_completed_at !== null,
    });
    if (next) moved.push(await changeStatus(trx, investment, next, now));
  }
  return moved;
}
