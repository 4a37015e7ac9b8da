/**
 * The one place where an investment's status changes: along the graph only (invariant 2), with
 * its history row, its `investment.status_changed` event, the issuer's e-mail when it starts to
 * wait for acceptance, and the release of its units when it ends — all in the caller's transaction.
 */
import type { RawBuilder, Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import type { InvestmentsTable } from '../db/schema.ts';
import { recordEvents } from '../events/outbox.ts';
import { enqueueEmail, type NewEmail } from '../notifications/emails.ts';
import { canTransition, type InvestmentStatus, isEndState, progressed } from './domain.ts';

export type InvestmentRow = Selectable<InvestmentsTable>;

type ChangeableColumns = Pick<
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
>;
/** Columns set with the status: values, or SQL on the row itself (e.g. `remaining_amount = units`). */
export type InvestmentChanges = {
  [K in keyof ChangeableColumns]?: ChangeableColumns[K] | RawBuilder<ChangeableColumns[K]>;
};

export class StatusGraphViolation extends Error {}

export async function changeStatus(
  trx: Trx,
  investment: InvestmentRow,
  to: InvestmentStatus,
  changedAt: string,
  changes: InvestmentChanges = {},
): Promise<InvestmentRow> {
  return (await changeStatuses(trx, [investment], to, changedAt, changes))[0]!;
}

/**
 * The same change for several investments in a few statements (a batch of credits delivers up
 * to 250 at once); `changes` applies to each of them. Returns the rows in the order given.
 */
export async function changeStatuses(
  trx: Trx,
  investments: InvestmentRow[],
  to: InvestmentStatus,
  changedAt: string,
  changes: InvestmentChanges = {},
): Promise<InvestmentRow[]> {
  if (investments.length === 0) return [];
  for (const investment of investments) {
    if (!canTransition(investment.status as InvestmentStatus, to)) {
      // Decisions are taken before this call; reaching here is a bug, never a client's error.
      throw new StatusGraphViolation(`no edge ${investment.status} → ${to} (investment ${investment.id})`);
    }
  }
  // Each row moves only from the status it was read in (a concurrent change makes this a bug).
  const updated = await trx
    .updateTable('investments')
    .set({ ...changes, status: to, updated_at: sql<string>`now()` })
    .where(sql<boolean>`(id, status) in (${sql.join(investments.map((i) => sql`(${i.id}::uuid, ${i.status})`))})`)
    .returningAll()
    .execute();
  const byId = new Map(updated.map((r) => [r.id, r]));
  const rows = investments.map((i) => {
    const row = byId.get(i.id);
    if (!row) throw new StatusGraphViolation(`investment ${i.id} was not ${i.status} any more`);
    return row;
  });
  // Read back from the database: changed_at in the API's form (UTC, Z, six fractional digits).
  const history = await trx
    .insertInto('investment_status_changes')
    .values(
      rows.map((row, i) => ({
        id: uuidv7(),
        investment_id: row.id,
        previous_status: investments[i]!.status,
        status: to,
        changed_at: changedAt,
      })),
    )
    .returning(['investment_id', 'changed_at'])
    .execute();
  const changedAtOf = new Map(history.map((h) => [h.investment_id, h.changed_at]));
  await recordEvents(
    trx,
    rows.map((row, i) => ({
      type: 'investment.status_changed',
      issuerId: row.issuer_id,
      platformId: row.distribution_platform_id,
      investmentId: row.id,
      data: {
        investment_id: row.id,
        status: to,
        previous_status: investments[i]!.status,
        changed_at: changedAtOf.get(row.id),
      },
    })),
  );
  if (to === 'WAITING_FOR_ACCEPTANCE') for (const row of rows) await notifyWaiting(trx, row);
  if (isEndState(to)) {
    // The units go back to the campaign (invariant 1 keeps units_reserved <= allocation).
    const released = new Map<string, bigint>();
    for (const row of rows) released.set(row.campaign_id, (released.get(row.campaign_id) ?? 0n) + row.units);
    for (const [campaignId, units] of released) {
      await trx
        .updateTable('campaigns')
        .set((eb) => ({ units_reserved: eb('units_reserved', '-', units), updated_at: sql<string>`now()` }))
        .where('id', '=', campaignId)
        .execute();
    }
  }
  return rows;
}

/** Tells the issuer's Studio users that an investment waits for their acceptance. */
export async function notifyWaiting(trx: Trx, investment: InvestmentRow): Promise<void> {
  const product = await trx
    .selectFrom('products')
    .select(['name'])
    .where('id', '=', investment.product_id)
    .executeTakeFirstOrThrow();
  await enqueueEmail(trx, waitingEmail(investment, product.name));
}

/** The e-mail telling an issuer's Studio users that an investment waits for their acceptance. */
export function waitingEmail(
  investment: Pick<InvestmentRow, 'id' | 'issuer_id' | 'units'>,
  productName: string,
): NewEmail {
  return {
    issuerId: investment.issuer_id,
    kind: 'investment_waiting_for_acceptance',
    subject: `An investment in ${productName} waits for your acceptance`,
    body: [
      `An investment of ${investment.units} units in ${productName} is ready to be accepted.`,
      `Investment: ${investment.id}`,
      'Accept it in Studio or with PATCH /api/external/issuer/v2/investments/{id}/ {"accepted_at": ...}.',
    ].join('\n'),
    investmentId: investment.id,
  };
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
