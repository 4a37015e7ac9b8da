import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import type { PrincipalType } from '../db/schema.ts';
import { ApiError, FieldErrorCollector, invalidField, notFound } from '../http/errors.ts';
import { hashSecret, randomToken } from '../http/secrets.ts';
import { normalizeIban } from '../validation/iban.ts';
import { issuerView, platformView, SCOPES_BY_PRINCIPAL, scopeProblem } from './domain.ts';

type Block = Record<string, unknown>;

/** Matches no allowance row: the registrar has no allowance of its own. */
export const NO_ISSUER = '00000000-0000-0000-0000-000000000000';

export interface IssuerInput {
  natural_person?: Block | null;
  legal_person?: Block | null;
  bank_account?: Block | null;
}

const json = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

function withNormalizedIban(bank: Block | null | undefined): Block | null | undefined {
  if (!bank || typeof bank.iban !== 'string') return bank;
  return { ...bank, iban: normalizeIban(bank.iban) };
}

/** A person block must not claim US tax liability (spec §6): such persons are not accepted. */
export function checkPersonBlocks(input: IssuerInput, fields: FieldErrorCollector, prefix = ''): void {
  const natural = input.natural_person;
  if (natural && natural.is_subject_to_us_tax === true) {
    fields.add(`${prefix}natural_person.is_subject_to_us_tax`, 'persons subject to US tax are not accepted');
  }
}

export async function createIssuer(trx: Trx, input: IssuerInput) {
  const fields = new FieldErrorCollector();
  if (!input.natural_person && !input.legal_person) {
    fields.add('legal_person', 'an issuer needs a legal_person or a natural_person');
  }
  checkPersonBlocks(input, fields);
  fields.throwIfAny();
  const row = await trx
    .insertInto('issuers')
    .values({
      id: uuidv7(),
      natural_person: json(input.natural_person),
      legal_person: json(input.legal_person),
      bank_account: json(withNormalizedIban(input.bank_account)),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return issuerView(row);
}

export async function updateIssuer(trx: Trx, id: string, scope: string | null, input: IssuerInput) {
  const current = await trx
    .selectFrom('issuers')
    .selectAll()
    .where('id', '=', id)
    .$if(scope !== null, (q) => q.where('id', '=', scope!))
    .forUpdate()
    .executeTakeFirst();
  if (!current) throw notFound('issuer');
  const fields = new FieldErrorCollector();
  checkPersonBlocks(input, fields);
  const natural = input.natural_person !== undefined ? input.natural_person : current.natural_person;
  const legal = input.legal_person !== undefined ? input.legal_person : current.legal_person;
  if (!natural && !legal) fields.add('legal_person', 'an issuer needs a legal_person or a natural_person');
  fields.throwIfAny();
  const row = await trx
    .updateTable('issuers')
    .set({
      natural_person: json(natural),
      legal_person: json(legal),
      bank_account: json(
        input.bank_account !== undefined ? withNormalizedIban(input.bank_account) : current.bank_account,
      ),
      updated_at: sql<string>`now()`,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return issuerView(row);
}

export async function getIssuer(db: Db | Trx, id: string, scope: string | null) {
  const row = await db
    .selectFrom('issuers')
    .selectAll()
    .where('id', '=', id)
    .$if(scope !== null, (q) => q.where('id', '=', scope!))
    .executeTakeFirst();
  if (!row) throw notFound('issuer');
  return issuerView(row);
}

export async function createPlatform(trx: Trx, input: { platform_company_name: string }) {
  const row = await trx
    .insertInto('distribution_platforms')
    .values({ id: uuidv7(), platform_company_name: input.platform_company_name })
    .returningAll()
    .executeTakeFirstOrThrow();
  return {
    ...platformView({ ...row, is_allowed: null }),
    web_subscription_enabled: row.web_subscription_enabled,
  };
}

export async function getPlatform(db: Db | Trx, id: string, issuerId: string | null) {
  const row = await db
    .selectFrom('distribution_platforms as p')
    .leftJoin('issuer_platform_allowances as a', (j) =>
      j.onRef('a.distribution_platform_id', '=', 'p.id').on('a.issuer_id', '=', issuerId ?? NO_ISSUER),
    )
    .selectAll('p')
    .select('a.is_allowed')
    .where('p.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('distribution platform');
  return platformView({ ...row, is_allowed: issuerId === null ? null : (row.is_allowed ?? false) });
}

async function requireIssuer(db: Db | Trx, id: string): Promise<void> {
  const row = await db.selectFrom('issuers').select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('issuer');
}

async function requirePlatform(db: Db | Trx, id: string): Promise<void> {
  const row = await db.selectFrom('distribution_platforms').select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('distribution platform');
}

/** The registrar allows (or disallows) an issuer to distribute through a platform. */
export async function setAllowance(trx: Trx, issuerId: string, platformId: string, isAllowed: boolean) {
  await requireIssuer(trx, issuerId);
  await requirePlatform(trx, platformId);
  await trx
    .insertInto('issuer_platform_allowances')
    .values({ issuer_id: issuerId, distribution_platform_id: platformId, is_allowed: isAllowed })
    .onConflict((oc) =>
      oc.columns(['issuer_id', 'distribution_platform_id']).doUpdateSet({
        is_allowed: isAllowed,
        updated_at: sql<string>`now()`,
      }),
    )
    .execute();
  return { issuer_id: issuerId, distribution_platform_id: platformId, is_allowed: isAllowed };
}

export async function isAllowed(db: Db | Trx, issuerId: string, platformId: string): Promise<boolean> {
  const row = await db
    .selectFrom('issuer_platform_allowances')
    .select('is_allowed')
    .where('issuer_id', '=', issuerId)
    .where('distribution_platform_id', '=', platformId)
    .executeTakeFirst();
  return row?.is_allowed === true;
}

export async function setWebSubscription(trx: Trx, platformId: string, enabled: boolean) {
  await requirePlatform(trx, platformId);
  await trx
    .updateTable('distribution_platforms')
    .set({ web_subscription_enabled: enabled, updated_at: sql<string>`now()` })
    .where('id', '=', platformId)
    .execute();
  return { distribution_platform_id: platformId, web_subscription_enabled: enabled };
}

export interface ClientInput {
  name: string;
  principal: PrincipalType;
  issuerId?: string | null;
  platformId?: string | null;
  /** Absent: every scope the principal type can hold. */
  scopes?: string[];
}

/** An API client bound to one principal; the secret is returned once and stored as a slow hash. */
export async function createApiClient(trx: Trx, input: ClientInput) {
  const scopes = input.scopes ?? [...SCOPES_BY_PRINCIPAL[input.principal]];
  const problem = scopeProblem(input.principal, scopes);
  if (problem) throw invalidField('scopes', problem);
  if (input.principal === 'issuer') {
    if (!input.issuerId) throw invalidField('issuer_id', 'an issuer client needs its issuer');
    await requireIssuer(trx, input.issuerId);
  }
  if (input.principal === 'distribution_platform') {
    if (!input.platformId) throw invalidField('distribution_platform_id', 'a platform client needs its platform');
    await requirePlatform(trx, input.platformId);
  }
  const clientId = randomToken('kc_', 12);
  const clientSecret = randomToken('ks_', 32);
  const row = await trx
    .insertInto('api_clients')
    .values({
      id: uuidv7(),
      client_id: clientId,
      secret_hash: await hashSecret(clientSecret),
      name: input.name,
      scopes,
      principal_type: input.principal,
      issuer_id: input.principal === 'issuer' ? input.issuerId! : null,
      distribution_platform_id: input.principal === 'distribution_platform' ? input.platformId! : null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    name: row.name,
    client_id: clientId,
    client_secret: clientSecret,
    principal_type: row.principal_type,
    issuer_id: row.issuer_id,
    distribution_platform_id: row.distribution_platform_id,
    scopes: row.scopes,
    created_at: row.created_at,
  };
}

export async function revokeApiClient(trx: Trx, clientId: string) {
  const row = await trx
    .updateTable('api_clients')
    .set({ revoked_at: sql<string>`now()` })
    .where('client_id', '=', clientId)
    .where('revoked_at', 'is', null)
    .returning(['client_id', 'revoked_at'])
    .executeTakeFirst();
  if (!row) throw notFound('active API client');
  return row;
}

/** A Studio user of an issuer (issuerId) or of the registrar (null); the password is stored hashed. */
export async function createStudioUser(trx: Trx, input: { email: string; password: string; issuerId: string | null }) {
  if (input.password.length < 12) throw invalidField('password', 'must have at least 12 characters');
  if (input.issuerId) await requireIssuer(trx, input.issuerId);
  try {
    const row = await trx
      .insertInto('studio_users')
      .values({
        id: uuidv7(),
        issuer_id: input.issuerId,
        email: input.email,
        password_hash: await hashSecret(input.password),
      })
      .returning(['id', 'email', 'issuer_id', 'created_at'])
      .executeTakeFirstOrThrow();
    return row;
  } catch (error) {
    if ((error as { code?: string }).code === '23505') {
      throw new ApiError(409, 'email_taken', 'a Studio user with this e-mail exists');
    }
    throw error;
  }
}
