import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { App, AppContext } from '../http/app.ts';
import { principalOf } from '../http/auth.ts';
import { notFound } from '../http/errors.ts';
import { mutate } from '../http/idempotency.ts';
import { PageOf, PageQuery, paginate } from '../http/pagination.ts';
import { Address, Closed, DateTime, IdParams, nullable, Units, Uuid } from '../http/schemas.ts';
import { issuerScope, platformScope } from '../http/visibility.ts';
import { type InvestmentViewer, requireInvestment } from '../investments/service.ts';
import { creditsWithHash, creditView, requestCredit } from './credits.ts';
import {
  readTransfer,
  requestTransfer,
  type TransferRow,
  transferHash,
  transferView,
  visibleTransfers,
} from './transfers.ts';

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
        requestCredit(trx, { kind: 'platform', platformId: platformScope(principalOf(request)) }, request.params.id),
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

const Transfer = Type.Object({
  id: Uuid,
  product: Uuid,
  origin: Type.Enum(['api', 'ledger'], {
    description: "`api`: requested with POST /transfers/; `ledger`: a holder's own transfer found on the ledger",
  }),
  source_wallet: nullable(
    Type.String({ format: 'uuid', description: "the sending wallet's id; null for another platform's wallet" }),
  ),
  source_address: Type.String(),
  target_wallet: nullable(
    Type.String({ format: 'uuid', description: "the receiving wallet's id; null for another platform's wallet" }),
  ),
  target_address: Type.String(),
  amount: Type.Integer({ description: 'whole units' }),
  status: Type.Enum(['processing', 'failed', 'succeeded', 'unknown']),
  transaction_hash: nullable(Type.String()),
  error: nullable(Type.String()),
  created_at: DateTime,
  updated_at: DateTime,
});

/**
 * Transfers (spec §10): platforms request them and see those to and from their investors' wallets;
 * issuers see those of their products.
 */
export async function registerTransferRoutes(app: App, ctx: AppContext, surface: 'issuer' | 'distributor') {
  const { db, config } = ctx;
  const tags = ['Transfers'];
  const viewerOf = (request: FastifyRequest): InvestmentViewer =>
    surface === 'distributor'
      ? { kind: 'platform', platformId: platformScope(principalOf(request)) }
      : { kind: 'issuer', issuerId: issuerScope(principalOf(request)) };
  if (surface === 'distributor') {
    app.post(
      '/transfers/',
      {
        config: { scope: 'investments:write' },
        schema: {
          tags,
          summary: "Move units of a product from an investor's wallet to another investor's wallet (a task)",
          description:
            "The registrar moves the units on the ledger. The task is `processing` until the transfer is booked from the ledger (`succeeded`: the sender's investments give their units first-in first-out, the receiver gets a holding, both get registry statements); `failed` when the ledger refuses it.",
          body: Closed({
            product: Type.String({ format: 'uuid', description: 'the product (id)' }),
            source_wallet: Type.String({ format: 'uuid', description: 'a wallet (id) of one of your investors' }),
            target_address: Address,
            amount: Units,
          }),
          response: { 202: Transfer },
        },
      },
      async (request, reply) =>
        mutate(db, request, reply, { status: 202 }, (trx) =>
          requestTransfer(trx, platformScope(principalOf(request)), request.body),
        ),
    );
  }
  app.get(
    '/transfers/',
    {
      config: { scope: 'investments:read' },
      schema: {
        tags,
        summary: 'Transfers you may see',
        querystring: Closed(PageQuery),
        response: { 200: PageOf(Transfer) },
      },
    },
    async (request) =>
      paginate(
        request,
        config.publicUrl,
        visibleTransfers(db, viewerOf(request)),
        'transfers',
        (row: TransferRow) => transferView(row, viewerOf(request)),
        (q) => q.select(transferHash.as('transaction_hash')),
      ),
  );
  app.get(
    '/transfers/:id/',
    {
      config: { scope: 'investments:read' },
      schema: { tags, summary: 'Read a transfer', params: IdParams, response: { 200: Transfer } },
    },
    async (request) => {
      const transfer = await readTransfer(db, viewerOf(request), request.params.id);
      if (!transfer) throw notFound('transfer');
      return transfer;
    },
  );
}
