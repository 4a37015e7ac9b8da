import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMonths,
  compareDates,
  DateError,
  daysBetween,
  daysInMonth,
  endOfMonth,
  formatDate,
  fromEpochDay,
  isLastDayOfMonth,
  isLeapYear,
  makeDate,
  parseDate,
  toEpochDay,
} from './dates.ts';

const d = parseDate;
const text = (date: ReturnType<typeof parseDate>) => formatDate(date);

/** Any date from 0100-01-01 to 9999-12-31 (Date.UTC reads years 0..99 as 19xx, so they are left out). */
const anyDate = fc
  .integer({ min: toEpochDay(makeDate(100, 1, 1)), max: toEpochDay(makeDate(9999, 12, 31)) })
  .map(fromEpochDay);

describe('parse and format', () => {
  it('round-trips YYYY-MM-DD', () => {
    expect(d('2026-07-02')).toEqual({ year: 2026, month: 7, day: 2 });
    expect(text(d('0001-01-01'))).toBe('0001-01-01');
    expect(text(d('2024-02-29'))).toBe('2024-02-29');
    expect(text(d('9999-12-31'))).toBe('9999-12-31');
  });

  it('refuses impossible dates and other shapes instead of rolling them over', () => {
    for (const bad of [
      '2026-02-29',
      '2100-02-29',
      '2026-04-31',
      '2026-13-01',
      '2026-00-10',
      '2026-01-00',
      '0000-01-01',
      '2026-1-01',
      '2026-01-01T00:00:00Z',
      ' 2026-01-01',
      '20260101',
      '',
    ]) {
      expect(() => parseDate(bad), bad).toThrow(DateError);
    }
    expect(() => makeDate(2026, 2, 29)).toThrow(DateError);
    expect(() => makeDate(2026, 1.5, 1)).toThrow(DateError);
  });
});

describe('calendar helpers', () => {
  it('knows Gregorian leap years', () => {
    expect([1900, 2000, 2023, 2024, 2100, 2400].map(isLeapYear)).toEqual([false, true, false, true, false, true]);
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2026, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(1900, 2)).toBe(28);
    expect([1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((m) => daysInMonth(2026, m))).toEqual([
      31, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
    ]);
    expect(() => daysInMonth(2026, 13)).toThrow(DateError);
  });

  it('recognises the last day of a month', () => {
    expect(isLastDayOfMonth(d('2024-02-29'))).toBe(true);
    expect(isLastDayOfMonth(d('2024-02-28'))).toBe(false);
    expect(isLastDayOfMonth(d('2026-02-28'))).toBe(true);
    expect(isLastDayOfMonth(d('2026-04-30'))).toBe(true);
    expect(isLastDayOfMonth(d('2026-05-30'))).toBe(false);
    expect(text(endOfMonth(2024, 2))).toBe('2024-02-29');
  });

  it('counts actual days', () => {
    expect(daysBetween(d('2026-01-01'), d('2026-07-02'))).toBe(182);
    expect(daysBetween(d('2026-01-01'), d('2027-01-01'))).toBe(365);
    expect(daysBetween(d('2024-01-01'), d('2025-01-01'))).toBe(366);
    expect(daysBetween(d('2024-02-28'), d('2024-03-01'))).toBe(2);
    expect(daysBetween(d('2026-03-01'), d('2026-02-28'))).toBe(-1);
    expect(daysBetween(d('1999-12-31'), d('2000-03-01'))).toBe(61);
    expect(toEpochDay(d('1970-01-01'))).toBe(0);
    expect(toEpochDay(d('1969-12-31'))).toBe(-1);
    expect(text(addDays(d('2024-02-28'), 1))).toBe('2024-02-29');
    expect(text(addDays(d('2024-03-01'), -1))).toBe('2024-02-29');
  });

  it('compares', () => {
    expect(compareDates(d('2026-01-31'), d('2026-02-01'))).toBe(-1);
    expect(compareDates(d('2026-02-01'), d('2026-01-31'))).toBe(1);
    expect(compareDates(d('2025-12-31'), d('2026-01-01'))).toBe(-1);
    expect(compareDates(d('2026-02-01'), d('2026-02-01'))).toBe(0);
  });

  it('adds months, clamping to the month end, or always to the month end under the end-of-month rule', () => {
    expect(text(addMonths(d('2026-01-31'), 1))).toBe('2026-02-28');
    expect(text(addMonths(d('2024-01-31'), 1))).toBe('2024-02-29');
    expect(text(addMonths(d('2026-01-31'), 2))).toBe('2026-03-31');
    expect(text(addMonths(d('2026-01-30'), 1))).toBe('2026-02-28');
    expect(text(addMonths(d('2026-03-31'), -1))).toBe('2026-02-28');
    expect(text(addMonths(d('2026-08-31'), 6))).toBe('2027-02-28');
    expect(text(addMonths(d('2026-11-15'), 3))).toBe('2027-02-15');
    expect(text(addMonths(d('2026-01-15'), -13))).toBe('2024-12-15');
    expect(text(addMonths(d('2024-02-29'), 12))).toBe('2025-02-28');
    expect(text(addMonths(d('2024-02-29'), 48))).toBe('2028-02-29');
    expect(text(addMonths(d('2024-02-29'), 1))).toBe('2024-03-29');
    expect(text(addMonths(d('2024-02-29'), 1, true))).toBe('2024-03-31');
    expect(text(addMonths(d('2026-04-30'), 1, true))).toBe('2026-05-31');
    expect(() => addMonths(d('2026-01-01'), 0.5)).toThrow(DateError);
  });
});

describe('properties', () => {
  it('epoch days agree with the UTC calendar of JavaScript', () => {
    fc.assert(
      fc.property(anyDate, (date) => {
        const ms = Date.UTC(date.year, date.month - 1, date.day);
        expect(toEpochDay(date)).toBe(ms / 86_400_000);
        expect(new Date(ms).toISOString().slice(0, 10)).toBe(formatDate(date));
      }),
    );
  });

  it('parse ∘ format and fromEpochDay ∘ toEpochDay are identities; consecutive days are one apart', () => {
    fc.assert(
      fc.property(anyDate, (date) => {
        expect(parseDate(formatDate(date))).toEqual(date);
        expect(fromEpochDay(toEpochDay(date))).toEqual(date);
        if (date.year < 9999) {
          const next = addDays(date, 1);
          expect(compareDates(date, next)).toBe(-1);
          expect(daysBetween(date, next)).toBe(1);
        }
      }),
    );
  });

  it('daysBetween is additive and antisymmetric; compare matches it', () => {
    fc.assert(
      fc.property(anyDate, anyDate, anyDate, (a, b, c) => {
        expect(daysBetween(a, b) + daysBetween(b, c)).toBe(daysBetween(a, c));
        expect(daysBetween(b, a)).toBe(0 - daysBetween(a, b));
        expect(compareDates(a, b)).toBe(Math.sign(daysBetween(b, a)) || 0); // a < b ⇔ b is later
      }),
    );
  });

  it('addMonths keeps the day where it exists and clamps otherwise', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -1200, max: 1200 }), fc.boolean(), (date, months, eom) => {
        const index = date.year * 12 + date.month - 1 + months;
        fc.pre(index >= 12 * 100 && index < 12 * 10000);
        const moved = addMonths(date, months, eom);
        expect(moved.year * 12 + moved.month - 1).toBe(index);
        const last = daysInMonth(moved.year, moved.month);
        expect(moved.day).toBe(eom ? last : Math.min(date.day, last));
      }),
    );
  });
});
