import type { Selectable } from 'kysely';
import type { Static } from 'typebox';
import type { DistributionPlatformsTable, IssuersTable } from '../db/schema.ts';
import { SCOPES, type Scope } from '../http/auth.ts';
import type { BankAccount, LegalPerson, NaturalPerson } from '../http/schemas.ts';

/** jsonb blocks were validated against these schemas when written. */
export type NaturalPersonBlock = Static<typeof NaturalPerson>;
export type LegalPersonBlock = Static<typeof LegalPerson>;
export type BankAccountBlock = Static<typeof BankAccount>;

export type IssuerRow = Selectable<IssuersTable>;
export type PlatformRow = Selectable<DistributionPlatformsTable>;

export function issuerView(row: IssuerRow) {
  return {
    id: row.id,
    natural_person: row.natural_person as NaturalPersonBlock | null,
    legal_person: row.legal_person as LegalPersonBlock | null,
    bank_account: row.bank_account as BankAccountBlock | null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A platform as an issuer sees it: `is_allowed` is this issuer's allowance (null for the registrar). */
export function platformView(row: PlatformRow & { is_allowed: boolean | null }) {
  return {
    id: row.id,
    platform_company_name: row.platform_company_name,
    is_allowed: row.is_allowed,
    created_at: row.created_at,
  };
}

/** The scopes a principal type can hold: issuers manage products, platforms investors. */
export const SCOPES_BY_PRINCIPAL: Record<'issuer' | 'distribution_platform' | 'registrar', readonly Scope[]> = {
  issuer: [
    'issuers:read',
    'issuers:write',
    'products:read',
    'products:write',
    'investments:read',
    'investments:write',
    'documents:read',
    'documents:write',
    'webhooks:read',
    'webhooks:write',
  ],
  distribution_platform: [
    'products:read',
    'investors:read',
    'investors:write',
    'investments:read',
    'investments:write',
    'documents:read',
    'documents:write',
    'webhooks:read',
    'webhooks:write',
  ],
  registrar: [...SCOPES],
};

export function scopeProblem(principal: keyof typeof SCOPES_BY_PRINCIPAL, scopes: string[]): string | null {
  const allowed = SCOPES_BY_PRINCIPAL[principal] as readonly string[];
  const wrong = scopes.filter((s) => !allowed.includes(s));
  if (wrong.length === 0) return null;
  return `not available to a ${principal} client: ${wrong.join(', ')}`;
}
