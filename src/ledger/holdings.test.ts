import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InsufficientHoldings, takeFirstInFirstOut } from './holdings.ts';

const holding = (id: string, remaining: number) => ({ id, remaining_amount: BigInt(remaining) });

describe('first-in first-out', () => {
  it('empties the oldest holdings first and cuts the last one', () => {
    const slices = takeFirstInFirstOut([holding('a', 5), holding('b', 3), holding('c', 4)], 6n);
    expect(slices.map((s) => [s.holding.id, s.units])).toEqual([
      ['a', 5n],
      ['b', 1n],
    ]);
  });

  it('skips holdings with nothing left and takes exactly what is held', () => {
    const slices = takeFirstInFirstOut([holding('a', 0), holding('b', 2), holding('c', 1)], 3n);
    expect(slices.map((s) => [s.holding.id, s.units])).toEqual([
      ['b', 2n],
      ['c', 1n],
    ]);
  });

  it('refuses to take more than is held, or nothing', () => {
    expect(() => takeFirstInFirstOut([holding('a', 2)], 3n)).toThrow(InsufficientHoldings);
    expect(() => takeFirstInFirstOut([], 1n)).toThrow(InsufficientHoldings);
    expect(() => takeFirstInFirstOut([holding('a', 2)], 0n)).toThrow(RangeError);
  });

  it('takes exactly the units, from a prefix of the holdings, never more than each holds', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 20 }), fc.nat(), (amounts, pick) => {
        const holdings = amounts.map((a, i) => holding(String(i), a));
        const total = amounts.reduce((a, b) => a + b, 0);
        fc.pre(total > 0);
        const units = BigInt((pick % total) + 1);
        const slices = takeFirstInFirstOut(holdings, units);
        expect(slices.reduce((a, s) => a + s.units, 0n)).toBe(units);
        for (const s of slices) expect(s.units > 0n && s.units <= s.holding.remaining_amount).toBe(true);
        // Every holding before the last slice's is emptied (first-in first-out).
        const last = Number(slices.at(-1)!.holding.id);
        for (const s of slices.slice(0, -1)) expect(s.units).toBe(s.holding.remaining_amount);
        for (const s of slices) expect(Number(s.holding.id)).toBeLessThanOrEqual(last);
        const skipped = holdings.filter((h) => Number(h.id) < last && !slices.some((s) => s.holding === h));
        for (const h of skipped) expect(h.remaining_amount).toBe(0n);
      }),
    );
  });
});
