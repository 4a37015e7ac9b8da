import { sql } from 'kysely';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import { conflict, FieldErrorCollector, notFound } from '../http/errors.ts';
import { advanceInvestments } from '../investments/lifecycle.ts';
import { scheduleLedgerOperations } from '../ledger/schedule.ts';
import type { BankAccountBlock, LegalPersonBlock, NaturalPersonBlock } from '../parties/domain.ts';
import { checkPersonBlocks } from '../parties/service.ts';
import { normalizeIban } from '../validation/iban.ts';
import {
  benefitingPersonView,
  type CommunicationBlock,
  checkIdentification,
  checkPersonChange,
  checkPersonChoice,
  type IdentificationDates,
  identificationView,
  investorView,
  type KycStatus,
  kycStatusOf,
  personKindOf,
  type TaxInformationBlock,
  type WalletRow,
  type WalletType,
  walletView,
} from './domain.ts';
import { encryptPrivateKey } from './wallet-crypto.ts';

/** Use cases of the investors context; each runs inside the one transaction it is given. */

export interface InvestorInput {
  natural_person?: NaturalPersonBlock | null;
  legal_person?: LegalPersonBlock | null;
  communication?: CommunicationBlock | null;
  bank_account?: BankAccountBlock | null;
  tax_information?: TaxInformationBlock | null;
  is_beneficiary?: boolean | null;
}

export interface InvestorCreateInput extends InvestorInput {
  /** A self-custody address registered as the investor's `eth-generic` wallet, receiving enabled. */
  wallet_address?: string;
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

function withNormalizedIban(bank: BankAccountBlock | null | undefined) {
  if (!bank) return bank;
  return { ...bank, iban: normalizeIban(bank.iban) };
}

/** The investor of the caller's platform, locked for the rest of the transaction; 404 otherwise. */
async function lockInvestor(trx: Trx, platformId: string, id: string) {
  const row = await trx
    .selectFrom('investors')
    .selectAll()
    .where('id', '=', id)
    .where('distribution_platform_id', '=', platformId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound('investor');
  return row;
}

/** The investor of the caller's platform (another platform's investor is not found). */
export async function getInvestor(db: Db | Trx, platformId: string, id: string) {
  const row = await db
    .selectFrom('investors')
    .selectAll()
    .where('id', '=', id)
    .where('distribution_platform_id', '=', platformId)
    .executeTakeFirst();
  if (!row) throw notFound('investor');
  return row;
}

const PROOF_FIELDS = ['company_identity_proof_id', 'company_structure_proof_id'] as const;

/** A legal person's proof ids must name documents the platform uploaded (`POST /documents/`). */
async function checkProofDocuments(
  trx: Trx,
  platformId: string,
  legal: LegalPersonBlock | null | undefined,
  fields: FieldErrorCollector,
): Promise<void> {
  if (!legal) return;
  const wanted = PROOF_FIELDS.filter((f) => typeof legal[f] === 'string');
  if (wanted.length === 0) return;
  const found = await trx
    .selectFrom('documents')
    .select('id')
    .where(
      'id',
      'in',
      wanted.map((f) => legal[f]!),
    )
    .where('distribution_platform_id', '=', platformId)
    .execute();
  const ids = new Set(found.map((d) => d.id));
  for (const f of wanted) {
    if (!ids.has(legal[f]!)) fields.add(`legal_person.${f}`, 'no such document of your platform');
  }
}

export async function createInvestor(trx: Trx, platformId: string, input: InvestorCreateInput) {
  const fields = new FieldErrorCollector();
  checkPersonChoice(input, fields);
  checkPersonBlocks(input, fields);
  await checkProofDocuments(trx, platformId, input.legal_person, fields);
  fields.throwIfAny();
  const row = await trx
    .insertInto('investors')
    .values({
      id: uuidv7(),
      distribution_platform_id: platformId,
      natural_person: json(input.natural_person),
      legal_person: json(input.legal_person),
      communication: json(input.communication),
      bank_account: json(withNormalizedIban(input.bank_account)),
      tax_information: json(input.tax_information),
      is_beneficiary: input.is_beneficiary ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (input.wallet_address !== undefined) {
    // Same transaction: a taken address refuses the whole create (409), nothing is stored.
    await insertWallet(trx, row.id, {
      type: 'eth-generic',
      address: input.wallet_address,
      receiving_enabled: true,
      encrypted_private_key: null,
    });
  }
  return investorView(row);
}

/** Replaces the blocks given (null clears an optional block); the kind of person is fixed. */
export async function updateInvestor(trx: Trx, platformId: string, id: string, patch: InvestorInput) {
  const current = await lockInvestor(trx, platformId, id);
  const fields = new FieldErrorCollector();
  checkPersonChange(personKindOf(current), patch, fields);
  checkPersonBlocks(patch, fields);
  if (fields.empty) await checkProofDocuments(trx, platformId, patch.legal_person, fields);
  fields.throwIfAny();
  const changes = {
    ...(patch.natural_person ? { natural_person: json(patch.natural_person) } : {}),
    ...(patch.legal_person ? { legal_person: json(patch.legal_person) } : {}),
    ...(patch.communication !== undefined ? { communication: json(patch.communication) } : {}),
    ...(patch.bank_account !== undefined ? { bank_account: json(withNormalizedIban(patch.bank_account)) } : {}),
    ...(patch.tax_information !== undefined ? { tax_information: json(patch.tax_information) } : {}),
    ...(patch.is_beneficiary !== undefined ? { is_beneficiary: patch.is_beneficiary } : {}),
  };
  if (Object.keys(changes).length === 0) return investorView(current);
  const row = await trx
    .updateTable('investors')
    .set({ ...changes, updated_at: sql<string>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return investorView(row);
}

export interface KycRefresh {
  investorId: string;
  previous: KycStatus;
  current: KycStatus;
  changed: boolean;
}

/**
 * Recomputes an investor's `kyc_status` from its identifications and benefiting persons (the pure
 * rule `kycStatusOf`) and stores it, with `updated_at`, when it changed. Runs inside the caller's
 * transaction and locks the investor row, so that concurrent identification and benefiting-person
 * creates are evaluated one after the other and none is missed.
 * When KYC completes, the investor's `KYC_PENDING` investments move on here, in the same
 * transaction, with their events.
 */
export async function refreshKycStatus(trx: Trx, investorId: string, now = new Date()): Promise<KycRefresh> {
  const investor = await trx
    .selectFrom('investors')
    .select(['id', 'natural_person', 'legal_person', 'kyc_status'])
    .where('id', '=', investorId)
    .forUpdate()
    .executeTakeFirst();
  if (!investor) throw notFound('investor');
  const [identifications, benefiting] = await Promise.all([
    trx
      .selectFrom('identifications')
      .select(['document_valid_from', 'document_valid_to', 'verified_at'])
      .where('investor_id', '=', investorId)
      .execute(),
    trx
      .selectFrom('benefiting_persons')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('investor_id', '=', investorId)
      .executeTakeFirstOrThrow(),
  ]);
  const previous = investor.kyc_status;
  const current = kycStatusOf(
    { kind: personKindOf(investor), identifications, benefitingPersons: Number(benefiting.count) },
    now,
  );
  if (current !== previous) {
    await trx
      .updateTable('investors')
      .set({ kyc_status: current, updated_at: sql<string>`now()` })
      .where('id', '=', investorId)
      .execute();
  }
  // KYC completed: the investor's signed investments move on by themselves, in this transaction.
  if (current === 'SUCCESS' && previous !== 'SUCCESS') await advanceInvestments(trx, { investorId });
  return { investorId, previous, current, changed: current !== previous };
}

export interface IdentificationInput extends IdentificationDates {
  document_type: 'IDCARD' | 'PASSPORT';
  document_id: string;
  document_issuer?: string | null;
  identity_provider?: string | null;
  legitimation_process_id?: string | null;
  legitimation_protocol_id?: string | null;
}

/** Records an identification (expired ones too: they are history) and recomputes the KYC status. */
export async function createIdentification(
  trx: Trx,
  platformId: string,
  investorId: string,
  input: IdentificationInput,
  now = new Date(),
) {
  await lockInvestor(trx, platformId, investorId);
  const fields = new FieldErrorCollector();
  checkIdentification(input, now, fields);
  fields.throwIfAny();
  const row = await trx
    .insertInto('identifications')
    .values({
      id: uuidv7(),
      investor_id: investorId,
      document_type: input.document_type,
      document_id: input.document_id,
      document_issuer: input.document_issuer ?? null,
      document_valid_from: input.document_valid_from ?? null,
      document_valid_to: input.document_valid_to,
      identity_provider: input.identity_provider ?? null,
      legitimation_process_id: input.legitimation_process_id ?? null,
      legitimation_protocol_id: input.legitimation_protocol_id ?? null,
      verified_at: input.verified_at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await refreshKycStatus(trx, investorId, now);
  return identificationView(row);
}

/** Records a benefiting person (a natural-person block) and recomputes the KYC status. */
export async function createBenefitingPerson(
  trx: Trx,
  platformId: string,
  investorId: string,
  person: NaturalPersonBlock,
) {
  await lockInvestor(trx, platformId, investorId);
  const fields = new FieldErrorCollector();
  if (person.is_subject_to_us_tax === true) {
    fields.add('is_subject_to_us_tax', 'persons subject to US tax are not accepted');
  }
  fields.throwIfAny();
  const row = await trx
    .insertInto('benefiting_persons')
    .values({ id: uuidv7(), investor_id: investorId, natural_person: JSON.stringify(person) })
    .returningAll()
    .executeTakeFirstOrThrow();
  await refreshKycStatus(trx, investorId);
  return benefitingPersonView(row);
}

interface NewWallet {
  type: WalletType;
  address: string;
  receiving_enabled: boolean;
  encrypted_private_key: string | null;
}

const addressTaken = () => conflict('wallet_address_taken', 'this address already belongs to a wallet');

/**
 * Inserts a wallet; an address held by any wallet (whatever its letter case, index `wallets_address`)
 * → 409 `wallet_address_taken`. A pre-check answers the common case; ON CONFLICT DO NOTHING covers a
 * concurrent insert without raising inside the transaction.
 */
async function insertWallet(trx: Trx, investorId: string, wallet: NewWallet): Promise<WalletRow> {
  const existing = await trx
    .selectFrom('wallets')
    .select('id')
    .where(sql<string>`lower(address)`, '=', wallet.address.toLowerCase())
    .executeTakeFirst();
  if (existing) throw addressTaken();
  const row = await trx
    .insertInto('wallets')
    .values({ id: uuidv7(), investor_id: investorId, ...wallet })
    .onConflict((oc) => oc.expression(sql`lower(address)`).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw addressTaken();
  // Every receiving wallet is registered on the token contracts by the registrar's job.
  if (row.receiving_enabled) await scheduleLedgerOperations(trx);
  return row;
}

/** Registers a self-custody address (EIP-55 checked by the route schema) as an `eth-generic` wallet. */
export async function createGenericWallet(
  trx: Trx,
  platformId: string,
  investorId: string,
  input: { address: string; receiving_enabled: boolean },
) {
  await lockInvestor(trx, platformId, investorId);
  const row = await insertWallet(trx, investorId, {
    type: 'eth-generic',
    address: input.address,
    receiving_enabled: input.receiving_enabled,
    encrypted_private_key: null,
  });
  return walletView(row);
}

/**
 * Creates an `eth-managed` wallet: a fresh key generated here, kept only encrypted
 * (`wallet-crypto.ts`, under `WALLET_ENCRYPTION_KEY`), never returned by the API.
 */
export async function createManagedWallet(
  trx: Trx,
  platformId: string,
  investorId: string,
  input: { receiving_enabled?: boolean },
  encryptionKey: Buffer,
) {
  await lockInvestor(trx, platformId, investorId);
  const privateKey = generatePrivateKey();
  const { address } = privateKeyToAccount(privateKey);
  const row = await insertWallet(trx, investorId, {
    type: 'eth-managed',
    address,
    receiving_enabled: input.receiving_enabled ?? true,
    encrypted_private_key: encryptPrivateKey(privateKey, encryptionKey),
  });
  return walletView(row);
}

/**
 * A wallet of an investor, or null. It does not check the investor's platform: callers resolve the
 * investor for the caller first. The row includes `encrypted_private_key` (managed wallets); map it
 * through `walletView` before it leaves the server. `lock` takes a row lock (inside a transaction).
 */
export async function findInvestorWallet(
  db: Db | Trx,
  investorId: string,
  walletId: string,
  options: { lock?: boolean } = {},
): Promise<WalletRow | null> {
  const row = await db
    .selectFrom('wallets')
    .selectAll()
    .where('id', '=', walletId)
    .where('investor_id', '=', investorId)
    .$if(options.lock === true, (q) => q.forUpdate())
    .executeTakeFirst();
  return row ?? null;
}

/**
 * For the investments issue: the wallet `walletId` of investor `investorId` (404 `not_found` when it
 * is not that investor's). As `findInvestorWallet`, the investor's platform must be checked before.
 */
export async function getInvestorWallet(
  db: Db | Trx,
  investorId: string,
  walletId: string,
  options: { lock?: boolean } = {},
): Promise<WalletRow> {
  const row = await findInvestorWallet(db, investorId, walletId, options);
  if (!row) throw notFound('wallet');
  return row;
}

/** Only `receiving_enabled` can change after creation. */
export async function updateWallet(
  trx: Trx,
  platformId: string,
  investorId: string,
  walletId: string,
  patch: { receiving_enabled?: boolean },
) {
  await lockInvestor(trx, platformId, investorId);
  const current = await getInvestorWallet(trx, investorId, walletId, { lock: true });
  if (patch.receiving_enabled === undefined || patch.receiving_enabled === current.receiving_enabled) {
    return walletView(current);
  }
  const row = await trx
    .updateTable('wallets')
    .set({ receiving_enabled: patch.receiving_enabled, updated_at: sql<string>`now()` })
    .where('id', '=', walletId)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (row.receiving_enabled) await scheduleLedgerOperations(trx);
  return walletView(row);
}
