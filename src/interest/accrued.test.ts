import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Money } from '../money/money.ts';
import { type AccruedInterestInput, accruedInterest, InterestError } from './accrued.ts';
import { DateError, formatDate, fromEpochDay, makeDate, parseDate, toEpochDay } from './dates.ts';
import { DAY_COUNT_CONVENTIONS } from './day-count.ts';
import { couponDate, couponsPerYear, INTEREST_FREQUENCIES } from './schedule.ts';

const eur = (minor: bigint) => Money.of(minor, 'EUR');

function accrued(input: Partial<AccruedInterestInput> & Pick<AccruedInterestInput, 'valueDate'>): Money {
  return accruedInterest({
    units: 10n,
    unitPrice: eur(10000n),
    interestRate: '5',
    convention: 'ACT/ACT-ICMA',
    interestStartDate: '2026-01-01',
    frequency: 'ANNUAL',
    maturityDate: null,
    ...input,
  });
}

describe('accrued interest, worked by hand to the cent', () => {
  it('10 × EUR 100.00 at 5 % ACT/ACT-ICMA annual from 2026-01-01, valued 2026-07-02', () => {
    // Coupon period 2026-01-01 → 2027-01-01 = 365 days; 2026-01-01 → 2026-07-02 = 182 days.
    // 10 × 10000 ct × 5/100 × 182/(1 × 365) = 5000 × 182/365 = 910000/365 = 2493.15 ct → EUR 24.93.
    const money = accrued({ valueDate: '2026-07-02' });
    expect(money.toJSON()).toEqual({ amount: '2493', decimals: 2, currency: 'EUR' });
  });

  it('ACT/ACT-ISDA across a year end into a leap year', () => {
    // 1000 × EUR 1,000.00 at 3.5 %, annual from 2023-07-01, valued 2024-03-01:
    // 184 days in 2023 (/365) + 60 days in 2024 (/366).
    // 100000000 ct × 0.035 = 3500000 ct × (184/365 + 60/366) = 2338154.053... ct → EUR 23,381.54.
    const money = accrued({
      units: 1000n,
      unitPrice: eur(100000n),
      interestRate: '3.5',
      convention: 'ACT/ACT-ISDA',
      interestStartDate: '2023-07-01',
      valueDate: '2024-03-01',
    });
    expect(money.minor).toBe(2338154n);
  });

  it('30E/360, 30/360 and ACT/360 on an end-of-month semi-annual schedule', () => {
    // 50 × EUR 500.00 at 6.25 %, semi-annual from 2025-03-31 (month end: coupons 2025-09-30,
    // 2026-03-31, ...), valued 2026-01-15; accrual start 2025-09-30.
    // 2500000 ct × 0.0625 = 156250 ct per year.
    const base = {
      units: 50n,
      unitPrice: eur(50000n),
      interestRate: '6.25',
      interestStartDate: '2025-03-31',
      frequency: 'SEMI_ANNUAL',
      valueDate: '2026-01-15',
    } as const;
    // 30E/360 and 30/360: 360 × 1 + 30 × (1 − 9) + (15 − 30) = 105 days: 156250 × 105/360 = 45572.92 → 45573.
    expect(accrued({ ...base, convention: '30E/360' }).minor).toBe(45573n);
    expect(accrued({ ...base, convention: '30/360' }).minor).toBe(45573n);
    // ACT/360: 1 + 31 + 30 + 31 + 14 = 107 days: 156250 × 107/360 = 46440.97 → 46441.
    expect(accrued({ ...base, convention: 'ACT/360' }).minor).toBe(46441n);
  });

  it('after an end-of-February coupon, the 30/360 variants differ', () => {
    // 100 × EUR 100.00 at 3.6 %, quarterly from 2025-11-30 (month end: coupon 2026-02-28), maturity
    // 2028-11-30, valued 2026-03-15. 1000000 ct × 0.036 = 36000 ct per year.
    const base = {
      units: 100n,
      unitPrice: eur(10000n),
      interestRate: '3.6',
      interestStartDate: '2025-11-30',
      frequency: 'QUARTERLY',
      maturityDate: '2028-11-30',
      valueDate: '2026-03-15',
    } as const;
    // 30E/360-ISDA: D1 = 28 Feb is a month end → 30: 30 × 1 + 15 − 30 = 15 days → 36000 × 15/360 = 1500.
    expect(accrued({ ...base, convention: '30E/360-ISDA' }).minor).toBe(1500n);
    // 30E/360 and 30/360 (no February rule): 30 + 15 − 28 = 17 days → 1700.
    expect(accrued({ ...base, convention: '30E/360' }).minor).toBe(1700n);
    expect(accrued({ ...base, convention: '30/360' }).minor).toBe(1700n);
    // ACT/ACT-ICMA: 15 days in the period 2026-02-28 → 2026-05-31 (92 days), quarterly:
    // 36000 × 15/(4 × 92) = 1467.39 → 1467.
    expect(accrued({ ...base, convention: 'ACT/ACT-ICMA' }).minor).toBe(1467n);
    // ACT/365F: 36000 × 15/365 = 1479.45 → 1479.
    expect(accrued({ ...base, convention: 'ACT/365F' }).minor).toBe(1479n);
  });

  it('ACT/ACT-ICMA monthly over a leap February (end-of-month schedule)', () => {
    // 1 × EUR 1,000.00 at 12 %, monthly from 2024-01-31; valued 2024-02-15: period 2024-01-31 →
    // 2024-02-29 (29 days), 15 days: 12000 ct × 15/(12 × 29) = 517.24 → 517.
    const money = accrued({
      units: 1n,
      unitPrice: eur(100000n),
      interestRate: '12',
      interestStartDate: '2024-01-31',
      frequency: 'MONTHLY',
      valueDate: '2024-02-15',
    });
    expect(money.minor).toBe(517n);
  });

  it('ACT/ACT-ICMA in a short final period counts against the regular (notional) period', () => {
    // 10 × EUR 100.00 at 4 %, quarterly from 2026-01-15, maturity 2026-12-01; valued 2026-11-15:
    // accrual from 2026-10-15 (31 days); reference 2026-10-15 → 2027-01-15 (92 days), not the
    // 47-day stub to maturity: 4000 ct × 31/(4 × 92) = 336.96 → 337.
    const money = accrued({
      interestRate: '4',
      interestStartDate: '2026-01-15',
      frequency: 'QUARTERLY',
      maturityDate: '2026-12-01',
      valueDate: '2026-11-15',
    });
    expect(money.minor).toBe(337n);
  });

  it('currencies without minor units round to whole units', () => {
    // 7 × JPY 10,000 at 1.5 % ACT/365F from 2026-01-01, valued 2026-02-01 (31 days):
    // 70000 × 0.015 × 31/365 = 1050 × 31/365 = 89.18 → JPY 89.
    const money = accrued({
      units: 7n,
      unitPrice: Money.of(10000n, 'JPY'),
      interestRate: '1.5',
      convention: 'ACT/365F',
      valueDate: '2026-02-01',
    });
    expect(money.toJSON()).toEqual({ amount: '89', decimals: 0, currency: 'JPY' });
  });

  it('stays exact far beyond 2^53', () => {
    // 123456789012 × EUR 1,000.00 at 7.125 % ACT/365F, 100 days (2026-01-01 → 2026-04-11):
    // 12345678901200000 ct × 7125/100000 × 100/365 = 17592592434210000/73 = 240994416906986.3 → …986.
    const money = accrued({
      units: 123456789012n,
      unitPrice: eur(100000n),
      interestRate: '7.125',
      convention: 'ACT/365F',
      valueDate: '2026-04-11',
    });
    expect(money.minor).toBe(240994416906986n);
  });
});

describe('rounding: half-up, once, at the end', () => {
  it('rounds an exact half cent up', () => {
    // 1 × EUR 100.00 at 1.8 % ACT/360 for 1 day: 10000 × 0.018 / 360 = 180/360 = 0.5 ct → 1 ct.
    const base = { units: 1n, convention: 'ACT/360', valueDate: '2026-01-02' } as const;
    expect(accrued({ ...base, interestRate: '1.8' }).minor).toBe(1n);
    // 1.79 %: 179/360 = 0.497 ct → 0.
    expect(accrued({ ...base, interestRate: '1.79' }).minor).toBe(0n);
    // 30/360: 1 × EUR 10.00 at 6 % for 3 days (2026-01-01 → 2026-01-04): 1000 × 0.06 × 3/360 = 0.5 ct → 1 ct.
    expect(
      accrued({ units: 1n, unitPrice: eur(1000n), interestRate: '6', convention: '30/360', valueDate: '2026-01-04' })
        .minor,
    ).toBe(1n);
  });

  it('rounds the total, never per unit', () => {
    // EUR 1.00 at 4 % ACT/360 for 36 days = 100 × 0.04 × 0.1 = 0.4 ct per unit (0 if rounded per unit);
    // 3 units: 1.2 ct → 1 ct.
    const base = { unitPrice: eur(100n), convention: 'ACT/360', valueDate: '2026-02-06' } as const;
    expect(accrued({ ...base, units: 3n, interestRate: '4' }).minor).toBe(1n);
    // 5 %: 0.5 ct per unit (1 ct if rounded per unit, 2 ct for two units); 2 units: exactly 1.0 ct.
    expect(accrued({ ...base, units: 2n, interestRate: '5' }).minor).toBe(1n);
  });
});

describe('zero', () => {
  it('for a product without an interest start or rate', () => {
    expect(accrued({ interestStartDate: null, valueDate: '2026-07-02' })).toEqual(eur(0n));
    expect(accrued({ interestRate: null, valueDate: '2026-07-02' })).toEqual(eur(0n));
    expect(
      accrued({
        interestRate: null,
        interestStartDate: null,
        convention: null,
        frequency: null,
        valueDate: '2026-07-02',
      }),
    ).toEqual(eur(0n));
    expect(accrued({ interestRate: '0', valueDate: '2026-07-02' })).toEqual(eur(0n));
  });

  it('on or before the interest start', () => {
    expect(accrued({ valueDate: '2026-01-01' }).minor).toBe(0n);
    expect(accrued({ valueDate: '2025-12-31' }).minor).toBe(0n);
    expect(accrued({ valueDate: '2026-01-02' }).minor).toBe(14n); // 5000 × 1/365 = 13.7 → 14
  });

  it('on a coupon date (accrual restarts), then grows again', () => {
    expect(accrued({ valueDate: '2026-12-31' }).minor).toBe(4986n); // 5000 × 364/365 = 4986.3
    expect(accrued({ valueDate: '2027-01-01' }).minor).toBe(0n);
    expect(accrued({ valueDate: '2027-01-02' }).minor).toBe(14n);
  });

  it('on and after maturity (also the 30E/360-ISDA termination date)', () => {
    const base = {
      convention: '30E/360-ISDA',
      interestStartDate: '2024-02-29',
      frequency: 'QUARTERLY',
      maturityDate: '2027-02-28',
    } as const;
    // The day before maturity: from the 2026-11-30 coupon (D1 → 30) to 2027-02-27:
    // 360 + 30 × (2 − 11) + (27 − 30) = 87 days: 5000 × 87/360 = 1208.33 → 1208.
    expect(accrued({ ...base, valueDate: '2027-02-27' }).minor).toBe(1208n);
    expect(accrued({ ...base, valueDate: '2027-02-28' }).minor).toBe(0n);
    expect(accrued({ ...base, valueDate: '2030-01-01' }).minor).toBe(0n);
  });
});

describe('refusals', () => {
  it('refuses what cannot be right instead of guessing', () => {
    expect(() => accrued({ units: -1n, valueDate: '2026-07-02' })).toThrow(InterestError);
    expect(() => accrued({ unitPrice: eur(-1n), valueDate: '2026-07-02' })).toThrow(InterestError);
    expect(() => accrued({ convention: null, valueDate: '2026-07-02' })).toThrow(InterestError);
    expect(() => accrued({ frequency: null, valueDate: '2026-07-02' })).toThrow(InterestError);
    expect(() => accrued({ valueDate: '2026-02-30' })).toThrow(DateError);
    expect(() => accrued({ interestStartDate: '01.01.2026', valueDate: '2026-07-02' })).toThrow(DateError);
    expect(() => accrued({ interestRate: '-1', valueDate: '2026-07-02' })).toThrow();
    expect(() => accrued({ interestRate: '1e2', valueDate: '2026-07-02' })).toThrow();
  });
});

// ---- properties ----

const MIN = toEpochDay(makeDate(1990, 1, 1));
const MAX = toEpochDay(makeDate(2060, 12, 31));
const rate = fc
  .tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 999 }))
  .map(([whole, thousandths]) => `${whole}.${String(thousandths).padStart(3, '0')}`);
const product = fc.record({
  units: fc.bigInt(0n, 10n ** 9n),
  price: fc.bigInt(0n, 10n ** 8n),
  interestRate: rate,
  convention: fc.constantFrom(...DAY_COUNT_CONVENTIONS),
  frequency: fc.constantFrom(...INTEREST_FREQUENCIES),
  start: fc.integer({ min: MIN, max: MAX }),
  life: fc.option(fc.integer({ min: 1, max: 30 * 366 }), { nil: null }),
});

function inputOf(p: typeof product extends fc.Arbitrary<infer T> ? T : never, valueDay: number): AccruedInterestInput {
  const start = fromEpochDay(p.start);
  // 30E/360-ISDA needs its termination date.
  const life = p.life ?? (p.convention === '30E/360-ISDA' ? 10 * 366 : null);
  return {
    units: p.units,
    unitPrice: eur(p.price),
    interestRate: p.interestRate,
    convention: p.convention,
    interestStartDate: formatDate(start),
    frequency: p.frequency,
    maturityDate: life === null ? null : formatDate(fromEpochDay(p.start + life)),
    valueDate: formatDate(fromEpochDay(valueDay)),
  };
}

describe('properties', () => {
  it('is never negative, and at most one period of interest plus 10 %', () => {
    fc.assert(
      fc.property(product, fc.integer({ min: -400, max: 40 * 366 }), (p, offset) => {
        const money = accruedInterest(inputOf(p, p.start + offset));
        expect(money.minor >= 0n).toBe(true);
        // Over one coupon period of m months the DCF stays below 1.1 × m/12 under every convention
        // (the largest: ACT/360 31/360 for a month, 30/360 32/360 from 28 Feb to 30 Mar).
        const months = BigInt(12 / couponsPerYear(p.frequency));
        const rateThousandths = BigInt(p.interestRate.replace('.', ''));
        const bound = (p.units * p.price * rateThousandths * months * 11n) / (1000n * 100n * 12n * 10n);
        expect(money.minor <= bound + 1n).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is zero on every coupon date, on or before the interest start, and from maturity on', () => {
    fc.assert(
      fc.property(product, fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 400 }), (p, n, before) => {
        const start = fromEpochDay(p.start);
        const coupon = toEpochDay(couponDate(start, p.frequency, n));
        expect(accruedInterest(inputOf(p, coupon)).minor).toBe(0n);
        expect(accruedInterest(inputOf(p, p.start - before)).minor).toBe(0n);
        const input = inputOf(p, p.start);
        if (input.maturityDate !== null) {
          const maturity = toEpochDay(parseDate(input.maturityDate));
          expect(accruedInterest(inputOf(p, maturity + before)).minor).toBe(0n);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('does not decrease within a coupon period', () => {
    fc.assert(
      fc.property(product, fc.integer({ min: 0, max: 40 * 12 }), fc.integer({ min: 0, max: 400 }), (p, n, step) => {
        const start = fromEpochDay(p.start);
        const from = toEpochDay(couponDate(start, p.frequency, n));
        const to = toEpochDay(couponDate(start, p.frequency, n + 1));
        const a = from + (step % (to - from));
        const b = Math.min(a + 1 + (step % 7), to - 1);
        fc.pre(a < b);
        const input = inputOf(p, a);
        if (input.maturityDate !== null) fc.pre(b < toEpochDay(parseDate(input.maturityDate)));
        expect(accruedInterest(inputOf(p, a)).minor <= accruedInterest(inputOf(p, b)).minor).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
