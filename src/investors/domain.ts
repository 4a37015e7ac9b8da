import type { Selectable } from 'kysely';
import type { Static } from 'typebox';
import type { BenefitingPersonsTable, IdentificationsTable, InvestorsTable, WalletsTable } from '../db/schema.ts';
import type { FieldErrorCollector } from '../http/errors.ts';
import type { Communication, TaxInformation } from '../http/schemas.ts';
import type { BankAccountBlock, LegalPersonBlock, NaturalPersonBlock } from '../parties/domain.ts';

/** Pure rules and views of the investors context: no I/O here. */

export type InvestorRow = Selectable<InvestorsTable>;
export type IdentificationRow = Selectable<IdentificationsTable>;
export type BenefitingPersonRow = Selectable<BenefitingPersonsTable>;
export type WalletRow = Selectable<WalletsTable>;

export type CommunicationBlock = Static<typeof Communication>;
export type TaxInformationBlock = Static<typeof TaxInformation>;

export const KYC_STATUSES = ['PENDING', 'SUCCESS'] as const;
export type KycStatus = (typeof KYC_STATUSES)[number];
export const DOCUMENT_TYPES = ['IDCARD', 'PASSPORT'] as const;
export const WALLET_TYPES = ['eth-generic', 'eth-managed'] as const;
export type WalletType = (typeof WALLET_TYPES)[number];

export type PersonKind = 'natural' | 'legal';

/**
 * How far a partner's clock may run ahead of ours: a `verified_at` up to this much in the future is
 * taken as "now" (both when it is accepted and when KYC is evaluated), anything later is refused.
 */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Today's date (UTC), `YYYY-MM-DD`: the day documents are checked against. */
export function utcDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function isInFuture(timestamp: string, now: Date): boolean {
  return Date.parse(timestamp) > now.getTime() + CLOCK_SKEW_MS;
}

export function personKindOf(row: Pick<InvestorRow, 'natural_person' | 'legal_person'>): PersonKind {
  return row.natural_person !== null ? 'natural' : 'legal';
}

/** The person blocks of an investor create: exactly one of `natural_person` and `legal_person`. */
export function checkPersonChoice(
  input: { natural_person?: unknown; legal_person?: unknown },
  fields: FieldErrorCollector,
): void {
  const natural = input.natural_person !== undefined && input.natural_person !== null;
  const legal = input.legal_person !== undefined && input.legal_person !== null;
  if (!natural && !legal) {
    fields.add('natural_person', 'an investor needs exactly one of natural_person or legal_person');
  } else if (natural && legal) {
    fields.add('legal_person', 'must not be given together with natural_person: an investor is one or the other');
  }
}

/**
 * The person blocks of an investor update: the given block replaces the current one, but the kind
 * of person is fixed (a natural person cannot become a legal person, nor the other way round) and
 * the person block cannot be removed.
 */
export function checkPersonChange(
  kind: PersonKind,
  patch: { natural_person?: unknown; legal_person?: unknown },
  fields: FieldErrorCollector,
): void {
  const own = kind === 'natural' ? 'natural_person' : 'legal_person';
  const other = kind === 'natural' ? 'legal_person' : 'natural_person';
  if (patch[own] === null) fields.add(own, `cannot be removed: the investor is a ${kind} person`);
  if (patch[other] !== undefined && patch[other] !== null) {
    fields.add(other, `a ${kind} person cannot become a ${kind === 'natural' ? 'legal' : 'natural'} person`);
  }
}

export interface IdentificationDates {
  document_valid_from?: string | null;
  document_valid_to: string;
  verified_at: string;
}

/** An identification as received: its document period is ordered and it was not verified in the future. */
export function checkIdentification(input: IdentificationDates, now: Date, fields: FieldErrorCollector): void {
  if (input.document_valid_from && input.document_valid_from > input.document_valid_to) {
    fields.add('document_valid_to', 'must not be before document_valid_from');
  }
  if (isInFuture(input.verified_at, now)) fields.add('verified_at', 'must not be in the future');
}

/**
 * Whether an identification counts for KYC today: it was verified (a verification time that is not
 * in the future) with a document valid today — valid from `document_valid_from` (open when absent)
 * up to and including `document_valid_to`, compared with today's UTC date.
 */
export function identificationCounts(
  identification: Pick<IdentificationRow, 'document_valid_from' | 'document_valid_to' | 'verified_at'>,
  now: Date,
): boolean {
  const today = utcDate(now);
  const { document_valid_from: from, document_valid_to: to, verified_at: verified } = identification;
  if (!verified || Number.isNaN(Date.parse(verified)) || isInFuture(verified, now)) return false;
  if (from !== null && from > today) return false;
  return to >= today;
}

export interface KycFacts {
  kind: PersonKind;
  identifications: ReadonlyArray<Pick<IdentificationRow, 'document_valid_from' | 'document_valid_to' | 'verified_at'>>;
  benefitingPersons: number;
}

/**
 * The KYC rule (spec §6). A natural person is `SUCCESS` with at least one identification that
 * counts today (see `identificationCounts`). A legal person needs at least one benefiting person
 * and such an identification (of its representative). Everything else is `PENDING`.
 */
export function kycStatusOf(facts: KycFacts, now: Date): KycStatus {
  const identified = facts.identifications.some((i) => identificationCounts(i, now));
  if (!identified) return 'PENDING';
  if (facts.kind === 'legal' && facts.benefitingPersons < 1) return 'PENDING';
  return 'SUCCESS';
}

export function investorView(row: InvestorRow) {
  return {
    id: row.id,
    natural_person: row.natural_person as NaturalPersonBlock | null,
    legal_person: row.legal_person as LegalPersonBlock | null,
    communication: row.communication as CommunicationBlock | null,
    bank_account: row.bank_account as BankAccountBlock | null,
    tax_information: row.tax_information as TaxInformationBlock | null,
    is_beneficiary: row.is_beneficiary,
    kyc_status: row.kyc_status,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function identificationView(row: IdentificationRow) {
  return {
    id: row.id,
    investor_id: row.investor_id,
    document_type: row.document_type,
    document_id: row.document_id,
    document_issuer: row.document_issuer,
    document_valid_from: row.document_valid_from,
    document_valid_to: row.document_valid_to,
    identity_provider: row.identity_provider,
    legitimation_process_id: row.legitimation_process_id,
    legitimation_protocol_id: row.legitimation_protocol_id,
    verified_at: row.verified_at,
    created_at: row.created_at,
  };
}

/**
 * A benefiting person is sent as a bare natural-person block and read back as that same block,
 * flat, with its `id`, `investor_id` and `created_at` beside the person's fields: what a client
 * POSTs is what it GETs, plus the three read-only keys (none of which a person block has).
 */
export function benefitingPersonView(row: BenefitingPersonRow) {
  const person = row.natural_person as NaturalPersonBlock;
  return {
    id: row.id,
    investor_id: row.investor_id,
    ...person,
    created_at: row.created_at,
  };
}

/** A wallet as the API shows it: never its key, encrypted or not. */
export function walletView(row: WalletRow) {
  return {
    id: row.id,
    type: row.type,
    address: row.address,
    receiving_enabled: row.receiving_enabled,
    created_at: row.created_at,
  };
}
