/**
 * Coupon schedules (API §7 "Amounts"): coupon dates run from `interest_start_date` by
 * `interest_frequency`, unadjusted (no business-day rolling).
 *
 * End-of-month rule: when the interest start is the last day of its month, every coupon date is
 * the last day of its month (2024-02-29 monthly → 2024-03-31, 2024-04-30, ...). Otherwise the
 * day of month is kept where the month has it and clamped to the month's end where not
 * (2026-01-30 monthly → 2026-02-28, 2026-03-30). The n-th coupon date is always computed from the
 * start date by n × months, never from the previous coupon date, so a clamp never drifts.
 *
 * The maturity date, where given, is the last coupon date: a period that would run past it ends
 * at maturity (a short final period), and no period follows it.
 */
import { addMonths, type CalendarDate, compareDates, isLastDayOfMonth } from './dates.ts';

export const INTEREST_FREQUENCIES = ['ANNUAL', 'SEMI_ANNUAL', 'QUARTERLY', 'MONTHLY'] as const;
export type InterestFrequency = (typeof INTEREST_FREQUENCIES)[number];

/** Months per coupon period. */
export const FREQUENCY_MONTHS: Readonly<Record<InterestFrequency, number>> = {
  ANNUAL: 12,
  SEMI_ANNUAL: 6,
  QUARTERLY: 3,
  MONTHLY: 1,
};

/** Coupon periods per year (the ICMA frequency): 1, 2, 4 or 12. */
export function couponsPerYear(frequency: InterestFrequency): number {
  return 12 / FREQUENCY_MONTHS[frequency];
}

/** The n-th regular coupon date (n = 0 is the interest start itself). */
export function couponDate(interestStart: CalendarDate, frequency: InterestFrequency, n: number): CalendarDate {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`coupon number ${n} is not a whole number ≥ 0`);
  return addMonths(interestStart, n * FREQUENCY_MONTHS[frequency], isLastDayOfMonth(interestStart));
}

/**
 * The coupon dates from the interest start (included) up to and including `through`, ending with
 * the maturity date where that comes first.
 */
export function couponDates(
  interestStart: CalendarDate,
  frequency: InterestFrequency,
  through: CalendarDate,
  maturityDate: CalendarDate | null = null,
): CalendarDate[] {
  if (maturityDate && compareDates(maturityDate, interestStart) <= 0) {
    throw new RangeError('the maturity date must be after the interest start');
  }
  const dates: CalendarDate[] = [];
  for (let n = 0; ; n++) {
    let date = couponDate(interestStart, frequency, n);
    if (maturityDate && compareDates(date, maturityDate) > 0) date = maturityDate;
    if (compareDates(date, through) > 0) break;
    if (dates.length > 0 && compareDates(date, dates[dates.length - 1]!) === 0) break;
    dates.push(date);
  }
  return dates;
}

export interface AccrualPeriod {
  /** The latest coupon date on or before the value date (the interest start at the earliest). */
  readonly start: CalendarDate;
  /** The next coupon date, or the maturity date where that comes first. */
  readonly end: CalendarDate;
  /**
   * The regular coupon period `start` opens, [start, next scheduled coupon date]: the ICMA
   * reference period. It differs from [start, end] only in a short final period cut by maturity,
   * where ICMA Rule 251 counts against the notional regular period.
   */
  readonly referencePeriod: { readonly start: CalendarDate; readonly end: CalendarDate };
  /** The coupon number of `start` (0 = the interest start). */
  readonly index: number;
}

/**
 * The accrual period containing `valueDate`: start ≤ valueDate < end. Null where the value date
 * is before the interest start, or on or after the maturity date (the last coupon has fallen due:
 * nothing accrues any more).
 */
export function accrualPeriod(
  interestStart: CalendarDate,
  frequency: InterestFrequency,
  valueDate: CalendarDate,
  maturityDate: CalendarDate | null = null,
): AccrualPeriod | null {
  if (compareDates(valueDate, interestStart) < 0) return null;
  if (maturityDate && compareDates(valueDate, maturityDate) >= 0) return null;
  const step = FREQUENCY_MONTHS[frequency];
  const months = (valueDate.year - interestStart.year) * 12 + (valueDate.month - interestStart.month);
  // Coupon n falls in month start + n × step, so this n is right or one too far (same month, later day).
  let n = Math.floor(months / step);
  while (n > 0 && compareDates(couponDate(interestStart, frequency, n), valueDate) > 0) n--;
  while (compareDates(couponDate(interestStart, frequency, n + 1), valueDate) <= 0) n++;
  const start = couponDate(interestStart, frequency, n);
  const regularEnd = couponDate(interestStart, frequency, n + 1);
  const end = maturityDate && compareDates(maturityDate, regularEnd) < 0 ? maturityDate : regularEnd;
  return { start, end, referencePeriod: { start, end: regularEnd }, index: n };
}
