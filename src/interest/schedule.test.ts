import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareDates,
  daysInMonth,
  formatDate,
  fromEpochDay,
  isLastDayOfMonth,
  makeDate,
  parseDate,
  toEpochDay,
} from './dates.ts';
import {
  accrualPeriod,
  couponDate,
  couponDates,
  couponsPerYear,
  INTEREST_FREQUENCIES,
  type InterestFrequency,
} from './schedule.ts';

const d = parseDate;

function dates(start: string, frequency: InterestFrequency, through: string, maturity: string | null = null) {
  return couponDates(d(start), frequency, d(through), maturity === null ? null : d(maturity)).map(formatDate);
}

function period(start: string, frequency: InterestFrequency, value: string, maturity: string | null = null) {
  const p = accrualPeriod(d(start), frequency, d(value), maturity === null ? null : d(maturity));
  return (
    p && {
      start: formatDate(p.start),
      end: formatDate(p.end),
      reference: `${formatDate(p.referencePeriod.start)}..${formatDate(p.referencePeriod.end)}`,
      index: p.index,
    }
  );
}

describe('coupon dates', () => {
  it('follow the end-of-month rule when the start is the last day of its month', () => {
    expect(dates('2024-02-29', 'MONTHLY', '2024-08-31')).toEqual([
      '2024-02-29',
      '2024-03-31',
      '2024-04-30',
      '2024-05-31',
      '2024-06-30',
      '2024-07-31',
      '2024-08-31',
    ]);
    expect(dates('2026-01-31', 'MONTHLY', '2026-05-31')).toEqual([
      '2026-01-31',
      '2026-02-28',
      '2026-03-31',
      '2026-04-30',
      '2026-05-31',
    ]);
    // 28 Feb of a non-leap year is a month end: the rule applies, and picks 29 Feb in leap years.
    expect(dates('2023-02-28', 'ANNUAL', '2028-12-31')).toEqual([
      '2023-02-28',
      '2024-02-29',
      '2025-02-28',
      '2026-02-28',
      '2027-02-28',
      '2028-02-29',
    ]);
    expect(dates('2026-04-30', 'QUARTERLY', '2027-04-30')).toEqual([
      '2026-04-30',
      '2026-07-31',
      '2026-10-31',
      '2027-01-31',
      '2027-04-30',
    ]);
    expect(dates('2016-08-31', 'SEMI_ANNUAL', '2018-03-01')).toEqual([
      '2016-08-31',
      '2017-02-28',
      '2017-08-31',
      '2018-02-28',
    ]);
  });

  it('otherwise keep the day of month, clamped where the month is shorter, without drifting', () => {
    expect(dates('2026-01-30', 'MONTHLY', '2026-06-30')).toEqual([
      '2026-01-30',
      '2026-02-28',
      '2026-03-30',
      '2026-04-30',
      '2026-05-30',
      '2026-06-30',
    ]);
    expect(dates('2024-01-29', 'MONTHLY', '2024-04-30')).toEqual([
      '2024-01-29',
      '2024-02-29',
      '2024-03-29',
      '2024-04-29',
    ]);
    // 28 Feb of a leap year is not a month end: stays the 28th.
    expect(dates('2024-02-28', 'MONTHLY', '2024-05-31')).toEqual([
      '2024-02-28',
      '2024-03-28',
      '2024-04-28',
      '2024-05-28',
    ]);
    expect(dates('2025-08-30', 'SEMI_ANNUAL', '2027-03-01')).toEqual([
      '2025-08-30',
      '2026-02-28',
      '2026-08-30',
      '2027-02-28',
    ]);
    expect(dates('2026-11-15', 'QUARTERLY', '2027-11-15')).toEqual([
      '2026-11-15',
      '2027-02-15',
      '2027-05-15',
      '2027-08-15',
      '2027-11-15',
    ]);
    expect(dates('2026-03-10', 'ANNUAL', '2029-03-09')).toEqual(['2026-03-10', '2027-03-10', '2028-03-10']);
  });

  it('end at maturity, which is the last coupon date', () => {
    expect(dates('2026-01-15', 'QUARTERLY', '2030-01-01', '2026-12-01')).toEqual([
      '2026-01-15',
      '2026-04-15',
      '2026-07-15',
      '2026-10-15',
      '2026-12-01',
    ]);
    expect(dates('2026-01-15', 'SEMI_ANNUAL', '2030-01-01', '2027-01-15')).toEqual([
      '2026-01-15',
      '2026-07-15',
      '2027-01-15',
    ]);
    expect(() => dates('2026-01-15', 'ANNUAL', '2030-01-01', '2026-01-15')).toThrow(RangeError);
  });

  it('have 1, 2, 4 or 12 periods a year', () => {
    expect(INTEREST_FREQUENCIES.map(couponsPerYear)).toEqual([1, 2, 4, 12]);
    expect(() => couponDate(d('2026-01-01'), 'ANNUAL', -1)).toThrow(RangeError);
  });
});

describe('accrual period', () => {
  it('is the coupon period containing the value date', () => {
    expect(period('2026-01-01', 'ANNUAL', '2026-07-02')).toEqual({
      start: '2026-01-01',
      end: '2027-01-01',
      reference: '2026-01-01..2027-01-01',
      index: 0,
    });
    expect(period('2026-01-01', 'ANNUAL', '2028-03-01')?.start).toBe('2028-01-01');
    expect(period('2026-01-31', 'MONTHLY', '2026-03-15')).toEqual({
      start: '2026-02-28',
      end: '2026-03-31',
      reference: '2026-02-28..2026-03-31',
      index: 1,
    });
    expect(period('2026-01-30', 'MONTHLY', '2026-03-29')?.start).toBe('2026-02-28');
    expect(period('2026-01-30', 'MONTHLY', '2026-03-30')?.start).toBe('2026-03-30');
    // QuantLib testActualActualWithSchedule: 2017-01-29 lies in the quasi-coupon period
    // 2016-08-31 → 2017-02-28 of an end-of-month semi-annual schedule.
    expect(period('2016-08-31', 'SEMI_ANNUAL', '2017-01-29')?.reference).toBe('2016-08-31..2017-02-28');
  });

  it('starts on the value date when that is a coupon date (accrual restarts)', () => {
    expect(period('2026-01-15', 'QUARTERLY', '2026-04-15')).toEqual({
      start: '2026-04-15',
      end: '2026-07-15',
      reference: '2026-04-15..2026-07-15',
      index: 1,
    });
    expect(period('2026-01-15', 'QUARTERLY', '2026-01-15')?.index).toBe(0);
    expect(period('2026-01-15', 'QUARTERLY', '2026-04-14')?.start).toBe('2026-01-15');
  });

  it('does not exist before the interest start, nor on or after maturity', () => {
    expect(period('2026-01-15', 'QUARTERLY', '2026-01-14')).toBeNull();
    expect(period('2026-01-15', 'QUARTERLY', '2027-01-15', '2027-01-15')).toBeNull();
    expect(period('2026-01-15', 'QUARTERLY', '2028-01-01', '2027-01-15')).toBeNull();
    expect(period('2026-01-15', 'QUARTERLY', '2027-01-14', '2027-01-15')?.end).toBe('2027-01-15');
  });

  it('ends a short final period at maturity, keeping the regular period as ICMA reference', () => {
    expect(period('2026-01-15', 'QUARTERLY', '2026-11-01', '2026-12-01')).toEqual({
      start: '2026-10-15',
      end: '2026-12-01',
      reference: '2026-10-15..2027-01-15',
      index: 3,
    });
  });
});

const MIN = toEpochDay(makeDate(1950, 1, 1));
const MAX = toEpochDay(makeDate(2080, 12, 31));
const anyDate = fc.integer({ min: MIN, max: MAX }).map(fromEpochDay);
const frequency = fc.constantFrom(...INTEREST_FREQUENCIES);

describe('properties', () => {
  it('coupon n is n × months from the start, end-of-month or clamped', () => {
    fc.assert(
      fc.property(anyDate, frequency, fc.integer({ min: 0, max: 240 }), (start, f, n) => {
        const c = couponDate(start, f, n);
        const months = (12 / couponsPerYear(f)) * n;
        expect(c.year * 12 + c.month - (start.year * 12 + start.month)).toBe(months);
        const last = daysInMonth(c.year, c.month);
        if (isLastDayOfMonth(start)) expect(c.day).toBe(last);
        else expect(c.day).toBe(Math.min(start.day, last));
        expect(compareDates(c, couponDate(start, f, n + 1))).toBe(-1);
      }),
    );
  });

  it('the accrual period holds the value date between consecutive coupon dates', () => {
    fc.assert(
      fc.property(anyDate, frequency, fc.integer({ min: 0, max: 20 * 366 }), (start, f, offset) => {
        const value = fromEpochDay(toEpochDay(start) + offset);
        const p = accrualPeriod(start, f, value);
        expect(p).not.toBeNull();
        if (!p) return;
        expect(p.start).toEqual(couponDate(start, f, p.index));
        expect(p.end).toEqual(couponDate(start, f, p.index + 1));
        expect(p.referencePeriod).toEqual({ start: p.start, end: p.end });
        expect(compareDates(p.start, value)).toBeLessThanOrEqual(0);
        expect(compareDates(value, p.end)).toBe(-1);
        // Same answer as scanning the schedule.
        const all = couponDates(start, f, value);
        expect(all[all.length - 1]).toEqual(p.start);
      }),
    );
  });

  it('with a maturity, periods end no later than maturity and none contains it', () => {
    fc.assert(
      fc.property(
        anyDate,
        frequency,
        fc.integer({ min: 1, max: 10 * 366 }),
        fc.integer({ min: 0, max: 12 * 366 }),
        (start, f, life, offset) => {
          const maturity = fromEpochDay(toEpochDay(start) + life);
          const value = fromEpochDay(toEpochDay(start) + offset);
          const p = accrualPeriod(start, f, value, maturity);
          if (offset >= life) {
            expect(p).toBeNull();
            return;
          }
          expect(p).not.toBeNull();
          if (!p) return;
          expect(compareDates(p.end, maturity)).toBeLessThanOrEqual(0);
          expect(compareDates(value, p.end)).toBe(-1);
          expect(compareDates(p.referencePeriod.end, p.end)).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});
