import Type from 'typebox';
import type { App, AppContext } from '../http/app.ts';
import { principalOf } from '../http/auth.ts';
import { mutate } from '../http/idempotency.ts';
import { baseUrlOf, PageOf, PageQuery, paginate } from '../http/pagination.ts';
import { Closed, DateTime, IdParams, Money, nullable, opt, Units, Uuid } from '../http/schemas.ts';
import { issuerScope, platformScope } from '../http/visibility.ts';
import { INVESTMENT_STATUSES, ISSUER_CANCELLATION_REASONS, REQUIRED_DOCUMENT_CATEGORIES } from './domain.ts';
import type { InvestmentRow } from './lifecycle.ts';
import {
  addSignedDocument,
  cancelByInvestor,
  cancelByIssuer,
  createInvestment,
  fundingInformation,
  getInvestment,
  type InvestmentViewer,
  investmentViews,
  requireInvestment,
  signedDocumentView,
  updateInvestment,
  visibleInvestments,
} from './service.ts';

const Status = Type.Enum([...INVESTMENT_STATUSES]);
const Category = Type.Enum([...REQUIRED_DOCUMENT_CATEGORIES]);
const SignedDocumentBody = Closed({ category: Category, document_id: Uuid });

const InvestmentCreate = Closed({
  investor_id: Uuid,
  campaign_id: Uuid,
  units: Units,
  signed_at: opt(DateTime),
  signed_documents: opt(Type.Array(SignedDocumentBody, { maxItems: 20 })),
  accepted_at: opt(DateTime),
  paid_at: opt(DateTime),
  wallet: opt(Uuid),
  disagio: opt(Money),
});
const DistributorPatch = Closed({
  accepted_at: opt(DateTime),
  paid_at: opt(DateTime),
  wallet: opt(nullable(Uuid)),
  disagio: opt(Money),
});
const IssuerPatch = Closed({
  accepted_at: opt(DateTime),
  review_completed_at: opt(DateTime),
  paid_at: opt(DateTime),
});

const Investment = Type.Object({
  id: Uuid,
  investor_id: Uuid,
  campaign_id: Uuid,
  product_id: Uuid,
  status: Status,
  units: Type.Integer(),
  price_per_token: Money,
  investment_amount: Money,
  agio: Money,
  disagio: Money,
  accrued_interest: Money,
  payment_total: Money,
  remaining_amount: Type.Integer(),
  origin: Type.Union([Type.Literal('SUBSCRIPTION'), Type.Literal('TRANSFER')], {
    description: '`TRANSFER`: a holding received by a transfer (`transfer_id`), never signed, accepted or paid.',
  }),
  transfer_id: nullable(Uuid),
  wallet: nullable(Uuid),
  signed_at: nullable(DateTime),
  accepted_at: nullable(DateTime),
  paid_at: nullable(DateTime),
  delivered_at: nullable(DateTime),
  review_completed_at: nullable(DateTime),
  cancellation_date: nullable(DateTime),
  cancellation_reason: nullable(Type.String()),
  start_url: nullable(Type.String({ format: 'uri' })),
  payment_details: nullable(
    Type.Object({
      iban: Type.String(),
      account_holder: nullable(Type.String()),
      reference: Type.String(),
      amount: Money,
      due_date: nullable(Type.String({ format: 'date' })),
    }),
  ),
  created_at: DateTime,
  updated_at: DateTime,
});
const SignedDocument = Type.Object({ id: Uuid, category: Category, document_id: Uuid, created_at: DateTime });
const FundingInformation = Type.Object({
  allocation: Type.Integer(),
  units_signed: Type.Integer(),
  units_accepted: Type.Integer(),
  units_paid: Type.Integer(),
  units_delivered: Type.Integer(),
  units_available: Type.Integer(),
  investments_count: Type.Integer(),
  amount_raised: Money,
  updated_at: DateTime,
});

const tags = ['Investments'];

/**
 * Investments on the three surfaces: the distributor API (full), the issuer API (its products'
 * investments: read, accept, review, cancel with a reason) and the legacy prefix (distributor reads).
 */
export async function registerInvestmentRoutes(
  app: App,
  ctx: AppContext,
  surface: 'issuer' | 'distributor' | 'legacy',
): Promise<void> {
  const { db, config } = ctx;
  const viewerOf = (request: Parameters<typeof principalOf>[0]): InvestmentViewer => {
    const principal = principalOf(request);
    return surface === 'issuer'
      ? { kind: 'issuer', issuerId: issuerScope(principal) }
      : { kind: 'platform', platformId: platformScope(principal) };
  };
  const viewContext = (request: Parameters<typeof baseUrlOf>[0]) => ({ baseUrl: baseUrlOf(request, config.publicUrl) });

  const ListQuery =
    surface === 'issuer'
      ? Closed({ ...PageQuery, product_id: opt(Uuid), status: opt(Status) })
      : Closed({
          ...PageQuery,
          product_id: opt(Uuid),
          status: opt(Status),
          campaign_id: opt(Uuid),
          investor_id: opt(Uuid),
        });

  app.get(
    '/investments/',
    {
      config: { scope: 'investments:read' },
      schema: { tags, summary: 'List investments', querystring: ListQuery, response: { 200: PageOf(Investment) } },
    },
    async (request) => {
      const q = request.query as { product_id?: string; status?: string; campaign_id?: string; investor_id?: string };
      const base = visibleInvestments(db, viewerOf(request))
        .$if(q.product_id !== undefined, (b) => b.where('investments.product_id', '=', q.product_id!))
        .$if(q.status !== undefined, (b) => b.where('investments.status', '=', q.status!))
        .$if(q.campaign_id !== undefined, (b) => b.where('investments.campaign_id', '=', q.campaign_id!))
        .$if(q.investor_id !== undefined, (b) => b.where('investments.investor_id', '=', q.investor_id!));
      const page = await paginate<InvestmentRow, InvestmentRow>(
        request,
        config.publicUrl,
        base,
        'investments',
        (r) => r,
      );
      return { ...page, results: await investmentViews(db, page.results, viewContext(request)) };
    },
  );

  app.get(
    '/investments/:id/',
    {
      config: { scope: 'investments:read' },
      schema: { tags, summary: 'Read an investment', params: IdParams, response: { 200: Investment } },
    },
    async (request) => getInvestment(db, viewerOf(request), request.params.id, viewContext(request)),
  );

  app.get(
    '/investments/:id/signed-documents/',
    {
      config: { scope: 'investments:read' },
      schema: {
        tags,
        summary: 'List the signed documents of an investment',
        params: IdParams,
        querystring: Closed(PageQuery),
        response: { 200: PageOf(SignedDocument) },
      },
    },
    async (request) => {
      const id = await requireInvestment(db, viewerOf(request), request.params.id);
      const base = db.selectFrom('investment_documents').where('investment_documents.investment_id', '=', id);
      return paginate(request, config.publicUrl, base, 'investment_documents', signedDocumentView);
    },
  );

  if (surface === 'legacy') return;

  if (surface === 'issuer') {
    app.patch(
      '/investments/:id/',
      {
        config: { scope: 'investments:write' },
        schema: {
          tags,
          summary: 'Accept, record the review or the payment of an investment',
          params: IdParams,
          body: IssuerPatch,
          response: { 200: Investment },
        },
      },
      async (request, reply) =>
        mutate(db, request, reply, { status: 200 }, (trx) =>
          updateInvestment(trx, viewerOf(request), request.params.id, request.body, viewContext(request)),
        ),
    );
    app.post(
      '/investments/:id/cancellation/',
      {
        config: { scope: 'investments:write' },
        schema: {
          tags,
          summary: 'Cancel an investment as the issuer',
          description:
            '`CANCELLATION` of a `DELIVERED` investment (none of its units transferred) burns its units first: 202, the investment stays `DELIVERED` with `cancellation_reason` and `cancellation_date` noted, and becomes `CANCELLATION` (with a `CANCELLATION` registry statement) once the burn is on the ledger. Every other cancellation: 200, at once.',
          params: IdParams,
          body: Closed({ reason: Type.Enum([...ISSUER_CANCELLATION_REASONS]), cancellation_date: DateTime }),
          response: { 200: Investment, 202: Investment },
        },
      },
      async (request, reply) =>
        mutate(db, request, reply, { status: 200 }, (trx) =>
          cancelByIssuer(
            trx,
            issuerScope(principalOf(request)),
            request.params.id,
            request.body.reason,
            request.body.cancellation_date,
            viewContext(request),
          ),
        ),
    );
    return;
  }

  app.post(
    '/investments/',
    {
      config: { scope: 'investments:write' },
      schema: {
        tags,
        summary: 'Create an investment',
        description:
          'Without `signed_at` the investment starts a web-based subscription: status `PENDING` and a `start_url` (where enabled for the platform; otherwise 403 `web_subscription_not_enabled`).',
        body: InvestmentCreate,
        response: { 201: Investment },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 201 }, (trx) =>
        createInvestment(trx, platformScope(principalOf(request)), request.body, viewContext(request)),
      ),
  );
  app.patch(
    '/investments/:id/',
    {
      config: { scope: 'investments:write' },
      schema: {
        tags,
        summary: 'Accept, pay, set the wallet or the disagio of an investment',
        params: IdParams,
        body: DistributorPatch,
        response: { 200: Investment },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 200 }, (trx) =>
        updateInvestment(trx, viewerOf(request), request.params.id, request.body, viewContext(request)),
      ),
  );
  app.post(
    '/investments/:id/signed-documents/',
    {
      config: { scope: 'investments:write' },
      schema: {
        tags,
        summary: 'Attach a signed document',
        params: IdParams,
        body: SignedDocumentBody,
        response: { 201: SignedDocument },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 201 }, (trx) =>
        addSignedDocument(trx, platformScope(principalOf(request)), request.params.id, request.body),
      ),
  );
  app.post(
    '/investments/:id/cancellation/',
    {
      config: { scope: 'investments:write' },
      schema: {
        tags,
        summary: "Submit the investor's cancellation (ABORTION)",
        params: IdParams,
        body: Closed({ cancellation_date: DateTime }),
        response: { 200: Investment },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 200 }, (trx) =>
        cancelByInvestor(
          trx,
          platformScope(principalOf(request)),
          request.params.id,
          request.body.cancellation_date,
          viewContext(request),
        ),
      ),
  );
  app.get(
    '/products/:product_id/campaigns/:id/funding-information/',
    {
      config: { scope: 'products:read' },
      schema: {
        tags: ['Campaigns'],
        summary: 'The funding status of a campaign',
        params: Closed({ product_id: Uuid, id: Uuid }),
        response: { 200: FundingInformation },
      },
    },
    async (request) =>
      fundingInformation(db, platformScope(principalOf(request)), request.params.product_id, request.params.id),
  );
}
