import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divideHalfUp, Money, MoneyError, normalizeDecimal, parseDecimal } from './money.ts';

const eur = (minor: bigint) => Money.of(minor, 'EUR');

describe('Money', () => {
  it('reads any decimals and writes the minor unit', () => {
    expect(Money.fromJson({ amount: '100', decimals: 2, currency: 'EUR' }).toJSON()).toEqual({
      amount: '100',
      decimals: 2,
      currency: 'EUR',
    });
    expect(Money.fromJson({ amount: '1', decimals: 0, currency: 'EUR' }).minor).toBe(100n);
    expect(Money.fromJson({ amount: '12300', decimals: 4, currency: 'EUR' }).minor).toBe(123n);
    expect(Money.fromJson({ amount: '5', decimals: 0, currency: 'JPY' }).toJSON().decimals).toBe(0);
  });

  it('refuses precision finer than the minor unit instead of rounding', () => {
    expect(() => Money.fromJson({ amount: '1001', decimals: 3, currency: 'EUR' })).toThrow(MoneyError);
  });

  it('refuses unknown currencies and non-integer amounts', () => {
    expect(() => Money.fromJson({ amount: '1', decimals: 2, currency: 'XYZ' })).toThrow(/not supported/);
    expect(() => Money.fromJson({ amount: '1.5', decimals: 2, currency: 'EUR' })).toThrow(/integer/);
    expect(() => Money.fromJson({ amount: '1e3', decimals: 2, currency: 'EUR' })).toThrow(/integer/);
  });

  it('keeps amounts far beyond 2^53 exact', () => {
    const big = Money.fromJson({ amount: '123456789012345678901234567890', decimals: 2, currency: 'EUR' });
    expect(big.add(eur(1n)).toJSON().amount).toBe('123456789012345678901234567891');
  });

  it('refuses to mix currencies', () => {
    expect(() => eur(1n).add(Money.of(1n, 'USD'))).toThrow(/combine/);
  });

  it('rounds percentages half-up per line', () => {
    expect(eur(1000n).percent('2.5').minor).toBe(25n);
    expect(eur(1n).percent('50').minor).toBe(1n); // 0.5 cent → 1 cent
    expect(eur(1n).percent('49.99').minor).toBe(0n);
    expect(eur(333n).percent('3').minor).toBe(10n); // 9.99 → 10
    expect(eur(-1n).percent('50').minor).toBe(-1n);
  });
});

describe('divideHalfUp', () => {
  it('matches exact rational rounding for all small fractions', () => {
    fc.assert(
      fc.property(fc.bigInt(-10000n, 10000n), fc.bigInt(1n, 1000n), (n, d) => {
        const q = divideHalfUp(n, d);
        // |n/d - q| <= 1/2, and exactly 1/2 only rounds away from zero.
        const diff2 = (n - q * d) * 2n; // = 2d (n/d - q)
        const abs = diff2 < 0n ? -diff2 : diff2;
        expect(abs <= d).toBe(true);
        if (abs === d) expect(q === 0n ? true : q < 0n === n < 0n).toBe(true);
      }),
    );
  });
});

describe('decimals', () => {
  it('parses and normalises', () => {
    expect(parseDecimal('2.50')).toEqual({ numerator: 250n, denominator: 100n });
    expect(normalizeDecimal('2.50')).toBe('2.5');
    expect(normalizeDecimal('007')).toBe('7');
    expect(normalizeDecimal('0.050')).toBe('0.05');
    expect(normalizeDecimal('0')).toBe('0');
    expect(() => parseDecimal('-1')).toThrow();
    expect(() => parseDecimal('1e2')).toThrow();
  });
});
