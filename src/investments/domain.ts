/**
 * The investment lifecycle of spec §7 as one pure definition: the status graph, the decisions
 * that move an investment along it (each refusal says why), and the amounts.
 */
import { accruedInterest } from '../interest/accrued.ts';
import type { DayCountConvention } from '../interest/day-count.ts';
import type { InterestFrequency } from '../interest/schedule.ts';
import { Money } from '../money/money.ts';

export const INVESTMENT_STATUSES = [
  'PENDING',
  'KYC_PENDING',
  'REVIEW_PENDING',
  'WAITING_FOR_ACCEPTANCE',
  'ACCEPTED',
  'PAID',
  'DELIVERED',
  'KYC_INSUFFICIENT',
  'ABORTION',
  'REJECTION',
  'CANCELLATION',
  'PAYMENT_MISSING',
] as const;
export type InvestmentStatus = (typeof INVESTMENT_STATUSES)[number];

/** End states: the investment is over and its units go back to the campaign. */
export const END_STATES = ['KYC_INSUFFICIENT', 'ABORTION', 'REJECTION', 'CANCELLATION', 'PAYMENT_MISSING'] as const;
export type EndState = (typeof END_STATES)[number];

/** Before acceptance: the investor may still abort (spec §7 cancellation API). */
export const PRE_ACCEPTANCE = ['PENDING', 'KYC_PENDING', 'REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE'] as const;

export const ISSUER_CANCELLATION_REASONS = [
  'REJECTION',
  'PAYMENT_MISSING',
  'KYC_INSUFFICIENT',
  'CANCELLATION',
] as const;
export type IssuerCancellationReason = (typeof ISSUER_CANCELLATION_REASONS)[number];

/** Invariant 2: every status change follows one of these edges, and only these. */
export const TRANSITIONS: Readonly<Record<InvestmentStatus, readonly InvestmentStatus[]>> = {
  PENDING: ['KYC_PENDING', 'REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE', 'ABORTION', 'REJECTION', 'KYC_INSUFFICIENT'],
  KYC_PENDING: ['REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE', 'ABORTION', 'REJECTION', 'KYC_INSUFFICIENT'],
  REVIEW_PENDING: ['WAITING_FOR_ACCEPTANCE', 'ABORTION', 'REJECTION', 'KYC_INSUFFICIENT'],
  WAITING_FOR_ACCEPTANCE: ['ACCEPTED', 'ABORTION', 'REJECTION', 'KYC_INSUFFICIENT'],
  ACCEPTED: ['PAID', 'PAYMENT_MISSING', 'CANCELLATION'],
  PAID: ['DELIVERED', 'CANCELLATION'],
  DELIVERED: ['CANCELLATION'],
  KYC_INSUFFICIENT: [],
  ABORTION: [],
  REJECTION: [],
  CANCELLATION: [],
  PAYMENT_MISSING: [],
};

export function canTransition(from: InvestmentStatus, to: InvestmentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isEndState(status: InvestmentStatus): status is EndState {
  return (END_STATES as readonly string[]).includes(status);
}

export const REQUIRED_DOCUMENT_CATEGORIES = ['effecta_cryptoregistry_tos', 'effecta_document'] as const;
export type DocumentCategory = (typeof REQUIRED_DOCUMENT_CATEGORIES)[number];

/** A decision refused: the HTTP layer answers 409 with this code and reason. */
export interface Refusal {
  code: string;
  detail: string;
}
export type Decision<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };
const ok = <T>(value: T): Decision<T> => ({ ok: true, value });
const refuse = (code: string, detail: string): Decision<never> => ({ ok: false, refusal: { code, detail } });

export interface Readiness {
  kycSucceeded: boolean;
  requiresReview: boolean;
  reviewCompleted: boolean;
}

/** Where a signed investment stands before acceptance: KYC first, then the review, then acceptance. */
export function signedStatus(r: Readiness): 'KYC_PENDING' | 'REVIEW_PENDING' | 'WAITING_FOR_ACCEPTANCE' {
  if (!r.kycSucceeded) return 'KYC_PENDING';
  if (r.requiresReview && !r.reviewCompleted) return 'REVIEW_PENDING';
  return 'WAITING_FOR_ACCEPTANCE';
}

/**
 * The status an investment moves to by itself when KYC or the review completes (or it is signed);
 * null when nothing changes. Only statuses before acceptance move by themselves.
 */
export function progressed(status: InvestmentStatus, signed: boolean, r: Readiness): InvestmentStatus | null {
  if (!(['KYC_PENDING', 'REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE', 'PENDING'] as string[]).includes(status)) {
    return null;
  }
  if (!signed) return null;
  const next = signedStatus(r);
  return next !== status && canTransition(status, next) ? next : null;
}

export function missingDocuments(categories: readonly string[]): DocumentCategory[] {
  return REQUIRED_DOCUMENT_CATEGORIES.filter((c) => !categories.includes(c));
}

export function decideAccept(status: InvestmentStatus, documentCategories: readonly string[]): Decision<'ACCEPTED'> {
  if (status === 'ACCEPTED' || status === 'PAID' || status === 'DELIVERED') {
    return refuse('already_accepted', `the investment is already accepted (status ${status})`);
  }
  if (status !== 'WAITING_FOR_ACCEPTANCE') {
    const why: Partial<Record<InvestmentStatus, string>> = {
      PENDING: 'the investor has not signed yet',
      KYC_PENDING: "the investor's KYC is not complete",
      REVIEW_PENDING: 'the review is not recorded yet',
    };
    return refuse(
      'not_ready_for_acceptance',
      `cannot accept: ${why[status] ?? `the investment is ${status}`} (status ${status}); acceptance needs WAITING_FOR_ACCEPTANCE`,
    );
  }
  const missing = missingDocuments(documentCategories);
  if (missing.length > 0) {
    return refuse('signed_documents_missing', `cannot accept: signed documents missing: ${missing.join(', ')}`);
  }
  return ok('ACCEPTED');
}

export function decidePay(status: InvestmentStatus): Decision<'PAID'> {
  if (status === 'PAID' || status === 'DELIVERED') {
    return refuse('already_paid', `the investment is already paid (status ${status})`);
  }
  if (status !== 'ACCEPTED') {
    return refuse('not_accepted', `cannot record a payment: the investment is ${status}; it must be ACCEPTED first`);
  }
  return ok('PAID');
}

export function decideReview(status: InvestmentStatus, alreadyRecorded: boolean): Decision<true> {
  if (alreadyRecorded) return refuse('review_already_recorded', 'the review is already recorded');
  if (isEndState(status)) return refuse('investment_ended', `the investment has ended (status ${status})`);
  return ok(true);
}

/** The investor's cancellation (spec §7): before acceptance only, → ABORTION. */
export function decideInvestorCancellation(status: InvestmentStatus): Decision<'ABORTION'> {
  if ((PRE_ACCEPTANCE as readonly string[]).includes(status)) return ok('ABORTION');
  return refuse(
    'cancellation_not_allowed',
    `the investor can abort only before acceptance (PENDING, KYC_PENDING, REVIEW_PENDING, WAITING_FOR_ACCEPTANCE); the investment is ${status}`,
  );
}

/** What the register knows about an investment when the issuer cancels it. */
export interface CancellationFacts {
  /** A holding received by transfer: never subscribed, so there is nothing to cancel. */
  receivedByTransfer: boolean;
  /** Some of its delivered units were transferred (remaining_amount < units). */
  unitsTransferred: boolean;
  /** A credit is on its way to the ledger (processing or unknown). */
  creditInFlight: boolean;
  /** A burn of its units is already on its way. */
  burnInFlight: boolean;
}

/**
 * The issuer's cancellation with a reason. `CANCELLATION` of a delivered investment needs every
 * unit still held (none transferred) and burns them first (`burn`): the status changes when the
 * burn is booked from the ledger. An investment being credited cannot be cancelled until the
 * credit has an outcome (the units may be on the ledger already).
 */
export function decideIssuerCancellation(
  status: InvestmentStatus,
  reason: IssuerCancellationReason,
  facts: CancellationFacts,
): Decision<{ to: IssuerCancellationReason; burn: boolean }> {
  if (facts.receivedByTransfer) {
    return refuse(
      'received_by_transfer',
      'a holding received by transfer was never subscribed and cannot be cancelled',
    );
  }
  if (facts.burnInFlight) return refuse('burn_in_progress', 'this investment is being cancelled already');
  if (!canTransition(status, reason)) {
    const from: Record<IssuerCancellationReason, string> = {
      REJECTION: 'before acceptance',
      KYC_INSUFFICIENT: 'before acceptance',
      PAYMENT_MISSING: 'while ACCEPTED and not paid',
      CANCELLATION: 'once accepted (ACCEPTED, PAID, DELIVERED)',
    };
    return refuse(
      'cancellation_not_allowed',
      `${reason} is possible only ${from[reason]}; the investment is ${status}`,
    );
  }
  if (facts.creditInFlight) {
    return refuse('credit_in_progress', 'the investment is being credited; cancel it once the credit has an outcome');
  }
  if (reason === 'CANCELLATION' && status === 'DELIVERED') {
    if (facts.unitsTransferred) {
      return refuse('units_transferred', 'some units of this investment were transferred; it cannot be cancelled');
    }
    return ok({ to: reason, burn: true });
  }
  return ok({ to: reason, burn: false });
}

/** The wallet may change until crediting has been triggered (spec §7). */
export function decideWalletChange(status: InvestmentStatus, creditTriggered: boolean): Decision<true> {
  if (creditTriggered || status === 'DELIVERED') {
    return refuse('credit_triggered', 'the wallet cannot change once crediting has been triggered');
  }
  if (isEndState(status)) return refuse('investment_ended', `the investment has ended (status ${status})`);
  return ok(true);
}

export function decideDisagioChange(status: InvestmentStatus): Decision<true> {
  if (status === 'PAID' || status === 'DELIVERED' || isEndState(status)) {
    return refuse('disagio_fixed', `the disagio cannot change once the investment is ${status}`);
  }
  return ok(true);
}

export interface InterestTerms {
  nominalValue: bigint | null;
  issuancePrice: bigint | null;
  currency: string;
  interestRate: string | null;
  convention: DayCountConvention | null;
  interestStartDate: string | null;
  frequency: InterestFrequency | null;
  maturityDate: string | null;
}

export interface AmountInputs {
  units: bigint;
  pricePerToken: bigint;
  currency: string;
  agioPercent: string;
  disagio: bigint;
  terms: InterestTerms;
  /** The value date of accrued interest: today until acceptance, then the date of `accepted_at`. */
  valueDate: string;
}

export interface Amounts {
  investment_amount: Money;
  agio: Money;
  disagio: Money;
  accrued_interest: Money;
  payment_total: Money;
}

/** The amounts of spec §7, each line rounded half-up to the minor unit. */
export function amountsOf(a: AmountInputs): Amounts {
  const investment = Money.of(a.pricePerToken, a.currency).times(a.units);
  const agio = investment.percent(a.agioPercent);
  const disagio = Money.of(a.disagio, a.currency);
  const unitPrice = a.terms.nominalValue ?? a.terms.issuancePrice ?? 0n;
  const interest = accruedInterest({
    units: a.units,
    unitPrice: Money.of(unitPrice, a.terms.currency),
    interestRate: a.terms.interestRate,
    convention: a.terms.convention,
    interestStartDate: a.terms.interestStartDate,
    frequency: a.terms.frequency,
    maturityDate: a.terms.maturityDate,
    valueDate: a.valueDate,
  });
  return {
    investment_amount: investment,
    agio,
    disagio,
    accrued_interest: interest,
    payment_total: investment.add(agio).subtract(disagio).add(interest),
  };
}

/** The largest disagio allowed: never more than the investment amount plus agio. */
export function disagioProblem(disagio: bigint, amounts: Pick<Amounts, 'investment_amount' | 'agio'>): string | null {
  if (disagio < 0n) return 'must not be negative';
  const max = amounts.investment_amount.add(amounts.agio).minor;
  if (disagio > max) return `must not exceed investment_amount + agio (${max} minor units)`;
  return null;
}

/** The UTC calendar date of an RFC 3339 timestamp or of now. */
export function utcDate(timestamp?: string): string {
  return (timestamp ? new Date(timestamp) : new Date()).toISOString().slice(0, 10);
}

/** Payment due date: `payment_deadline` days after acceptance (none before, or without a deadline). */
export function dueDate(acceptedAt: string | null, paymentDeadlineDays: number | null): string | null {
  if (!acceptedAt || paymentDeadlineDays === null) return null;
  const d = new Date(`${utcDate(acceptedAt)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + paymentDeadlineDays);
  return d.toISOString().slice(0, 10);
}
