import type { FastifyRequest } from 'fastify';
import type { SelectQueryBuilder } from 'kysely';
import Type from 'typebox';
import type { Database } from '../db/schema.ts';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
export const MAX_OFFSET = 1_000_000_000;

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT, description: `default ${DEFAULT_LIMIT}` })),
  // Bounded: PostgreSQL's OFFSET is a bigint, and no list is that long.
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OFFSET })),
};

export function PageOf<T extends ReturnType<typeof Type.Object>>(item: T) {
  return Type.Object({
    count: Type.Integer(),
    next: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
    previous: Type.Union([Type.String({ format: 'uri' }), Type.Null()]),
    results: Type.Array(item),
  });
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** The base URL links are built on: PUBLIC_URL, else what the request was addressed to. */
export function baseUrlOf(request: FastifyRequest, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  return `${request.protocol}://${request.host}`;
}

function linkTo(request: FastifyRequest, publicUrl: string | null, limit: number, offset: number): string {
  const [path, search] = request.url.split('?');
  const params = new URLSearchParams(search ?? '');
  params.set('limit', String(limit));
  params.set('offset', String(offset));
  return `${baseUrlOf(request, publicUrl)}${path}?${params.toString()}`;
}

/**
 * The one pagination helper (spec §1): `base` holds the from, join and where clauses (no
 * selections: it is counted as it is); rows come oldest first (created_at, then id) with every
 * column of `table` plus what `extra` selects (e.g. columns of joined tables).
 */
export async function paginate<R, T>(
  request: FastifyRequest,
  publicUrl: string | null,
  // biome-ignore lint/suspicious/noExplicitAny: any table of the schema.
  base: SelectQueryBuilder<Database, any, object>,
  table: string,
  map: (row: R) => T,
  // biome-ignore lint/suspicious/noExplicitAny: any selection over the base query.
  extra?: (query: SelectQueryBuilder<Database, any, any>) => SelectQueryBuilder<Database, any, any>,
): Promise<Page<T>> {
  const query = request.query as { limit?: number; offset?: number };
  const limit = query.limit ?? DEFAULT_LIMIT;
  const offset = query.offset ?? 0;
  const [countRow, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow(),
    (extra ? extra(base.selectAll(table)) : base.selectAll(table))
      .orderBy(`${table}.created_at`)
      .orderBy(`${table}.id`)
      .limit(limit)
      .offset(offset)
      .execute(),
  ]);
  const count = Number((countRow as { count: string | bigint }).count);
  return {
    count,
    next: offset + limit < count ? linkTo(request, publicUrl, limit, offset + limit) : null,
    previous: offset > 0 ? linkTo(request, publicUrl, limit, Math.max(0, offset - limit)) : null,
    results: (rows as R[]).map(map),
  };
}
