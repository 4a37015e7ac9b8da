import { describe, expect, it } from 'vitest';
import { addressProblem } from './address.ts';
import { COUNTRIES_ALPHA3, isCountryAlpha3 } from './countries.ts';
import { ibanProblem } from './iban.ts';
import { isinProblem } from './isin.ts';

describe('IBAN', () => {
  it.each([
    'DE89370400440532013000',
    'DE89 3704 0044 0532 0130 00',
    'GB82WEST12345698765432',
    'FR1420041010050500013M02606',
    'AT611904300234573201',
    'NL91ABNA0417164300',
    'CH9300762011623852957',
  ])('accepts %s', (iban) => expect(ibanProblem(iban)).toBeNull());

  it.each([
    ['DE89370400440532013001', 'checksum'],
    ['DE8937040044053201300', 'characters'],
    ['XX89370400440532013000', 'does not use'],
    ['DE89-3704', 'must be an IBAN'],
    ['', 'must be an IBAN'],
  ])('refuses %s (%s)', (iban, reason) => expect(ibanProblem(iban)).toContain(reason));
});

describe('ISIN', () => {
  it.each(['US0378331005', 'DE000BAY0017', 'AU0000XVGZA3', 'GB0002634946', 'DE0007164600'])('accepts %s', (isin) =>
    expect(isinProblem(isin)).toBeNull(),
  );
  it.each(['US0378331006', 'DE000BAY0018', 'us0378331005', 'US037833100', 'US03783310055'])('refuses %s', (isin) =>
    expect(isinProblem(isin)).not.toBeNull(),
  );
});

describe('EIP-55 addresses', () => {
  const good = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
  it('accepts the checksummed form', () => expect(addressProblem(good)).toBeNull());
  it('accepts an all-digit address (nothing to checksum)', () =>
    expect(addressProblem('0x1234567890123456789012345678901234567890')).toBeNull());
  it('refuses a wrong checksum', () =>
    expect(addressProblem('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD')).toBe('has a wrong EIP-55 checksum'));
  it('refuses the lower-case form and names the checksummed one', () =>
    expect(addressProblem(good.toLowerCase())).toContain(good));
  it('refuses a wrong length', () => expect(addressProblem('0x1234')).toContain('40 hexadecimal'));
});

describe('countries', () => {
  it('has the 249 ISO 3166-1 codes', () => expect(COUNTRIES_ALPHA3.size).toBe(249));
  it('knows DEU and refuses DE and XXX', () => {
    expect(isCountryAlpha3('DEU')).toBe(true);
    expect(isCountryAlpha3('DE')).toBe(false);
    expect(isCountryAlpha3('XXX')).toBe(false);
  });
});
