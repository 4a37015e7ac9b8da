/**
 * Day count fractions (year fractions) for the conventions the API names in
 * `day_count_convention`, returned as exact rationals on bigint: money must stay exact, so no
 * float ever enters.
 *
 * Definitions follow the 2006 ISDA Definitions, Section 4.16:
 * - `ACT/ACT-ISDA`  4.16(b): days falling in a leap year / 366 + days in a non-leap year / 365.
 * - `ACT/ACT-ICMA`  4.16(c), ICMA Rule 251: days / (frequency × days in the reference (coupon)
 *   period). Only for an accrual that lies within ONE reference period (which is what the accrued
 *   interest of a coupon period needs); anything else is refused, never guessed.
 * - `ACT/365F`      4.16(d): days / 365.
 * - `ACT/360`       4.16(e): days / 360.
 * - `30/360`        4.16(f) "30/360, 360/360, Bond Basis", see `thirty360Days`.
 * - `30E/360`       4.16(g) "30E/360, Eurobond Basis".
 * - `30E/360-ISDA`  4.16(h), which needs the termination date.
 * The 30/360 family: DCF = [360 × (Y2 − Y1) + 30 × (M2 − M1) + (D2 − D1)] / 360 with D1/D2 adjusted
 * as described at `thirty360Days`.
 */
import {
  type CalendarDate,
  compareDates,
  daysBetween,
  isLastDayOfMonth,
  isLeapYear,
  makeDate,
  sameDate,
} from './dates.ts';

export const DAY_COUNT_CONVENTIONS = [
  'ACT/ACT-ICMA',
  'ACT/ACT-ISDA',
  'ACT/360',
  'ACT/365F',
  '30/360',
  '30E/360',
  '30E/360-ISDA',
] as const;
export type DayCountConvention = (typeof DAY_COUNT_CONVENTIONS)[number];

export type Thirty360Convention = '30/360' | '30E/360' | '30E/360-ISDA';

export class DayCountError extends Error {}

/** An exact rational, always reduced, with a positive denominator. */
export interface Fraction {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** `numerator / denominator`, reduced, sign on the numerator. */
export function fraction(numerator: bigint, denominator: bigint): Fraction {
  if (denominator === 0n) throw new DayCountError('division by zero');
  const sign = denominator < 0n ? -1n : 1n;
  const g = gcd(numerator, denominator) || 1n;
  return { numerator: (sign * numerator) / g, denominator: (sign * denominator) / g };
}

export function addFractions(a: Fraction, b: Fraction): Fraction {
  return fraction(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator);
}

export function compareFractions(a: Fraction, b: Fraction): -1 | 0 | 1 {
  const l = a.numerator * b.denominator;
  const r = b.numerator * a.denominator; // denominators are positive
  return l < r ? -1 : l > r ? 1 : 0;
}

export interface DayCountOptions {
  /** `ACT/ACT-ICMA`: the regular coupon period the accrual lies in (its start and end coupon dates). */
  referencePeriod?: { start: CalendarDate; end: CalendarDate };
  /** `ACT/ACT-ICMA`: coupon periods per year (1, 2, 4, 12). */
  frequency?: number;
  /** `30E/360-ISDA`: the termination (maturity) date; required for that convention, may be null. */
  terminationDate?: CalendarDate | null;
}

/**
 * The year fraction from `start` to `end` (`start` ≤ `end`) under `convention`, exactly. An empty
 * period (`start` = `end`) is 0 under every convention.
 */
export function dayCountFraction(
  convention: DayCountConvention,
  start: CalendarDate,
  end: CalendarDate,
  options: DayCountOptions = {},
): Fraction {
  if (compareDates(start, end) > 0) throw new DayCountError('the period ends before it starts');
  if (sameDate(start, end)) return fraction(0n, 1n);
  const actual = BigInt(daysBetween(start, end));
  switch (convention) {
    case 'ACT/360':
      return fraction(actual, 360n);
    case 'ACT/365F':
      return fraction(actual, 365n);
    case 'ACT/ACT-ISDA':
      return actActIsda(start, end);
    case 'ACT/ACT-ICMA':
      return actActIcma(start, end, options);
    case '30/360':
    case '30E/360':
      return fraction(BigInt(thirty360Days(convention, start, end)), 360n);
    case '30E/360-ISDA':
      if (options.terminationDate === undefined) {
        throw new DayCountError('30E/360-ISDA needs the termination date (null only where there is none)');
      }
      return fraction(BigInt(thirty360Days(convention, start, end, options.terminationDate)), 360n);
    default: {
      const unknown: never = convention;
      throw new DayCountError(`unknown day count convention ${String(unknown)}`);
    }
  }
}

/** 4.16(b): the days of the period falling in each calendar year, over that year's length. */
function actActIsda(start: CalendarDate, end: CalendarDate): Fraction {
  let leapDays = 0n;
  let otherDays = 0n;
  let from = start;
  while (compareDates(from, end) < 0) {
    const to = from.year < end.year ? makeDate(from.year + 1, 1, 1) : end;
    const days = BigInt(daysBetween(from, to));
    if (isLeapYear(from.year)) leapDays += days;
    else otherDays += days;
    from = to;
  }
  // leap/366 + other/365 = (365 × leap + 366 × other) / (365 × 366)
  return fraction(365n * leapDays + 366n * otherDays, 365n * 366n);
}

/**
 * ICMA Rule 251 for an accrual within one regular coupon period: actual days /
 * (frequency × actual days of the reference period). Accruals reaching outside the reference
 * period (long or multi-period spans, which need notional periods) are refused: the accrued
 * interest of this module never needs them.
 */
function actActIcma(start: CalendarDate, end: CalendarDate, options: DayCountOptions): Fraction {
  const { referencePeriod: ref, frequency } = options;
  if (!ref) throw new DayCountError('ACT/ACT-ICMA needs the reference (coupon) period');
  if (frequency === undefined || !Number.isInteger(frequency) || frequency < 1) {
    throw new DayCountError('ACT/ACT-ICMA needs the coupon frequency (periods per year)');
  }
  if (compareDates(ref.start, ref.end) >= 0) throw new DayCountError('the reference period is empty');
  if (compareDates(start, ref.start) < 0 || compareDates(end, ref.end) > 0) {
    throw new DayCountError('ACT/ACT-ICMA: the period must lie within its reference period');
  }
  return fraction(BigInt(daysBetween(start, end)), BigInt(frequency) * BigInt(daysBetween(ref.start, ref.end)));
}

/**
 * The 30/360 day count 360 × (Y2 − Y1) + 30 × (M2 − M1) + (D2 − D1) with, per 2006 ISDA 4.16:
 *
 * - `30/360` (4.16(f), Bond Basis): D1 = 31 → 30; D2 = 31 and D1 (after that) is 30 → 30.
 *   DECISION: the end-of-February rules of the US "30/360 US" / SIA variant (D1 last day of
 *   February → 30; then D2 last day of February as well → 30) are NOT applied. ISDA's 30/360
 *   (= Bond Basis, QuantLib `Thirty360::BondBasis`) has no February rule and the API calls the
 *   convention plainly `30/360`; e.g. 28 Feb 2006 → 3 Mar 2006 counts 5 days, not 3, and
 *   31 Aug 2007 → 29 Feb 2008 counts 179.
 * - `30E/360` (4.16(g), Eurobond Basis): D1 = 31 → 30; D2 = 31 → 30. No February rule.
 * - `30E/360-ISDA` (4.16(h)): D1 last day of its month → 30; D2 last day of its month → 30, except
 *   when D2 is the termination date and the month is February (then it stays 28/29).
 *
 * The empty period counts 0 (4.16(h) would otherwise give −2 for a period both starting and
 * ending on a termination date at the end of February).
 */
export function thirty360Days(
  convention: Thirty360Convention,
  start: CalendarDate,
  end: CalendarDate,
  terminationDate: CalendarDate | null = null,
): number {
  if (sameDate(start, end)) return 0;
  let d1 = start.day;
  let d2 = end.day;
  switch (convention) {
    case '30/360':
      if (d1 === 31) d1 = 30;
      if (d2 === 31 && d1 === 30) d2 = 30;
      break;
    case '30E/360':
      if (d1 === 31) d1 = 30;
      if (d2 === 31) d2 = 30;
      break;
    case '30E/360-ISDA': {
      if (isLastDayOfMonth(start)) d1 = 30;
      const terminationInFebruary = end.month === 2 && terminationDate !== null && sameDate(end, terminationDate);
      if (isLastDayOfMonth(end) && !terminationInFebruary) d2 = 30;
      break;
    }
  }
  return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1);
}
