import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import { isStalePreparedStatement } from '../db/prepared.ts';
import { registerDocumentRoutes } from '../documents/routes.ts';
import { registerInvestmentRoutes } from '../investments/routes.ts';
import { registerInvestorRoutes } from '../investors/routes.ts';
import { registerLedgerRoutes, registerTransferRoutes } from '../ledger/routes.ts';
import { registerPartyRoutes } from '../parties/routes.ts';
import { registerProductRoutes } from '../products/routes.ts';
import { registerRegistryRoutes } from '../registry/routes.ts';
import { isPagePath, NOT_FOUND_PAGE, registerWeb } from '../web/app.ts';
import { PAGE_HEADERS } from '../web/security.ts';
import { registerWebhookRoutes } from '../webhooks/routes.ts';
import { authenticate, registerOAuthRoutes } from './auth.ts';
import { ApiError, databaseRuleError, invalid, problemOf } from './errors.ts';
import { ProblemResponses } from './schemas.ts';
import { fieldErrorsOf, validatorCompiler } from './validation.ts';

export interface AppContext {
  db: Db;
  config: Config;
  signingKey: Uint8Array;
  /** The ledger's JSON-RPC (the embedded anvil's when it is embedded), for pages that read it. */
  chainRpcUrl?: string;
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export type Surface = 'issuer' | 'distributor';

/** Where each API surface lives (spec §1) and which principals may call it. */
export const SURFACES = {
  issuer: { prefix: '/api/external/issuer/v2', principals: ['issuer', 'registrar'] },
  distributor: { prefix: '/api/external/distributor/v2', principals: ['distribution_platform'] },
  legacy: { prefix: '/api/external/v2', principals: ['distribution_platform'] },
} as const;

function mapError(error: FastifyError & { validationContext?: string }): ApiError {
  if (error instanceof ApiError) return error;
  const refused = databaseRuleError(error);
  if (refused) return refused;
  if (isStalePreparedStatement(error)) {
    return new ApiError(503, 'schema_changed', 'the database schema changed during this request; retry it', undefined, {
      'retry-after': '1',
    });
  }
  if (error.validation) {
    const context = error.validationContext;
    if (context === 'params') return new ApiError(404, 'not_found', 'no such resource');
    const prefix = context === 'body' ? '' : context === 'querystring' ? 'query' : (context ?? '');
    return invalid(fieldErrorsOf(error.validation as never, prefix));
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new ApiError(
        415,
        'unsupported_media_type',
        'this route takes application/json; document uploads take multipart/form-data',
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new ApiError(413, 'payload_too_large', 'the request body is larger than allowed');
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return invalid({ file: ['send exactly one part named file'] }, 'too many parts in the form');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return invalid({ '(body)': ['must be a JSON document'] }, 'the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return invalid({ '(body)': ['is not valid JSON'] }, 'the body is not valid JSON');
    default:
      break;
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') {
    return invalid({ '(body)': ['is not valid JSON'] }, 'the body is not valid JSON');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new ApiError(status, (error.code ?? 'bad_request').toLowerCase(), error.message);
  }
  return new ApiError(500, 'internal_error', 'an unexpected error occurred; it has been logged');
}

export async function buildApp(ctx: AppContext, options: { logger?: boolean } = {}): Promise<App> {
  const app = Fastify({
    logger: options.logger === false ? false : { level: ctx.config.logLevel },
    bodyLimit: ctx.config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => uuidv7(),
    routerOptions: { ignoreTrailingSlash: true },
    ajv: { customOptions: { removeAdditional: false } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  app.setValidatorCompiler(validatorCompiler);
  // JSON only (spec §1): plain text bodies are refused with 415 rather than parsed.
  app.removeContentTypeParser('text/plain');
  // Responses are plain JSON of the mapped objects; the schemas document them (and tests check them).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.decorateRequest('principal', null);

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const apiError = mapError(error);
    if (apiError.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: apiError.code, status: apiError.status }, 'request refused');
    if (apiError.headers) reply.headers(apiError.headers);
    return reply.code(apiError.status).type('application/problem+json').send(problemOf(apiError));
  });
  app.setNotFoundHandler((request, reply) =>
    isPagePath(request.url)
      ? reply.code(404).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(NOT_FOUND_PAGE())
      : reply
          .code(404)
          .type('application/problem+json')
          .send(problemOf(new ApiError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`))),
  );

  // Every API operation documents its error responses; registered before the description is
  // collected, so that it sees them.
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { hide?: boolean; response?: Record<string, unknown> } | undefined;
    if (!schema || schema.hide || !route.url.startsWith('/api/external/')) return;
    schema.response = { ...ProblemResponses, ...schema.response };
  });

  await app.register((await import('@fastify/swagger')).default, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kontor partner API',
        version: '2.0.0',
        description:
          'Issuer and distributor APIs of the Kontor crypto-securities registry. Errors are RFC 9457 problem+json with a stable `code`; lists are paginated with `limit` and `offset`; POST and PATCH accept `X-Idempotency-Key`.',
      },
      components: {
        securitySchemes: {
          oauth2: {
            type: 'oauth2',
            flows: { clientCredentials: { tokenUrl: '/api/external/oauth/token', scopes: {} } },
          },
        },
      },
      security: [{ oauth2: [] }],
    },
  });

  await registerOAuthRoutes(app as unknown as FastifyInstance, {
    db: ctx.db,
    signingKey: ctx.signingKey,
    ttlSeconds: ctx.config.tokenTtlSeconds,
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(ctx.db);
      return { status: 'ready' };
    } catch {
      return reply
        .code(503)
        .type('application/problem+json')
        .send(problemOf(new ApiError(503, 'not_ready', 'the database does not answer')));
    }
  });

  for (const surface of ['issuer', 'distributor', 'legacy'] as const) {
    const { prefix, principals } = SURFACES[surface];
    await app.register(
      async (scoped) => {
        scoped.addHook('onRequest', authenticate(ctx.signingKey, principals, surface));
        const api = scoped as unknown as App;
        await registerInvestmentRoutes(api, ctx, surface);
        // Legacy prefix: the same investment reads for distributors, nothing else.
        if (surface === 'legacy') return;
        await registerPartyRoutes(api, ctx, surface);
        await registerProductRoutes(api, ctx, surface);
        await registerDocumentRoutes(api, ctx, surface);
        await registerRegistryRoutes(api, ctx, surface);
        await registerWebhookRoutes(api, ctx);
        await registerTransferRoutes(api, ctx, surface);
        if (surface === 'distributor') {
          await registerInvestorRoutes(api, ctx);
          await registerLedgerRoutes(api, ctx);
        }
      },
      { prefix },
    );
  }

  await registerWeb(app as unknown as FastifyInstance, ctx);

  app.get('/api/external/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register((await import('@scalar/fastify-api-reference')).default, {
    routePrefix: '/docs',
    configuration: { url: '/api/external/openapi.json', title: 'Kontor API reference' },
  });
  return app;
}
