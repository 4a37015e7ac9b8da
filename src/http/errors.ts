/** Field path (dotted JSON path, e.g. `natural_person.birth_date`) → messages. */
export type FieldErrors = Record<string, string[]>;

/**
 * The one error type of the application. Every 4xx a client sees is one of these, rendered as
 * RFC 9457 problem+json with a stable snake_case `code`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors?: FieldErrors,
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldErrors;
}

export function problemOf(error: ApiError): Problem {
  return {
    type: `urn:kontor:problem:${error.code}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    detail: error.detail,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/** 400 with field errors: the request was refused before any effect. */
export function invalid(errors: FieldErrors, detail?: string): ApiError {
  const fields = Object.keys(errors);
  return new ApiError(
    400,
    'validation_error',
    detail ?? `invalid request: ${fields.map((f) => `${f}: ${errors[f]!.join(', ')}`).join('; ')}`,
    errors,
  );
}

export function invalidField(field: string, message: string): ApiError {
  return invalid({ [field]: [message] });
}

export const conflict = (code: string, detail: string) => new ApiError(409, code, detail);

/**
 * A refusal raised by one of Kontor's own database rules (e.g. the campaign reservation checked at
 * COMMIT, migration 009): SQLSTATE `KX` + the HTTP status, the API's error code as HINT.
 */
export function databaseRuleError(error: unknown): ApiError | null {
  const { code, hint, message } = (error ?? {}) as { code?: unknown; hint?: unknown; message?: unknown };
  const status = typeof code === 'string' ? /^KX(4\d\d)$/.exec(code)?.[1] : undefined;
  if (!status || typeof hint !== 'string' || typeof message !== 'string') return null;
  return new ApiError(Number(status), hint, message);
}
export const forbidden = (code: string, detail: string) => new ApiError(403, code, detail);

/** Collects field errors so that one response names every bad field at once. */
export class FieldErrorCollector {
  readonly errors: FieldErrors = {};
  add(field: string, message: string): void {
    (this.errors[field] ??= []).push(message);
  }
  get empty(): boolean {
    return Object.keys(this.errors).length === 0;
  }
  throwIfAny(): void {
    if (!this.empty) throw invalid(this.errors);
  }
}
