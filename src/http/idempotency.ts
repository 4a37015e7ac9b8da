import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { principalOf } from './auth.ts';
import { ApiError, invalidField } from './errors.ts';

/** JSON with object keys sorted, so that the same body hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

function idempotencyKeyOf(request: FastifyRequest): string | null {
  const raw = request.headers['x-idempotency-key'] ?? request.headers['idempotency-key'];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0]! : raw;
  if (key.length < 1 || key.length > 255) {
    throw invalidField('header.X-Idempotency-Key', 'must be 1 to 255 characters');
  }
  return key;
}

/** The idempotency scope's path: the route's path with a trailing slash and without the query. */
function scopePath(request: FastifyRequest): string {
  const path = request.url.split('?')[0]!;
  return path.endsWith('/') ? path : `${path}/`;
}

export interface MutationOptions {
  /** HTTP status of a success (201 create, 200 update, 202 task). */
  status: number;
  /** What identifies the request for key reuse; defaults to the canonical JSON body. */
  fingerprint?: string;
}

/** A use case's result sent with another status than the route's usual one (e.g. 202: under way). */
export class WithStatus {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

function statusAndBody(options: MutationOptions, result: unknown): { status: number; body: string } {
  return result instanceof WithStatus
    ? { status: result.status, body: JSON.stringify(result.body) }
    : { status: options.status, body: JSON.stringify(result) };
}

/**
 * Runs one use case in one transaction and sends its result. With an idempotency key (spec §3),
 * the response is stored in that same transaction, a retry gets it byte for byte, a different
 * request under the key gets 422, and a concurrent one 409. Errors roll back and store nothing.
 */
export async function mutate(
  db: Db,
  request: FastifyRequest,
  reply: FastifyReply,
  options: MutationOptions,
  effect: (trx: Trx) => Promise<unknown>,
): Promise<FastifyReply> {
  const key = idempotencyKeyOf(request);
  const send = (status: number, body: string) =>
    reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
  if (key === null) {
    const result = statusAndBody(options, await db.transaction().execute(effect));
    return send(result.status, result.body);
  }
  const principal = principalOf(request);
  const method = request.method;
  const path = scopePath(request);
  const requestHash = createHash('sha256')
    .update(options.fingerprint ?? canonicalJson(request.body ?? null))
    .digest('hex');
  const outcome = await db.transaction().execute(async (trx) => {
    const lockKey = `${principal.apiClientId}\n${method}\n${path}\n${key}`;
    const { rows } = await sql<{ locked: boolean }>`
      select pg_try_advisory_xact_lock(hashtextextended(${lockKey}, 0)) as locked`.execute(trx);
    if (!rows[0]?.locked) {
      throw new ApiError(409, 'idempotency_key_in_use', 'a request with this idempotency key is still running');
    }
    const stored = await trx
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'response_status', 'response_body'])
      .where('api_client_id', '=', principal.apiClientId)
      .where('method', '=', method)
      .where('path', '=', path)
      .where('key', '=', key)
      .executeTakeFirst();
    if (stored) {
      if (stored.request_hash !== requestHash) {
        throw new ApiError(422, 'idempotency_key_reused', 'this idempotency key was used with a different request');
      }
      return { replayed: true, status: stored.response_status, body: stored.response_body };
    }
    const { status, body } = statusAndBody(options, await effect(trx));
    await trx
      .insertInto('idempotency_keys')
      .values({
        api_client_id: principal.apiClientId,
        method,
        path,
        key,
        request_hash: requestHash,
        response_status: status,
        response_body: body,
      })
      .execute();
    return { replayed: false, status, body };
  });
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  return send(outcome.status, outcome.body);
}

/** Keys are kept at least 24 h (spec §3); older ones are removed by the maintenance job. */
export async function purgeIdempotencyKeys(db: Db, olderThanHours = 48): Promise<number> {
  const result = await db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', sql<string>`now() - make_interval(hours => ${olderThanHours})`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
