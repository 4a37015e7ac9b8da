/**
 * Accrued interest (API §7 "Amounts"):
 *
 *   accrued_interest = units × unit price × interest_rate / 100 × DCF(accrual start, value date)
 *
 * computed as one exact rational on bigint and rounded half-up to the currency's minor unit ONCE,
 * at the end (never per unit, never per factor).
 *
 * - The accrual start is the latest coupon date on or before the value date, not earlier than
 *   the interest start (see `schedule.ts`; end-of-month rule included).
 * - ACT/ACT-ICMA counts against the regular coupon period containing the value date (frequency
 *   from `interest_frequency`).
 * - 30E/360-ISDA takes the maturity date as its termination date. (As nothing accrues on or after
 *   maturity, the value date is always before it, so its end-of-February exception cannot change
 *   an accrued amount; it is passed all the same, as the contract says.)
 * - Zero where there is no interest rate or interest start, where the value date is not after
 *   the interest start, on a coupon date (accrual restarts), and on or after the maturity date
 *   (the last coupon, paid at maturity, has fallen due; nothing accrues past it).
 */
import { divideHalfUp, Money, parseDecimal } from '../money/money.ts';
import { parseDate } from './dates.ts';
import { type DayCountConvention, dayCountFraction } from './day-count.ts';
import { accrualPeriod, couponsPerYear, type InterestFrequency } from './schedule.ts';

export class InterestError extends Error {}

export interface AccruedInterestInput {
  /** Units (tokens) held or subscribed; ≥ 0. */
  units: bigint;
  /** Per unit: the nominal value, or the issuance price where there is none; ≥ 0. */
  unitPrice: Money;
  /** Percent per annum as a decimal string (`"5"` = 5 %); null: the product bears no interest. */
  interestRate: string | null;
  convention: DayCountConvention | null;
  /** `YYYY-MM-DD`; null: the product bears no interest. */
  interestStartDate: string | null;
  frequency: InterestFrequency | null;
  /** `YYYY-MM-DD` or null; the termination date of 30E/360-ISDA. */
  maturityDate: string | null;
  /** `YYYY-MM-DD`: today (UTC) until acceptance, then the date of `accepted_at`. */
  valueDate: string;
}

export function accruedInterest(input: AccruedInterestInput): Money {
  const { units, unitPrice } = input;
  if (units < 0n) throw new InterestError('units must not be negative');
  if (unitPrice.isNegative()) throw new InterestError('the unit price must not be negative');
  const zero = Money.zero(unitPrice.currency);
  const valueDate = parseDate(input.valueDate);
  if (input.interestRate === null || input.interestStartDate === null) return zero;
  const rate = parseDecimal(input.interestRate);
  if (input.convention === null || input.frequency === null) {
    throw new InterestError('an interest-bearing product needs a day count convention and an interest frequency');
  }
  const interestStart = parseDate(input.interestStartDate);
  const maturity = input.maturityDate === null ? null : parseDate(input.maturityDate);

  const period = accrualPeriod(interestStart, input.frequency, valueDate, maturity);
  if (period === null) return zero;
  const dcf = dayCountFraction(input.convention, period.start, valueDate, {
    referencePeriod: period.referencePeriod,
    frequency: couponsPerYear(input.frequency),
    terminationDate: maturity,
  });
  if (dcf.numerator === 0n) return zero;

  // units × price × (rate.n / rate.d) / 100 × (dcf.n / dcf.d), rounded once.
  const numerator = units * unitPrice.minor * rate.numerator * dcf.numerator;
  const denominator = rate.denominator * 100n * dcf.denominator;
  return Money.of(divideHalfUp(numerator, denominator), unitPrice.currency);
}
