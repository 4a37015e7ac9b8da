import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { DECIMAL_PATTERN } from '../money/money.ts';
import { addressProblem } from '../validation/address.ts';
import { isCountryAlpha3 } from '../validation/countries.ts';
import { ibanProblem } from '../validation/iban.ts';
import { isinProblem } from '../validation/isin.ts';
import type { FieldErrors } from './errors.ts';

/** Domain formats checked by the schemas themselves, with the message a client sees. */
export const DOMAIN_FORMATS: Record<string, { validate: (v: string) => boolean; message: string }> = {
  'iso3166-alpha3': {
    validate: isCountryAlpha3,
    message: 'must be an ISO 3166-1 alpha-3 country code (e.g. DEU)',
  },
  iban: {
    validate: (v) => ibanProblem(v) === null,
    message: 'must be a valid IBAN (country, length and checksum)',
  },
  isin: {
    validate: (v) => isinProblem(v) === null,
    message: 'must be a valid ISIN (ISO 6166, with its check digit)',
  },
  'eip55-address': {
    validate: (v) => addressProblem(v) === null,
    message: 'must be an Ethereum address in EIP-55 checksummed form',
  },
  decimal: {
    validate: (v) => new RegExp(DECIMAL_PATTERN).test(v),
    message: 'must be a decimal string such as "2.5"',
  },
};

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    // Bodies are JSON as sent: "5" is not 5, and unknown keys are refused, not dropped.
    coerceTypes: coerce ? 'array' : false,
    removeAdditional: false,
    useDefaults: false,
    strict: false,
  });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  // RFC 3339 with an offset; fractional seconds optional.
  ajv.addFormat(
    'date-time',
    /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|z|[+-]([01]\d|2[0-3]):[0-5]\d)$/,
  );
  for (const [name, format] of Object.entries(DOMAIN_FORMATS)) {
    ajv.addFormat(name, { type: 'string', validate: format.validate });
  }
  return ajv;
}

const bodyAjv = makeAjv(false);
const paramAjv = makeAjv(true);

/**
 * Compiles a route's schema on its first use, not when the server starts: compiling every route's
 * validators up front took about half a second of `kontor start` (the fuzz tests reach every
 * route, so a schema AJV cannot compile still fails a test).
 */
export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : paramAjv;
  let compiled: ReturnType<typeof ajv.compile> | null = null;
  const validate = ((data: unknown) => {
    compiled ??= ajv.compile(schema as object);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  }) as ((data: unknown) => boolean) & { errors?: unknown };
  return validate as ReturnType<FastifySchemaCompiler<unknown>>;
};

function pathOf(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function join(base: string, key: string): string {
  if (!key) return base;
  return base ? `${base}.${key}` : key;
}

function messageOf(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'type':
      return `must be ${String(p.type).replace(',', ' or ')}`;
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'format':
      if (DOMAIN_FORMATS[String(p.format)]) return DOMAIN_FORMATS[String(p.format)]!.message;
      return `must be a valid ${p.format === 'date' ? 'date (YYYY-MM-DD)' : p.format === 'date-time' ? 'RFC 3339 timestamp with offset' : p.format}`;
    case 'pattern':
      return 'has an invalid format';
    default:
      return error.message ?? 'is invalid';
  }
}

/**
 * AJV errors → `{"json.path": ["message"]}`. A nullable field that fails as its non-null type also
 * fails the `null` branch of its union; that branch's "must be null" is dropped wherever the other
 * branch says what is wrong at or below the same path.
 */
export function fieldErrorsOf(errors: ErrorObject[], prefix = ''): FieldErrors {
  const entries: { field: string; message: string; nullBranch: boolean }[] = [];
  for (const error of errors) {
    if (error.keyword === 'anyOf' || error.keyword === 'oneOf') continue;
    let field = join(prefix, pathOf(error.instancePath));
    const p = error.params as Record<string, unknown>;
    if (error.keyword === 'required') field = join(field, String(p.missingProperty));
    if (error.keyword === 'additionalProperties') field = join(field, String(p.additionalProperty));
    entries.push({
      field: field || '(body)',
      message: messageOf(error),
      nullBranch: error.keyword === 'type' && p.type === 'null',
    });
  }
  // Field names come from the request (unknown keys): no prototype, so that `constructor` or
  // `__proto__` are keys like any other.
  const out: FieldErrors = Object.create(null);
  for (const entry of entries) {
    if (
      entry.nullBranch &&
      entries.some((o) => !o.nullBranch && (o.field === entry.field || o.field.startsWith(`${entry.field}.`)))
    ) {
      continue;
    }
    const list = (out[entry.field] ??= []);
    if (!list.includes(entry.message)) list.push(entry.message);
  }
  return out;
}

const compiled = new WeakMap<object, ReturnType<typeof bodyAjv.compile>>();

/**
 * Checks a value against a request-body schema exactly as the API does (for forms that feed the
 * same use cases); the field errors, or null when it is valid.
 */
export function bodyErrors(schema: object, value: unknown): FieldErrors | null {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = bodyAjv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate(value) ? null : fieldErrorsOf(validate.errors ?? []);
}
