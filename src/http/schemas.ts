import Type, { type TProperties } from 'typebox';
import { invalid } from './errors.ts';

/** Shared request and response schemas: one definition each, used by every route. */

export const Uuid = Type.String({ format: 'uuid' });
export const DateTime = Type.String({ format: 'date-time', description: 'RFC 3339 with offset' });
export const DateOnly = Type.String({ format: 'date', description: 'YYYY-MM-DD' });
export const Country = Type.String({ format: 'iso3166-alpha3', description: 'ISO 3166-1 alpha-3, e.g. DEU' });
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, e.g. EUR' });
export const Percent = Type.String({ format: 'decimal', description: 'decimal string, "2.5" = 2.5 %' });
export const Units = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'whole units',
});
export const Iban = Type.String({ format: 'iban' });
export const Address = Type.String({ format: 'eip55-address', description: 'EIP-55 checksummed address' });

export const Money = Type.Object(
  {
    amount: Type.String({
      pattern: '^-?\\d{1,40}$',
      description: 'integer string of minor units at `decimals`',
    }),
    decimals: Type.Integer({ minimum: 0, maximum: 18 }),
    currency: Currency,
  },
  { additionalProperties: false, description: 'value = amount / 10^decimals' },
);

/** A closed object: unknown keys are refused (spec §1). */
export function Closed<T extends TProperties>(properties: T, options: object = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

export const IdParams = Closed({ id: Uuid });

/** RFC 9457 problem details: the body of every refusal and failure of the API (errors.ts). */
export const Problem = Closed(
  {
    type: Type.String({ description: '`urn:kontor:problem:` + `code`' }),
    title: Type.String({ description: "the status's reason phrase" }),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.String({ description: 'for people: what was refused and why' }),
    code: Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'for programs: stable, snake_case' }),
    errors: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.String()), {
        description: 'field path (e.g. `natural_person.birth_date`) → messages; with `validation_error`',
      }),
    ),
  },
  { description: 'RFC 9457 problem details' },
);

/**
 * The error responses of every API operation, added to each route's schema in one place (app.ts):
 * the statuses differ by operation, the body never does.
 */
export const ProblemResponses = {
  '4xx': {
    description:
      'Refused, with no effect: 400 `validation_error` (with `errors`), 401, 403, 404 `not_found`, 409, 413, 415, 422 (the operation says which codes), 429.',
    content: { 'application/problem+json': { schema: Problem } },
  },
  '5xx': {
    description:
      '503 `schema_changed` (the database was migrated during the request; retry after `Retry-After`) or 500 `internal_error` (logged; nothing was half-written).',
    content: { 'application/problem+json': { schema: Problem } },
  },
};

const opt = Type.Optional;
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Text = (max = 255) => Type.String({ minLength: 1, maxLength: max });

export const NaturalPerson = Closed({
  salutation: opt(nullable(Type.Enum(['MR', 'MS', 'MX', 'DR', 'PROF']))),
  forename: Text(),
  surname: Text(),
  birth_date: opt(nullable(DateOnly)),
  birth_place: opt(nullable(Text())),
  citizenship: opt(nullable(Country)),
  street: opt(nullable(Text())),
  city: opt(nullable(Text())),
  zip: opt(nullable(Text(20))),
  country: opt(nullable(Country)),
  phone: opt(nullable(Type.String({ pattern: '^\\+?[0-9 ()/-]{4,30}$' }))),
  is_pep: opt(Type.Boolean()),
  is_subject_to_us_tax: opt(Type.Boolean()),
});

export const LegalPerson = Closed({
  company_name: Text(),
  commercial_register: opt(nullable(Text())),
  commercial_register_number: opt(nullable(Text())),
  company_identity_proof_id: opt(nullable(Uuid)),
  company_structure_proof_id: opt(nullable(Uuid)),
  street: opt(nullable(Text())),
  city: opt(nullable(Text())),
  zip: opt(nullable(Text(20))),
  country: opt(nullable(Country)),
  phone: opt(nullable(Type.String({ pattern: '^\\+?[0-9 ()/-]{4,30}$' }))),
});

export const BankAccount = Closed({
  account_holder: Text(),
  iban: Iban,
  bic: opt(nullable(Type.String({ pattern: '^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$' }))),
  bank: opt(nullable(Text())),
  country: opt(nullable(Country)),
  currency: opt(nullable(Currency)),
});

export const Communication = Closed({
  email: Type.String({ format: 'email', maxLength: 254 }),
  email_confirmed: opt(Type.Boolean()),
});

export const TaxInformation = Closed({
  tax_identification_number: opt(nullable(Text(64))),
  non_assessment_certificate: opt(Type.Boolean()),
  is_subject_to_german_tax: opt(Type.Boolean()),
});

export { nullable, opt, Text };

/**
 * A preValidation hook for PATCH: keys that exist on the resource but are fixed after creation are
 * refused with that reason (400) rather than as unknown fields.
 */
export function refuseImmutable(fixed: readonly string[]) {
  return async (request: { body: unknown }) => {
    const body = request.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return;
    const errors: Record<string, string[]> = {};
    for (const key of Object.keys(body)) {
      if (fixed.includes(key)) errors[key] = ['cannot be changed after creation'];
    }
    if (Object.keys(errors).length > 0) throw invalid(errors);
  };
}
