import Type from 'typebox';
import type { App, AppContext } from '../http/app.ts';
import { principalOf } from '../http/auth.ts';
import { notFound } from '../http/errors.ts';
import { mutate } from '../http/idempotency.ts';
import { PageOf, PageQuery, paginate } from '../http/pagination.ts';
import { Closed, DateTime, IdParams, nullable, Uuid } from '../http/schemas.ts';
import { platformScope } from '../http/visibility.ts';
import { requireInvestment } from '../investments/service.ts';
import { creditsWithHash, creditView, requestCredit } from './credits.ts';

const Credit = Type.Object({
  id: Uuid,
  investment_id: Uuid,
  status: Type.Enum(['processing', 'failed', 'succeeded', 'unknown']),
  transaction_hash: nullable(Type.String()),
  error: nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
});

const tags = ['Credits'];

/** Crediting on the distributor API (spec §6–§7). */
export async function registerLedgerRoutes(app: App, ctx: AppContext): Promise<void> {
  const { db, config } = ctx;
  app.post(
    '/investments/:id/credits/',
    {
      config: { scope: 'investments:write' },
      schema: {
        tags,
        summary: 'Credit the units of a paid investment to its wallet (a task)',
        description:
          'Only `PAID` with a wallet. A second request while a credit is processing, unknown or succeeded returns that task; a failed one may be retried.',
        params: IdParams,
        response: { 202: Credit },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 202 }, (trx) =>
        requestCredit(trx, platformScope(principalOf(request)), request.params.id),
      ),
  );
  app.get(
    '/investments/:id/credits/',
    {
      config: { scope: 'investments:read' },
      schema: {
        tags,
        summary: 'The credits of an investment',
        params: IdParams,
        querystring: Closed(PageQuery),
        response: { 200: PageOf(Credit) },
      },
    },
    async (request) => {
      const id = await requireInvestment(
        db,
        { kind: 'platform', platformId: platformScope(principalOf(request)) },
        request.params.id,
      );
      const base = db
        .selectFrom('credits')
        .leftJoin('chain_transactions', 'chain_transactions.id', 'credits.chain_transaction_id')
        .where('credits.investment_id', '=', id);
      return paginate(request, config.publicUrl, base, 'credits', creditView, (q) =>
        q.select('chain_transactions.hash as transaction_hash'),
      );
    },
  );
  app.get(
    '/credits/:id/',
    {
      config: { scope: 'investments:read' },
      schema: { tags, summary: 'Read a credit task', params: IdParams, response: { 200: Credit } },
    },
    async (request) => {
      const row = await creditsWithHash(db)
        .innerJoin('investments', 'investments.id', 'credits.investment_id')
        .where('credits.id', '=', request.params.id)
        .where('investments.distribution_platform_id', '=', platformScope(principalOf(request)))
        .executeTakeFirst();
      if (!row) throw notFound('credit');
      return creditView(row);
    },
  );
}
