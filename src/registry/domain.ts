/**
 * What a registry statement says (spec §9), as a pure function from facts to lines of text: the
 * security, the holder and the units, the register-keeping body, the ledger entry and the time of
 * the statement. Rendering (pdf.ts) and storage (service.ts) are elsewhere.
 */
import type { Config } from '../config.ts';
import type { RegistryStatementReason } from '../db/schema.ts';
import { Money } from '../money/money.ts';

export const STATEMENT_REASONS = [
  'ISSUANCE',
  'TRANSFER_OUT',
  'TRANSFER_IN',
  'REDEMPTION',
  'CANCELLATION',
  'ANNUAL',
] as const satisfies readonly RegistryStatementReason[];
export type StatementReason = (typeof STATEMENT_REASONS)[number];

export const STATEMENT_TITLE = 'Registerauszug / Registry statement';

/** The register-keeping body: the registrar running this deployment (REGISTRAR_NAME) and the deployment. */
export interface RegisterKeeper {
  name: string;
  environment: string;
}

export function registerKeeperOf(config: Pick<Config, 'registrarName' | 'environment'>): RegisterKeeper {
  return { name: config.registrarName, environment: config.environment };
}

export interface StatementFacts {
  statementId: string;
  investmentId: string;
  reason: StatementReason;
  /** The year of an ANNUAL statement. */
  year: number | null;
  /** The time of the statement, RFC 3339 UTC. */
  createdAt: string;
  /** The units the entry concerns; for ANNUAL the units held. */
  units: bigint;
  /** The units still held from the investment after the entry. */
  remainingAmount: bigint;
  security: {
    name: string;
    productType: string;
    isin: string | null;
    assetCode: string;
    issuer: string;
    currency: string;
    nominalValue: bigint | null;
    issuancePrice: bigint | null;
    /** The issue volume: the product's total allocation, in units. */
    maxIssuableAmount: bigint;
  };
  holder: {
    name: string;
    address: string | null;
    investorId: string;
    walletAddress: string | null;
  };
  ledger: {
    chainId: bigint | null;
    contractAddress: string | null;
    /** The transaction of the entry; none for ANNUAL. */
    transactionHash: string | null;
  };
  keeper: RegisterKeeper;
}

export type StatementRow = readonly [label: string, value: string];

export interface StatementSection {
  heading: string;
  rows: StatementRow[];
}

export interface StatementText {
  title: string;
  subtitle: string;
  sections: StatementSection[];
  footer: string[];
}

const NONE = '—';

const REASON_LABELS: Record<StatementReason, string> = {
  ISSUANCE: 'Eintragung bei Emission / Entry on issuance',
  TRANSFER_OUT: 'Übertragung, Abgang / Transfer out',
  TRANSFER_IN: 'Übertragung, Zugang / Transfer in',
  REDEMPTION: 'Rückzahlung / Redemption',
  CANCELLATION: 'Stornierung / Cancellation',
  ANNUAL: 'Jahresauszug / Annual statement',
};

const PRODUCT_TYPE_LABELS: Record<string, string> = {
  BOND: 'Anleihe / Bond',
  SUBORDINATED_LOAN: 'Nachrangdarlehen / Subordinated loan',
  PARTICIPATION_RIGHT: 'Genussrecht / Participation right',
  PARTICIPATION_PAPER: 'Genussschein / Participation certificate',
  DEBT_SECURITY: 'Schuldverschreibung / Debt security',
  CONVERTIBLE_BOND: 'Wandelanleihe / Convertible bond',
  DIGITAL_COMPANY_SHARE: 'Digitale Unternehmensbeteiligung / Digital company share',
  FUND_SHARE: 'Fondsanteil / Fund share',
  AIF: 'Alternativer Investmentfonds / AIF',
};

export function reasonLabel(reason: StatementReason, year: number | null): string {
  return reason === 'ANNUAL' && year !== null ? `${REASON_LABELS.ANNUAL} ${year}` : REASON_LABELS[reason];
}

/** `EUR 100.00`: the amount at the currency's minor unit, no grouping (unambiguous in both languages). */
export function formatMoney(minor: bigint, currency: string): string {
  const { amount, decimals } = Money.of(minor, currency).toJSON();
  const negative = amount.startsWith('-');
  const digits = (negative ? amount.slice(1) : amount).padStart(decimals + 1, '0');
  const whole = decimals === 0 ? digits : digits.slice(0, -decimals);
  const fraction = decimals === 0 ? '' : `.${digits.slice(-decimals)}`;
  return `${currency} ${negative ? '-' : ''}${whole}${fraction}`;
}

/** `2026-02-03 10:00:00 UTC` from an RFC 3339 UTC timestamp. */
export function formatTime(rfc3339: string): string {
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a timestamp: ${rfc3339}`);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function units(n: bigint): string {
  return `${n} ${n === 1n ? 'Stück / unit' : 'Stück / units'}`;
}

interface PersonJson {
  salutation?: string | null;
  forename?: string;
  surname?: string;
  company_name?: string;
  street?: string | null;
  zip?: string | null;
  city?: string | null;
  country?: string | null;
}

/** The name of a party stored as `natural_person` or `legal_person` (investors, issuers). */
export function partyName(natural: unknown, legal: unknown): string {
  const l = legal as PersonJson | null;
  if (l?.company_name) return l.company_name;
  const n = natural as PersonJson | null;
  const name = [n?.forename, n?.surname].filter(Boolean).join(' ');
  return name || NONE;
}

/** `Street 1, 10115 Berlin, DEU`, or null when the party has no address. */
export function partyAddress(natural: unknown, legal: unknown): string | null {
  const p = ((legal as PersonJson | null) ?? (natural as PersonJson | null)) as PersonJson | null;
  if (!p) return null;
  const place = [p.zip, p.city].filter(Boolean).join(' ');
  const parts = [p.street, place, p.country].filter((x): x is string => Boolean(x));
  return parts.length ? parts.join(', ') : null;
}

/** The year the yearly run is for when none is given: the year before `now` (UTC). */
export function previousYear(now: Date): number {
  return now.getUTCFullYear() - 1;
}

/**
 * The year a run of the `annual_statements` job is for: the payload's `year`, else the year before
 * the crontab tick that scheduled it (`_cron.ts`, so a backfilled run is for the right year), else
 * the year before now.
 */
export function annualRunYear(payload: unknown, now: Date): number {
  const p = (payload ?? {}) as { year?: unknown; _cron?: { ts?: unknown } };
  if (p.year !== undefined && p.year !== null) {
    if (typeof p.year !== 'number' || !Number.isInteger(p.year))
      throw new TypeError(`year must be an integer, got ${JSON.stringify(p.year)}`);
    return p.year;
  }
  const tick = typeof p._cron?.ts === 'string' ? new Date(p._cron.ts) : null;
  return previousYear(tick && !Number.isNaN(tick.getTime()) ? tick : now);
}

/** Annual statements are for completed years only: a year's statement issued early would block its real one. */
export function annualYearProblem(year: number, now: Date): string | null {
  if (!Number.isInteger(year) || year < 1970) return 'must be a year (YYYY)';
  if (year >= now.getUTCFullYear()) return `must be a completed year (before ${now.getUTCFullYear()})`;
  return null;
}

/** The first instant after `year` (UTC): an annual statement covers investments delivered before it. */
export function endOfYear(year: number): string {
  return new Date(Date.UTC(year + 1, 0, 1)).toISOString();
}

export function statementFileName(statementId: string): string {
  return `registry-statement-${statementId}.pdf`;
}

/** The text of a statement: title, sections of label/value rows, footer. */
export function statementText(f: StatementFacts): StatementText {
  const s = f.security;
  const issueVolume =
    s.nominalValue !== null
      ? `${units(s.maxIssuableAmount)} (${formatMoney(s.nominalValue * s.maxIssuableAmount, s.currency)})`
      : units(s.maxIssuableAmount);
  const change: StatementRow[] =
    f.reason === 'ANNUAL'
      ? []
      : [[f.reason === 'ISSUANCE' ? 'Eingetragen / Entered' : 'Betroffene Stück / Units concerned', units(f.units)]];
  return {
    title: STATEMENT_TITLE,
    subtitle: `Kryptowertpapierregister / Crypto securities register — ${f.keeper.name}`,
    sections: [
      {
        heading: 'Auszug / Statement',
        rows: [
          ['Anlass / Reason', reasonLabel(f.reason, f.year)],
          ['Zeitpunkt / Time of statement', formatTime(f.createdAt)],
          ['Auszug-Nr. / Statement ID', f.statementId],
          ['Investment-ID / Investment ID', f.investmentId],
        ],
      },
      {
        heading: 'Wertpapier / Security',
        rows: [
          ['Bezeichnung / Product', s.name],
          ['Art / Type', PRODUCT_TYPE_LABELS[s.productType] ?? s.productType],
          ['ISIN', s.isin ?? NONE],
          ['Emittent / Issuer', s.issuer],
          ['Nennbetrag / Nominal value', s.nominalValue !== null ? formatMoney(s.nominalValue, s.currency) : NONE],
          ...(s.nominalValue === null && s.issuancePrice !== null
            ? [['Ausgabepreis / Issuance price', formatMoney(s.issuancePrice, s.currency)] as const]
            : []),
          ['Emissionsvolumen / Issue volume', issueVolume],
          ['Token', s.assetCode],
        ],
      },
      {
        heading: 'Inhaber und Bestand / Holder and holding',
        rows: [
          ['Inhaber / Holder', f.holder.name],
          ...(f.holder.address ? [['Anschrift / Address', f.holder.address] as const] : []),
          ['Anleger-ID / Investor ID', f.holder.investorId],
          ...change,
          f.reason === 'ANNUAL'
            ? [`Bestand am 31.12.${f.year} / Units held on 31 December ${f.year}`, units(f.remainingAmount)]
            : ['Bestand / Units held', units(f.remainingAmount)],
        ],
      },
      {
        heading: 'Registerführende Stelle / Register-keeping body',
        rows: [
          ['Registerführer / Registrar', f.keeper.name],
          ['Umgebung / Deployment', f.keeper.environment],
        ],
      },
      {
        heading: 'Aufzeichnungssystem / Ledger',
        rows: [
          ['Chain-ID / Chain ID', f.ledger.chainId !== null ? String(f.ledger.chainId) : NONE],
          ['Vertrag / Contract', f.ledger.contractAddress ?? NONE],
          ['Wallet des Inhabers / Holder wallet', f.holder.walletAddress ?? NONE],
          ['Transaktion / Transaction', f.ledger.transactionHash ?? NONE],
        ],
      },
    ],
    footer: [
      `Maschinell erstellt von ${f.keeper.name} am ${formatTime(f.createdAt)}.`,
      `Generated by ${f.keeper.name} at ${formatTime(f.createdAt)}.`,
    ],
  };
}
