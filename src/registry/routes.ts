import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import type { App, AppContext, Surface } from '../http/app.ts';
import { principalOf } from '../http/auth.ts';
import { sendStoredFile } from '../http/download.ts';
import { PageOf, PageQuery, paginate } from '../http/pagination.ts';
import { Closed, DateTime, IdParams, Uuid } from '../http/schemas.ts';
import { issuerScope, platformScope } from '../http/visibility.ts';
import { type InvestmentViewer, requireInvestment } from '../investments/service.ts';
import { STATEMENT_REASONS, statementFileName } from './domain.ts';
import {
  getStatement,
  getStatementContent,
  type StatementMeta,
  type StatementView,
  statementsListBase,
  statementView,
} from './service.ts';

const RegistryStatement = Type.Object({
  id: Uuid,
  investment_id: Uuid,
  reason: Type.Enum([...STATEMENT_REASONS]),
  units: Type.Integer({ minimum: 0, description: 'the units the entry concerns; for ANNUAL the units held' }),
  remaining_amount: Type.Integer({ minimum: 0, description: 'the units held from the investment after the entry' }),
  created_at: DateTime,
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256 of the PDF' }),
});

const StatementParams = Closed({ id: Uuid, statement_id: Uuid });

/** The PDF's bytes (for the OpenAPI document; a map, so that the reply's type is not taken from it). */
const PDF_CONTENT: Record<string, { schema: object }> = {
  'application/pdf': { schema: { type: 'string', format: 'binary' } },
};

const tags = ['Registry statements'];

/**
 * Registry statements (spec §6, §9), read-only: on the distributor surface for the platform's
 * investments, on the issuer surface for the investments into the issuer's products.
 */
export async function registerRegistryRoutes(app: App, ctx: AppContext, surface: Surface): Promise<void> {
  const { db, config } = ctx;
  const viewerOf = (request: Parameters<typeof principalOf>[0]): InvestmentViewer => {
    const principal = principalOf(request);
    return surface === 'issuer'
      ? { kind: 'issuer', issuerId: issuerScope(principal) }
      : { kind: 'platform', platformId: platformScope(principal) };
  };

  app.get(
    '/investments/:id/registry-statements/',
    {
      config: { scope: 'investments:read' },
      schema: {
        tags,
        summary: 'List the registry statements of an investment',
        description:
          'Oldest first. The first is issued when the investment is delivered (`ISSUANCE`); another after every change of its remaining amount, and one a year (`ANNUAL`) while it holds units.',
        params: IdParams,
        querystring: Closed(PageQuery),
        response: { 200: PageOf(RegistryStatement) },
      },
    },
    async (request) => {
      const id = await requireInvestment(db, viewerOf(request), request.params.id);
      return paginate<StatementMeta, StatementView>(
        request,
        config.publicUrl,
        statementsListBase(db, id),
        'registry_statements',
        statementView,
      );
    },
  );

  app.get(
    '/investments/:id/registry-statements/:statement_id/',
    {
      config: { scope: 'investments:read' },
      schema: {
        tags,
        summary: 'Read a registry statement',
        params: StatementParams,
        response: { 200: RegistryStatement },
      },
    },
    async (request) => getStatement(db, viewerOf(request), request.params.id, request.params.statement_id),
  );

  app.get(
    '/investments/:id/registry-statements/:statement_id/content/',
    {
      config: { scope: 'investments:read' },
      schema: {
        tags,
        summary: 'Download a registry statement (PDF)',
        description:
          'The PDF as issued, `application/pdf` with `Content-Disposition: attachment` and its SHA-256 as a strong `ETag` (a matching `If-None-Match` → 304).',
        params: StatementParams,
        produces: ['application/pdf'],
        response: {
          200: {
            description: 'The statement’s PDF',
            content: PDF_CONTENT,
            headers: {
              etag: { type: 'string', description: 'the quoted hex SHA-256 of the PDF' },
              'content-disposition': { type: 'string', description: 'attachment; filename="..."' },
            },
          },
          304: { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' },
        },
      },
    },
    async (request, reply) => {
      const { statement, content } = await getStatementContent(
        db,
        viewerOf(request),
        request.params.id,
        request.params.statement_id,
      );
      return sendStoredFile(request, reply as FastifyReply, {
        sha256: statement.sha256,
        contentType: 'application/pdf',
        filename: statementFileName(statement.id),
        content,
      });
    },
  );
}
