import Type from 'typebox';
import type { App, AppContext, Surface } from '../http/app.ts';
import { principalOf } from '../http/auth.ts';
import { mutate } from '../http/idempotency.ts';
import { PageOf, PageQuery, paginate } from '../http/pagination.ts';
import {
  BankAccount,
  Closed,
  DateTime,
  IdParams,
  LegalPerson,
  NaturalPerson,
  nullable,
  opt,
  Uuid,
} from '../http/schemas.ts';
import { issuerScope, requireRegistrar } from '../http/visibility.ts';
import { type IssuerRow, issuerView, type PlatformRow, platformView } from './domain.ts';
import { createIssuer, getIssuer, getPlatform, NO_ISSUER, updateIssuer } from './service.ts';

const IssuerBody = Closed({
  natural_person: opt(nullable(NaturalPerson)),
  legal_person: opt(nullable(LegalPerson)),
  bank_account: opt(nullable(BankAccount)),
});

const Issuer = Type.Object({
  id: Uuid,
  natural_person: nullable(NaturalPerson),
  legal_person: nullable(LegalPerson),
  bank_account: nullable(BankAccount),
  created_at: DateTime,
  updated_at: DateTime,
});

const Platform = Type.Object({
  id: Uuid,
  platform_company_name: Type.String(),
  is_allowed: nullable(Type.Boolean()),
  created_at: DateTime,
});

const tags = ['Issuers'];

export async function registerPartyRoutes(app: App, ctx: AppContext, surface: Surface): Promise<void> {
  if (surface !== 'issuer') return;
  const { db, config } = ctx;

  app.post(
    '/issuers/',
    {
      config: { scope: 'issuers:write' },
      schema: { tags, summary: 'Create an issuer (registrar)', body: IssuerBody, response: { 201: Issuer } },
    },
    async (request, reply) => {
      requireRegistrar(principalOf(request), 'create issuers');
      return mutate(db, request, reply, { status: 201 }, (trx) => createIssuer(trx, request.body));
    },
  );

  app.get(
    '/issuers/',
    {
      config: { scope: 'issuers:read' },
      schema: {
        tags,
        summary: 'List issuers',
        querystring: Closed(PageQuery),
        response: { 200: PageOf(Issuer) },
      },
    },
    async (request) => {
      const scope = issuerScope(principalOf(request));
      const base = db.selectFrom('issuers').$if(scope !== null, (q) => q.where('issuers.id', '=', scope!));
      return paginate<IssuerRow, ReturnType<typeof issuerView>>(request, config.publicUrl, base, 'issuers', issuerView);
    },
  );

  app.get(
    '/issuers/:id/',
    {
      config: { scope: 'issuers:read' },
      schema: { tags, summary: 'Read an issuer', params: IdParams, response: { 200: Issuer } },
    },
    async (request) => getIssuer(db, request.params.id, issuerScope(principalOf(request))),
  );

  app.patch(
    '/issuers/:id/',
    {
      config: { scope: 'issuers:write' },
      schema: {
        tags,
        summary: 'Update an issuer',
        params: IdParams,
        body: IssuerBody,
        response: { 200: Issuer },
      },
    },
    async (request, reply) =>
      mutate(db, request, reply, { status: 200 }, (trx) =>
        updateIssuer(trx, request.params.id, issuerScope(principalOf(request)), request.body),
      ),
  );

  app.get(
    '/distribution-platforms/',
    {
      config: { scope: 'issuers:read' },
      schema: {
        tags: ['Distribution platforms'],
        summary: 'List distribution platforms with this issuer’s allowance',
        querystring: Closed(PageQuery),
        response: { 200: PageOf(Platform) },
      },
    },
    async (request) => {
      const issuerId = issuerScope(principalOf(request));
      const base = db
        .selectFrom('distribution_platforms')
        .leftJoin('issuer_platform_allowances as a', (j) =>
          j
            .onRef('a.distribution_platform_id', '=', 'distribution_platforms.id')
            .on('a.issuer_id', '=', issuerId ?? NO_ISSUER),
        );
      return paginate<PlatformRow & { is_allowed: boolean | null }, ReturnType<typeof platformView>>(
        request,
        config.publicUrl,
        base,
        'distribution_platforms',
        (row) => platformView({ ...row, is_allowed: issuerId === null ? null : (row.is_allowed ?? false) }),
        (query) => query.select('a.is_allowed'),
      );
    },
  );

  app.get(
    '/distribution-platforms/:id/',
    {
      config: { scope: 'issuers:read' },
      schema: {
        tags: ['Distribution platforms'],
        summary: 'Read a distribution platform',
        params: IdParams,
        response: { 200: Platform },
      },
    },
    async (request) => getPlatform(db, request.params.id, issuerScope(principalOf(request))),
  );
}
