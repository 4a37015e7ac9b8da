import { describe, expect, it } from 'vitest';
import {
  annualRunYear,
  annualYearProblem,
  endOfYear,
  formatMoney,
  formatTime,
  partyAddress,
  partyName,
  type StatementFacts,
  statementText,
} from './domain.ts';
import { toWinAnsi } from './pdf.ts';

const CONTRACT = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const WALLET = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
const TX = `0x${'ab'.repeat(32)}`;

function facts(overrides: Partial<StatementFacts> = {}): StatementFacts {
  return {
    statementId: '0193f1d2-7c4e-7a10-8000-000000000001',
    investmentId: '0193f1d2-7c4e-7a10-8000-000000000002',
    reason: 'ISSUANCE',
    year: null,
    createdAt: '2026-02-03T10:00:00.123000Z',
    units: 7n,
    remainingAmount: 7n,
    security: {
      name: 'Green Bond 2031',
      productType: 'BOND',
      isin: 'DE000A1B2C34',
      assetCode: 'GB31',
      issuer: 'Alpha Issuer GmbH',
      currency: 'EUR',
      nominalValue: 10000n,
      issuancePrice: 10000n,
      maxIssuableAmount: 100000n,
    },
    holder: {
      name: 'Max Mustermann',
      address: 'Hauptstraße 1, 10115 Berlin, DEU',
      investorId: '0193f1d2-7c4e-7a10-8000-000000000003',
      walletAddress: WALLET,
    },
    ledger: { chainId: 31337n, contractAddress: CONTRACT, transactionHash: TX },
    keeper: { name: 'Kontor registry', environment: 'test' },
    ...overrides,
  };
}

/** label → value of every row of a statement's text. */
function rows(f: StatementFacts): Map<string, string> {
  return new Map(statementText(f).sections.flatMap((s) => s.rows.map(([label, value]) => [label, value] as const)));
}

describe('the text of a registry statement', () => {
  it('names the security, the holder, the units, the register-keeping body, the ledger and the time', () => {
    const text = statementText(facts());
    expect(text.title).toBe('Registerauszug / Registry statement');
    expect(text.subtitle).toContain('Kontor registry');
    const r = rows(facts());
    expect(r.get('Anlass / Reason')).toBe('Eintragung bei Emission / Entry on issuance');
    expect(r.get('Zeitpunkt / Time of statement')).toBe('2026-02-03 10:00:00 UTC');
    expect(r.get('Auszug-Nr. / Statement ID')).toBe('0193f1d2-7c4e-7a10-8000-000000000001');
    expect(r.get('Bezeichnung / Product')).toBe('Green Bond 2031');
    expect(r.get('Art / Type')).toBe('Anleihe / Bond');
    expect(r.get('ISIN')).toBe('DE000A1B2C34');
    expect(r.get('Emittent / Issuer')).toBe('Alpha Issuer GmbH');
    expect(r.get('Nennbetrag / Nominal value')).toBe('EUR 100.00');
    expect(r.get('Emissionsvolumen / Issue volume')).toBe('100000 Stück / units (EUR 10000000.00)');
    expect(r.get('Inhaber / Holder')).toBe('Max Mustermann');
    expect(r.get('Anschrift / Address')).toBe('Hauptstraße 1, 10115 Berlin, DEU');
    expect(r.get('Eingetragen / Entered')).toBe('7 Stück / units');
    expect(r.get('Bestand / Units held')).toBe('7 Stück / units');
    expect(r.get('Registerführer / Registrar')).toBe('Kontor registry');
    expect(r.get('Umgebung / Deployment')).toBe('test');
    expect(r.get('Chain-ID / Chain ID')).toBe('31337');
    expect(r.get('Vertrag / Contract')).toBe(CONTRACT);
    expect(r.get('Wallet des Inhabers / Holder wallet')).toBe(WALLET);
    expect(r.get('Transaktion / Transaction')).toBe(TX);
    expect(text.footer.join('\n')).toContain('2026-02-03 10:00:00 UTC');
  });

  it('states an annual statement with its year and the units held, without a transaction', () => {
    const r = rows(
      facts({
        reason: 'ANNUAL',
        year: 2026,
        units: 5n,
        remainingAmount: 5n,
        ledger: { chainId: 31337n, contractAddress: CONTRACT, transactionHash: null },
      }),
    );
    expect(r.get('Anlass / Reason')).toBe('Jahresauszug / Annual statement 2026');
    expect(r.has('Eingetragen / Entered')).toBe(false);
    expect(r.get('Bestand am 31.12.2026 / Units held on 31 December 2026')).toBe('5 Stück / units');
    expect(r.has('Bestand / Units held')).toBe(false);
    expect(r.get('Transaktion / Transaction')).toBe('—');
  });

  it('shows what is missing as a dash, the issuance price where there is no nominal value, one unit in the singular', () => {
    const r = rows(
      facts({
        units: 1n,
        remainingAmount: 1n,
        security: { ...facts().security, isin: null, nominalValue: null, issuancePrice: 12345n, currency: 'JPY' },
        holder: { ...facts().holder, address: null, walletAddress: null },
        ledger: { chainId: null, contractAddress: null, transactionHash: null },
      }),
    );
    expect(r.get('ISIN')).toBe('—');
    expect(r.get('Nennbetrag / Nominal value')).toBe('—');
    expect(r.get('Ausgabepreis / Issuance price')).toBe('JPY 12345');
    expect(r.get('Emissionsvolumen / Issue volume')).toBe('100000 Stück / units');
    expect(r.has('Anschrift / Address')).toBe(false);
    expect(r.get('Eingetragen / Entered')).toBe('1 Stück / unit');
    expect(r.get('Chain-ID / Chain ID')).toBe('—');
    expect(r.get('Vertrag / Contract')).toBe('—');
  });

  it('formats money at the minor unit and times in UTC', () => {
    expect(formatMoney(100n, 'EUR')).toBe('EUR 1.00');
    expect(formatMoney(5n, 'EUR')).toBe('EUR 0.05');
    expect(formatMoney(1234567n, 'KWD')).toBe('KWD 1234.567');
    expect(formatMoney(-250n, 'EUR')).toBe('EUR -2.50');
    expect(formatTime('2026-12-31T23:59:59.999999Z')).toBe('2026-12-31 23:59:59 UTC');
    expect(() => formatTime('yesterday')).toThrow(RangeError);
  });

  it('names parties and their address', () => {
    expect(partyName({ forename: 'Erika', surname: 'Mustermann' }, null)).toBe('Erika Mustermann');
    expect(partyName(null, { company_name: 'Beta AG' })).toBe('Beta AG');
    expect(partyName(null, null)).toBe('—');
    expect(partyAddress({ forename: 'E', surname: 'M', street: 'Weg 2', zip: '80331', city: 'München' }, null)).toBe(
      'Weg 2, 80331 München',
    );
    expect(partyAddress({ forename: 'E', surname: 'M' }, null)).toBeNull();
  });
});

describe('the yearly run', () => {
  it('is for the payload year, else the year before the crontab tick, else the year before now', () => {
    const now = new Date('2027-01-02T00:30:00Z');
    expect(annualRunYear({ year: 2024 }, now)).toBe(2024);
    expect(annualRunYear({ _cron: { ts: '2026-01-02T00:30:00.000Z', backfilled: true } }, now)).toBe(2025);
    expect(annualRunYear({}, now)).toBe(2026);
    expect(annualRunYear(null, now)).toBe(2026);
    expect(() => annualRunYear({ year: '2024' }, now)).toThrow(TypeError);
  });

  it('is for completed years only, and covers investments delivered before the year ended', () => {
    const now = new Date('2027-01-02T00:30:00Z');
    expect(annualYearProblem(2026, now)).toBeNull();
    expect(annualYearProblem(2027, now)).toMatch(/completed year/);
    expect(annualYearProblem(1969, now)).toMatch(/YYYY/);
    expect(annualYearProblem(2025.5, now)).toMatch(/YYYY/);
    expect(endOfYear(2026)).toBe('2027-01-01T00:00:00.000Z');
  });
});

describe('text for the built-in PDF fonts (WinAnsi)', () => {
  it('keeps Latin-1 and WinAnsi characters, strips other accents, and never writes garbage', () => {
    expect(toWinAnsi('Müller — Straße € „x“')).toBe('Müller — Straße € „x“');
    expect(toWinAnsi('Łukasz Żółć Ștefan Đorđe')).toBe('Lukasz Zólc Stefan Dorde');
    expect(toWinAnsi('张伟')).toBe('??');
    expect(toWinAnsi('a\tb\nc')).toBe('a b c');
  });
});
