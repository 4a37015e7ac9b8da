import { describe, expect, it } from 'vitest';
import { FieldErrorCollector } from '../http/errors.ts';
import { allocationInForce, allocationLeft, checkProductTerms } from './domain.ts';

const eur = (amount: string) => ({ amount, decimals: 2, currency: 'EUR' });

function termsErrors(terms: Parameters<typeof checkProductTerms>[0]) {
  const fields = new FieldErrorCollector();
  checkProductTerms(terms, fields);
  return fields.errors;
}

describe('product terms', () => {
  it('needs a nominal value or an issuance price', () => {
    expect(termsErrors({})).toHaveProperty('issuance_price');
    expect(termsErrors({ nominal_value: eur('10000') })).toEqual({});
    expect(termsErrors({ issuance_price: eur('10000') })).toEqual({});
  });

  it('keeps one currency', () => {
    expect(
      termsErrors({ nominal_value: eur('100'), issuance_price: { ...eur('100'), currency: 'USD' } }),
    ).toHaveProperty('issuance_price.currency');
  });

  it('refuses zero, negative and sub-cent prices', () => {
    expect(termsErrors({ issuance_price: eur('0') })).toHaveProperty(['issuance_price.amount']);
    expect(termsErrors({ issuance_price: eur('-1') })).toHaveProperty(['issuance_price.amount']);
    expect(termsErrors({ issuance_price: { amount: '1001', decimals: 3, currency: 'EUR' } })).toHaveProperty(
      'issuance_price',
    );
  });

  it('wants the interest fields together', () => {
    const errors = termsErrors({ issuance_price: eur('100'), interest_rate: '5' });
    expect(Object.keys(errors).sort()).toEqual(['day_count_convention', 'interest_frequency', 'interest_start_date']);
    expect(
      termsErrors({
        issuance_price: eur('100'),
        interest_rate: '5',
        day_count_convention: 'ACT/360',
        interest_start_date: '2026-01-01',
        interest_frequency: 'ANNUAL',
      }),
    ).toEqual({});
  });

  it('needs a maturity date for 30E/360-ISDA and after the interest start', () => {
    const base = {
      issuance_price: eur('100'),
      interest_rate: '5',
      interest_start_date: '2026-01-01',
      interest_frequency: 'ANNUAL',
    };
    expect(termsErrors({ ...base, day_count_convention: '30E/360-ISDA' })).toHaveProperty('maturity_date');
    expect(termsErrors({ ...base, day_count_convention: 'ACT/360', maturity_date: '2025-12-31' })).toHaveProperty(
      'maturity_date',
    );
  });
});

describe('allocation', () => {
  it('counts an active campaign whole and an inactive one by what it holds', () => {
    expect(allocationInForce({ is_campaign_active: true, allocation: 100n, units_reserved: 10n })).toBe(100n);
    expect(allocationInForce({ is_campaign_active: false, allocation: 100n, units_reserved: 10n })).toBe(10n);
  });
  it('never leaves a negative remainder', () => {
    expect(allocationLeft(100n, [40n, 50n])).toBe(10n);
    expect(allocationLeft(100n, [60n, 50n])).toBe(0n);
    expect(allocationLeft(100n, [])).toBe(100n);
  });
});
