import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { daysBetween, fromEpochDay, makeDate, parseDate, toEpochDay } from './dates.ts';
import {
  addFractions,
  compareFractions,
  DAY_COUNT_CONVENTIONS,
  type DayCountConvention,
  DayCountError,
  type DayCountOptions,
  dayCountFraction,
  type Fraction,
  fraction,
  type Thirty360Convention,
  thirty360Days,
} from './day-count.ts';

const d = parseDate;
const f = fraction;
const toNumber = (x: Fraction) => Number(x.numerator) / Number(x.denominator);

function dcf(convention: DayCountConvention, start: string, end: string, options: DayCountOptions = {}): Fraction {
  return dayCountFraction(convention, d(start), d(end), options);
}

function icma(start: string, end: string, refStart: string, refEnd: string, frequency: number): Fraction {
  return dcf('ACT/ACT-ICMA', start, end, { referencePeriod: { start: d(refStart), end: d(refEnd) }, frequency });
}

describe('fractions', () => {
  it('are reduced with a positive denominator', () => {
    expect(f(6n, 4n)).toEqual({ numerator: 3n, denominator: 2n });
    expect(f(3n, -6n)).toEqual({ numerator: -1n, denominator: 2n });
    expect(f(0n, 7n)).toEqual({ numerator: 0n, denominator: 1n });
    expect(addFractions(f(1n, 6n), f(1n, 3n))).toEqual(f(1n, 2n));
    expect(compareFractions(f(1n, 3n), f(2n, 6n))).toBe(0);
    expect(compareFractions(f(1n, 3n), f(1n, 2n))).toBe(-1);
    expect(() => f(1n, 0n)).toThrow(DayCountError);
  });
});

/**
 * ISDA, "EMU and market conventions: recent developments" (1998, mktc1198), ACT/ACT examples, as
 * encoded in QuantLib test-suite/daycounters.cpp `testActualActual` (expected values to 1e-12
 * there; the exact fractions are worked out here by hand). ICMA cases use only accruals lying
 * within one reference period; long periods are checked as the sum of their within-period parts.
 */
describe('ACT/ACT: ISDA 1998 memo examples (QuantLib testActualActual)', () => {
  it('regular period 2003-11-01 → 2004-05-01', () => {
    // ISDA: 2003-11-01 → 2004-01-01 = 30 + 31 = 61 days in 2003 (365); 2004-01-01 → 2004-05-01 =
    // 31 + 29 + 31 + 30 = 121 days in leap 2004: 61/365 + 121/366 = (61·366 + 121·365) / (365·366)
    // = (22326 + 44165) / 133590 = 66491/133590.
    expect(dcf('ACT/ACT-ISDA', '2003-11-01', '2004-05-01')).toEqual(f(66491n, 133590n));
    expect(toNumber(dcf('ACT/ACT-ISDA', '2003-11-01', '2004-05-01'))).toBeCloseTo(0.497724380567, 12);
    // ICMA, semi-annual, reference period = the period: 182 / (2 · 182) = 1/2.
    expect(icma('2003-11-01', '2004-05-01', '2003-11-01', '2004-05-01', 2)).toEqual(f(1n, 2n));
  });

  it('short first period 1999-02-01 → 1999-07-01 (reference 1998-07-01 → 1999-07-01)', () => {
    // Days: 1999-02-01 → 1999-07-01 = 28 + 31 + 30 + 31 + 30 = 150, all in 1999 (365).
    // ISDA: 150/365 = 30/73. ICMA annual: 150 / (1 · 365) = 30/73 (reference 1998-07-01 → 1999-07-01 = 365).
    expect(dcf('ACT/ACT-ISDA', '1999-02-01', '1999-07-01')).toEqual(f(30n, 73n));
    expect(icma('1999-02-01', '1999-07-01', '1998-07-01', '1999-07-01', 1)).toEqual(f(30n, 73n));
    expect(toNumber(f(30n, 73n))).toBeCloseTo(0.41095890411, 12);
  });

  it('the regular period after it, 1999-07-01 → 2000-07-01', () => {
    // ISDA: 1999-07-01 → 2000-01-01 = 184 days / 365 + 2000-01-01 → 2000-07-01 = 182 days / 366
    // = (184·366 + 182·365) / 133590 = (67344 + 66430) / 133590 = 133774/133590.
    const isda = dcf('ACT/ACT-ISDA', '1999-07-01', '2000-07-01');
    expect(isda).toEqual(f(133774n, 133590n));
    expect(toNumber(isda)).toBeCloseTo(1.0013773486, 10);
    // ICMA annual: 366 / (1 · 366) = 1.
    expect(icma('1999-07-01', '2000-07-01', '1999-07-01', '2000-07-01', 1)).toEqual(f(1n, 1n));
  });

  it('long first period 2002-08-15 → 2003-07-15, semi-annual', () => {
    // ISDA: 139 days in 2002 (17 + 30 + 31 + 30 + 31) + 195 in 2003 (31 + 28 + 31 + 30 + 31 + 30 + 14)
    // = 334/365, both years non-leap.
    expect(dcf('ACT/ACT-ISDA', '2002-08-15', '2003-07-15')).toEqual(f(334n, 365n));
    expect(toNumber(f(334n, 365n))).toBeCloseTo(0.915068493151, 12);
    // ICMA, split into its notional periods: 2002-08-15 → 2003-01-15 = 153 days within the notional
    // 2002-07-15 → 2003-01-15 (184 days): 153 / (2 · 184) = 153/368; then the regular
    // 2003-01-15 → 2003-07-15 (181 days): 181 / (2 · 181) = 1/2. Sum 153/368 + 184/368 = 337/368.
    const first = icma('2002-08-15', '2003-01-15', '2002-07-15', '2003-01-15', 2);
    const second = icma('2003-01-15', '2003-07-15', '2003-01-15', '2003-07-15', 2);
    expect(first).toEqual(f(153n, 368n));
    expect(second).toEqual(f(1n, 2n));
    expect(addFractions(first, second)).toEqual(f(337n, 368n));
    expect(toNumber(addFractions(first, second))).toBeCloseTo(0.915760869565, 12);
  });

  it('the period after the long first one, 2003-07-15 → 2004-01-15', () => {
    // ISDA: 170 days in 2003 (17 + 31 + 30 + 31 + 30 + 31) / 365 + 14 days in 2004 / 366
    // = (170·366 + 14·365) / 133590 = (62220 + 5110) / 133590 = 67330/133590.
    expect(dcf('ACT/ACT-ISDA', '2003-07-15', '2004-01-15')).toEqual(f(67330n, 133590n));
    expect(toNumber(f(67330n, 133590n))).toBeCloseTo(0.504004790778, 12);
    expect(icma('2003-07-15', '2004-01-15', '2003-07-15', '2004-01-15', 2)).toEqual(f(1n, 2n));
  });

  it('short final period: penultimate 1999-07-30 → 2000-01-30 and final 2000-01-30 → 2000-06-30', () => {
    // Penultimate, ISDA: 155 days in 1999 / 365 + 29 in 2000 / 366 = (155·366 + 29·365) / 133590
    // = (56730 + 10585) / 133590 = 67315/133590.
    expect(dcf('ACT/ACT-ISDA', '1999-07-30', '2000-01-30')).toEqual(f(67315n, 133590n));
    expect(toNumber(f(67315n, 133590n))).toBeCloseTo(0.503892506924, 12);
    expect(icma('1999-07-30', '2000-01-30', '1999-07-30', '2000-01-30', 2)).toEqual(f(1n, 2n));
    // Final, ISDA: 152 days, all in 2000: 152/366 = 76/183.
    expect(dcf('ACT/ACT-ISDA', '2000-01-30', '2000-06-30')).toEqual(f(76n, 183n));
    expect(toNumber(f(76n, 183n))).toBeCloseTo(0.415300546448, 12);
    // Final, ICMA against the notional period 2000-01-30 → 2000-07-30 (182 days): 152 / (2 · 182) = 38/91.
    expect(icma('2000-01-30', '2000-06-30', '2000-01-30', '2000-07-30', 2)).toEqual(f(38n, 91n));
    expect(toNumber(f(38n, 91n))).toBeCloseTo(0.417582417582, 12);
  });

  it('short final quarterly period with end of month, 1999-11-30 → 2000-04-30 (QuantLib testActualActualIsma)', () => {
    // Notional periods 1999-11-30 → 2000-02-29 (91 days) and 2000-02-29 → 2000-05-31 (92 days):
    // 91 / (4 · 91) = 1/4 and 2000-02-29 → 2000-04-30 = 61 days: 61 / (4 · 92) = 61/368.
    const first = icma('1999-11-30', '2000-02-29', '1999-11-30', '2000-02-29', 4);
    const second = icma('2000-02-29', '2000-04-30', '2000-02-29', '2000-05-31', 4);
    expect(first).toEqual(f(1n, 4n));
    expect(second).toEqual(f(61n, 368n));
    expect(toNumber(addFractions(first, second))).toBeCloseTo(91 / (91 * 4) + 61 / (92 * 4), 12);
  });

  it('QuantLib testActualActualWithSchedule: settlement in the first quasi-period of a long first coupon', () => {
    // Quasi-coupon period 2016-08-31 → 2017-02-28 (181 days), semi-annual; issue 2017-01-17.
    // 2017-01-17 → 2017-01-29 = 12 days: 12 / (2 · 181) = 12/362 = 0.03314917127071823.
    const settlement = icma('2017-01-17', '2017-01-29', '2016-08-31', '2017-02-28', 2);
    expect(settlement).toEqual(f(6n, 181n));
    expect(toNumber(settlement)).toBeCloseTo(0.03314917127071823, 12);
    // Full long coupon to 2017-08-31: 42/362 (to 2017-02-28) + 1/2 = 0.6160220994.
    const full = addFractions(
      icma('2017-01-17', '2017-02-28', '2016-08-31', '2017-02-28', 2),
      icma('2017-02-28', '2017-08-31', '2017-02-28', '2017-08-31', 2),
    );
    expect(Math.abs(toNumber(full) - 0.6160220994)).toBeLessThan(1e-10);
  });
});

describe('ACT/ACT-ICMA arguments', () => {
  it('needs a reference period and frequency, and refuses accruals outside the reference period', () => {
    expect(() => dcf('ACT/ACT-ICMA', '2026-01-01', '2026-02-01')).toThrow(/reference/);
    expect(() =>
      dcf('ACT/ACT-ICMA', '2026-01-01', '2026-02-01', {
        referencePeriod: { start: d('2026-01-01'), end: d('2027-01-01') },
      }),
    ).toThrow(/frequency/);
    expect(() => icma('2025-12-31', '2026-02-01', '2026-01-01', '2027-01-01', 1)).toThrow(/within/);
    expect(() => icma('2026-01-01', '2027-01-02', '2026-01-01', '2027-01-01', 1)).toThrow(/within/);
    expect(() => icma('2026-01-01', '2026-01-02', '2026-01-01', '2026-01-01', 1)).toThrow(/empty/);
    expect(() => icma('2026-01-01', '2026-01-02', '2026-01-01', '2027-01-01', 0)).toThrow(/frequency/);
  });

  it('is days / (frequency × reference days) for every frequency', () => {
    // 2026-01-01 → 2026-07-02 = 182 days in the annual period 2026-01-01 → 2027-01-01 (365): 182/365.
    expect(icma('2026-01-01', '2026-07-02', '2026-01-01', '2027-01-01', 1)).toEqual(f(182n, 365n));
    // Monthly, February of a leap year: 2024-02-01 → 2024-02-15 = 14 days in a 29-day period: 14 / (12 · 29).
    expect(icma('2024-02-01', '2024-02-15', '2024-02-01', '2024-03-01', 12)).toEqual(f(14n, 348n));
    // A whole period is exactly 1/frequency.
    expect(icma('2026-03-31', '2026-06-30', '2026-03-31', '2026-06-30', 4)).toEqual(f(1n, 4n));
  });
});

/**
 * QuantLib test-suite/daycounters.cpp `testAct366` publishes Act/366 year fractions for these date
 * pairs; `testActualConsistency` fixes Act/365F = Act/366 · 366/365 and Act/360 = Act/366 · 366/360.
 * The day counts below are those fractions × 366.
 */
describe('ACT/365F and ACT/360 (QuantLib testAct366 dates)', () => {
  const dates = [
    '2002-02-01',
    '2002-02-04',
    '2003-05-16',
    '2003-12-17',
    '2004-12-17',
    '2005-12-19',
    '2006-01-02',
    '2006-03-13',
    '2006-05-15',
    '2006-03-17',
    '2006-05-15',
    '2006-07-26',
    '2007-06-28',
    '2009-09-16',
    '2016-07-26',
  ];
  const act366 = [
    0.00819672131147541, 1.27322404371585, 0.587431693989071, 1.0, 1.00273224043716, 0.0382513661202186,
    0.191256830601093, 0.172131147540984, -0.16120218579235, 0.16120218579235, 0.19672131147541, 0.920765027322404,
    2.21584699453552, 6.84426229508197,
  ];

  it('reproduces every published vector with start ≤ end', () => {
    let checked = 0;
    for (let i = 1; i < dates.length; i++) {
      const start = dates[i - 1]!;
      const end = dates[i]!;
      const expected = act366[i - 1]!;
      const days = Math.round(expected * 366);
      expect(Math.abs(expected * 366 - days)).toBeLessThan(1e-9);
      expect(daysBetween(d(start), d(end))).toBe(days);
      if (days < 0) {
        // 2006-05-15 → 2006-03-17 runs backwards: refused here (accrual never runs backwards).
        expect(() => dcf('ACT/360', start, end)).toThrow(DayCountError);
        continue;
      }
      expect(dcf('ACT/365F', start, end)).toEqual(f(BigInt(days), 365n));
      expect(dcf('ACT/360', start, end)).toEqual(f(BigInt(days), 360n));
      expect(Math.abs(toNumber(dcf('ACT/365F', start, end)) - (expected * 366) / 365)).toBeLessThan(1e-12);
      expect(Math.abs(toNumber(dcf('ACT/360', start, end)) - (expected * 366) / 360)).toBeLessThan(1e-12);
      checked++;
    }
    expect(checked).toBe(13);
  });

  it('ignores leap years, unlike ACT/ACT-ISDA', () => {
    expect(dcf('ACT/365F', '2024-01-01', '2025-01-01')).toEqual(f(366n, 365n));
    expect(dcf('ACT/360', '2024-01-01', '2025-01-01')).toEqual(f(366n, 360n));
    expect(dcf('ACT/ACT-ISDA', '2024-01-01', '2025-01-01')).toEqual(f(1n, 1n));
    expect(dcf('ACT/ACT-ISDA', '2023-07-01', '2024-07-01')).toEqual(f(184n * 366n + 182n * 365n, 365n * 366n));
  });
});

type ThirtyCase = [start: string, end: string, days: number];

function expectDays(convention: Thirty360Convention, cases: ThirtyCase[], termination: string | null = null) {
  for (const [start, end, days] of cases) {
    const term = termination === null ? null : d(termination);
    expect(thirty360Days(convention, d(start), d(end), term), `${convention} ${start} → ${end}`).toBe(days);
    expect(dayCountFraction(convention, d(start), d(end), { terminationDate: term })).toEqual(f(BigInt(days), 360n));
  }
}

// ISDA, "30/360 Day Count Conventions" (2008-12-22, https://www.isda.org/2008/12/22/30-360-day-count-conventions/),
// examples 1–3, as encoded in QuantLib test-suite/daycounters.cpp (testThirty360_BondBasis,
// testThirty360_EurobondBasis, testThirty360_ISDA).
const example1: ThirtyCase[] = [
  ['2006-08-20', '2007-02-20', 180],
  ['2007-02-20', '2007-08-20', 180],
  ['2007-08-20', '2008-02-20', 180],
  ['2008-02-20', '2008-08-20', 180],
  ['2008-08-20', '2009-02-20', 180],
  ['2009-02-20', '2009-08-20', 180],
];

describe('30/360 Bond Basis, ISDA 4.16(f) (QuantLib testThirty360_BondBasis)', () => {
  it('example 1: no end of February involved', () => expectDays('30/360', example1));

  it('example 2: end-February dates (no February rule)', () =>
    expectDays('30/360', [
      ['2006-08-31', '2007-02-28', 178],
      ['2007-02-28', '2007-08-31', 183],
      ['2007-08-31', '2008-02-29', 179],
      ['2008-02-29', '2008-08-31', 182],
      ['2008-08-31', '2009-02-28', 178],
      ['2009-02-28', '2009-08-31', 183],
    ]));

  it('example 3: miscellaneous', () =>
    expectDays('30/360', [
      ['2006-01-31', '2006-02-28', 28],
      ['2006-01-30', '2006-02-28', 28],
      ['2006-02-28', '2006-03-03', 5],
      ['2006-02-14', '2006-02-28', 14],
      ['2006-09-30', '2006-10-31', 30],
      ['2006-10-31', '2006-11-28', 28],
      ['2007-08-31', '2008-02-28', 178],
      ['2008-02-28', '2008-08-28', 180],
      ['2008-02-28', '2008-08-30', 182],
      ['2008-02-28', '2008-08-31', 183],
      ['2007-02-26', '2008-02-28', 362],
      ['2007-02-26', '2008-02-29', 363],
      ['2008-02-29', '2009-02-28', 359],
      ['2008-02-28', '2008-03-30', 32],
      ['2008-02-28', '2008-03-31', 33],
    ]));

  it('edge cases: the 31st, and the last day of February in leap and non-leap years', () =>
    expectDays('30/360', [
      ['2026-01-31', '2026-03-31', 60], // D1 31 → 30, then D2 31 → 30 as D1 is 30
      ['2026-01-30', '2026-03-31', 60], // D1 30 → D2 31 → 30
      ['2026-01-29', '2026-03-31', 62], // D1 29: D2 stays 31
      ['2026-01-31', '2026-02-01', 1],
      ['2026-02-28', '2026-03-31', 33], // the February rule (D1 → 30) is NOT applied: 30 + 31 − 28
      ['2024-02-29', '2024-03-31', 32], // leap year: 30 + 31 − 29
      ['2026-01-31', '2026-02-28', 28], // D2 end of February is not moved to 30
      ['2024-01-31', '2024-02-29', 29],
      ['2026-02-28', '2026-02-28', 0],
    ]));
});

describe('30E/360 Eurobond Basis, ISDA 4.16(g) (QuantLib testThirty360_EurobondBasis)', () => {
  it('example 1', () => expectDays('30E/360', example1));

  it('example 2: end-February dates', () =>
    expectDays('30E/360', [
      ['2006-02-28', '2006-08-31', 182],
      ['2006-08-31', '2007-02-28', 178],
      ['2007-02-28', '2007-08-31', 182],
      ['2007-08-31', '2008-02-29', 179],
      ['2008-02-29', '2008-08-31', 181],
      ['2008-08-31', '2009-02-28', 178],
      ['2009-02-28', '2009-08-31', 182],
      ['2009-08-31', '2010-02-28', 178],
      ['2010-02-28', '2010-08-31', 182],
      ['2010-08-31', '2011-02-28', 178],
      ['2011-02-28', '2011-08-31', 182],
      ['2011-08-31', '2012-02-29', 179],
    ]));

  it('example 3: miscellaneous', () =>
    expectDays('30E/360', [
      ['2006-01-31', '2006-02-28', 28],
      ['2006-01-30', '2006-02-28', 28],
      ['2006-02-28', '2006-03-03', 5],
      ['2006-02-14', '2006-02-28', 14],
      ['2006-09-30', '2006-10-31', 30],
      ['2006-10-31', '2006-11-28', 28],
      ['2007-08-31', '2008-02-28', 178],
      ['2008-02-28', '2008-08-28', 180],
      ['2008-02-28', '2008-08-30', 182],
      ['2008-02-28', '2008-08-31', 182],
      ['2007-02-26', '2008-02-28', 362],
      ['2007-02-26', '2008-02-29', 363],
      ['2008-02-29', '2009-02-28', 359],
      ['2008-02-28', '2008-03-30', 32],
      ['2008-02-28', '2008-03-31', 32],
    ]));

  it('edge cases: the 31st on either side whatever the other day is', () =>
    expectDays('30E/360', [
      ['2026-01-29', '2026-03-31', 61], // differs from 30/360 (62): D2 31 → 30 always
      ['2026-01-31', '2026-03-31', 60],
      ['2026-03-31', '2026-04-30', 30],
      ['2024-02-29', '2024-03-31', 31],
    ]));
});

describe('30E/360-ISDA, ISDA 4.16(h) (QuantLib testThirty360_ISDA)', () => {
  it('example 1 (termination 2009-08-20)', () => expectDays('30E/360-ISDA', example1, '2009-08-20'));

  it('example 2: end-February dates (termination 2012-02-29)', () =>
    expectDays(
      '30E/360-ISDA',
      [
        ['2006-02-28', '2006-08-31', 180],
        ['2006-08-31', '2007-02-28', 180],
        ['2007-02-28', '2007-08-31', 180],
        ['2007-08-31', '2008-02-29', 180],
        ['2008-02-29', '2008-08-31', 180],
        ['2008-08-31', '2009-02-28', 180],
        ['2009-02-28', '2009-08-31', 180],
        ['2009-08-31', '2010-02-28', 180],
        ['2010-02-28', '2010-08-31', 180],
        ['2010-08-31', '2011-02-28', 180],
        ['2011-02-28', '2011-08-31', 180],
        ['2011-08-31', '2012-02-29', 179], // ends on the termination date in February: D2 stays 29
      ],
      '2012-02-29',
    ));

  it('example 3: miscellaneous (termination 2008-02-29)', () =>
    expectDays(
      '30E/360-ISDA',
      [
        ['2006-01-31', '2006-02-28', 30],
        ['2006-01-30', '2006-02-28', 30],
        ['2006-02-28', '2006-03-03', 3],
        ['2006-02-14', '2006-02-28', 16],
        ['2006-09-30', '2006-10-31', 30],
        ['2006-10-31', '2006-11-28', 28],
        ['2007-08-31', '2008-02-28', 178],
        ['2008-02-28', '2008-08-28', 180],
        ['2008-02-28', '2008-08-30', 182],
        ['2008-02-28', '2008-08-31', 182],
        ['2007-02-28', '2008-02-28', 358],
        ['2007-02-28', '2008-02-29', 359],
        ['2008-02-29', '2009-02-28', 360],
        ['2008-02-29', '2008-03-30', 30],
        ['2008-02-29', '2008-03-31', 30],
      ],
      '2008-02-29',
    ));

  it('the termination date only keeps the end of February as it is', () => {
    // Same period, with and without it being the termination date.
    expectDays('30E/360-ISDA', [['2025-08-31', '2026-02-28', 180]], '2030-02-28');
    expectDays('30E/360-ISDA', [['2025-08-31', '2026-02-28', 178]], '2026-02-28');
    expectDays('30E/360-ISDA', [['2023-08-31', '2024-02-29', 179]], '2024-02-29');
    expectDays('30E/360-ISDA', [['2023-08-31', '2024-02-29', 180]], null);
    // A termination date at another month end changes nothing: D2 → 30 as usual.
    expectDays('30E/360-ISDA', [['2026-01-15', '2026-04-30', 105]], '2026-04-30');
    // 28 Feb of a leap year is not the last day of February: never moved.
    expectDays('30E/360-ISDA', [['2024-01-31', '2024-02-28', 28]], null);
    // D1 at any month end becomes 30, February included.
    expectDays('30E/360-ISDA', [['2026-02-28', '2026-03-15', 15]], '2030-01-01');
    expectDays('30E/360-ISDA', [['2026-04-30', '2026-05-31', 30]], '2030-01-01');
  });

  it('requires the termination date to be stated (null where there is none)', () => {
    expect(() => dcf('30E/360-ISDA', '2026-01-01', '2026-02-01')).toThrow(/termination/);
    expect(dcf('30E/360-ISDA', '2026-01-01', '2026-02-01', { terminationDate: null })).toEqual(f(1n, 12n));
  });
});

describe('every convention', () => {
  it('refuses a period that ends before it starts', () => {
    for (const convention of DAY_COUNT_CONVENTIONS) {
      expect(() => dcf(convention, '2026-02-02', '2026-02-01')).toThrow(/before/);
    }
  });
});

// ---- properties ----

const MIN = toEpochDay(makeDate(1900, 1, 1));
const MAX = toEpochDay(makeDate(2100, 12, 31));
const epochDay = fc.integer({ min: MIN, max: MAX });
const sortedDays = (n: number) =>
  fc.array(epochDay, { minLength: n, maxLength: n }).map((xs) => xs.sort((a, b) => a - b));
const ACTUAL: DayCountConvention[] = ['ACT/360', 'ACT/365F', 'ACT/ACT-ISDA'];

describe('properties', () => {
  it('ACT/360, ACT/365F and ACT/ACT-ISDA are exactly additive over split periods', () => {
    fc.assert(
      fc.property(sortedDays(3), fc.constantFrom(...ACTUAL), ([a, b, c], convention) => {
        const [x, y, z] = [fromEpochDay(a!), fromEpochDay(b!), fromEpochDay(c!)];
        const whole = dayCountFraction(convention, x, z);
        expect(addFractions(dayCountFraction(convention, x, y), dayCountFraction(convention, y, z))).toEqual(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('ACT/ACT-ICMA is additive within a reference period', () => {
    fc.assert(
      fc.property(sortedDays(5), fc.constantFrom(1, 2, 4, 12), ([r0, a, b, c, r1], frequency) => {
        fc.pre(r0! < r1!);
        const ref = { referencePeriod: { start: fromEpochDay(r0!), end: fromEpochDay(r1!) }, frequency };
        const [x, y, z] = [fromEpochDay(a!), fromEpochDay(b!), fromEpochDay(c!)];
        const sum = addFractions(
          dayCountFraction('ACT/ACT-ICMA', x, y, ref),
          dayCountFraction('ACT/ACT-ICMA', y, z, ref),
        );
        expect(sum).toEqual(dayCountFraction('ACT/ACT-ICMA', x, z, ref));
      }),
    );
  });

  it('ACT/ACT-ISDA over a whole calendar year is 1, and a day is 1/365 or 1/366', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2099 }), epochDay, (year, day) => {
        expect(dayCountFraction('ACT/ACT-ISDA', makeDate(year, 1, 1), makeDate(year + 1, 1, 1))).toEqual(f(1n, 1n));
        const date = fromEpochDay(day);
        const next = fromEpochDay(day + 1);
        const leap = (date.year % 4 === 0 && date.year % 100 !== 0) || date.year % 400 === 0;
        expect(dayCountFraction('ACT/ACT-ISDA', date, next)).toEqual(f(1n, leap ? 366n : 365n));
      }),
    );
  });

  it('DCF(a, a) = 0 under every convention (also on a February termination date)', () => {
    fc.assert(
      fc.property(epochDay, fc.constantFrom(...DAY_COUNT_CONVENTIONS), (day, convention) => {
        const a = fromEpochDay(day);
        const options: DayCountOptions = {
          referencePeriod: { start: a, end: fromEpochDay(day + 30) },
          frequency: 12,
          terminationDate: a,
        };
        expect(dayCountFraction(convention, a, a, options)).toEqual(f(0n, 1n));
      }),
    );
  });

  it('is monotone in the end date: strictly for actual-day conventions, non-decreasing for 30/360', () => {
    const thirty: Thirty360Convention[] = ['30/360', '30E/360', '30E/360-ISDA'];
    fc.assert(
      fc.property(
        sortedDays(3),
        fc.constantFrom<DayCountConvention>(...ACTUAL, ...thirty),
        epochDay,
        ([a, b, c], convention, t) => {
          fc.pre(b! < c!);
          const options: DayCountOptions = { terminationDate: fromEpochDay(t) };
          const [x, y, z] = [fromEpochDay(a!), fromEpochDay(b!), fromEpochDay(c!)];
          const order = compareFractions(
            dayCountFraction(convention, x, y, options),
            dayCountFraction(convention, x, z, options),
          );
          if ((ACTUAL as string[]).includes(convention)) expect(order).toBe(-1);
          else expect(order).toBeLessThanOrEqual(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('30/360 family: never negative, and whole months from a day ≤ 27 are months/12', () => {
    fc.assert(
      fc.property(
        epochDay,
        fc.integer({ min: 0, max: 400 }),
        fc.constantFrom<Thirty360Convention>('30/360', '30E/360', '30E/360-ISDA'),
        epochDay,
        (a, span, convention, t) => {
          const start = fromEpochDay(a);
          const end = fromEpochDay(a + span);
          expect(thirty360Days(convention, start, end, fromEpochDay(t))).toBeGreaterThanOrEqual(0);
          if (start.day <= 27 && start.year < 2099) {
            const months = span % 24;
            const index = start.year * 12 + start.month - 1 + months;
            const moved = makeDate(Math.floor(index / 12), (index % 12) + 1, start.day);
            expect(dayCountFraction(convention, start, moved, { terminationDate: null })).toEqual(
              f(BigInt(months), 12n),
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('ACT/360 and ACT/365F are the actual days over 360 and 365', () => {
    fc.assert(
      fc.property(sortedDays(2), ([a, b]) => {
        const x = fromEpochDay(a!);
        const y = fromEpochDay(b!);
        const days = BigInt(b! - a!);
        expect(dayCountFraction('ACT/360', x, y)).toEqual(f(days, 360n));
        expect(dayCountFraction('ACT/365F', x, y)).toEqual(f(days, 365n));
      }),
    );
  });
});
