/**
 * The web pages in the API's process: Studio (/studio) and the web-based subscription
 * (/subscribe/<token>), each in its own scope with form bodies, page headers and HTML errors.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { AppContext } from '../http/app.ts';
import { ApiError } from '../http/errors.ts';
import { STYLESHEET } from './assets.ts';
import { errorPage } from './errors.tsx';
import { PAGE_HEADERS } from './security.ts';
import { registerStudioRoutes } from './studio/routes.tsx';
import { registerSubscriptionRoutes } from './subscribe/routes.tsx';

/** Unknown paths under the pages' prefixes get an HTML 404 (the API's get problem+json). */
export function isPagePath(url: string): boolean {
  return url.startsWith('/studio') || url.startsWith('/subscribe/');
}

export const NOT_FOUND_PAGE = () => errorPage(404, 'There is nothing here, or not for you.');

export async function registerWeb(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/assets/kontor.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  );
  await app.register(async (web) => {
    await web.register((await import('@fastify/formbody')).default);
    web.addHook('onRequest', async (_request, reply) => {
      reply.headers(PAGE_HEADERS);
    });
    web.setErrorHandler((error: FastifyError, request, reply) => {
      const known = error instanceof ApiError ? error : null;
      const status = known?.status ?? (error.statusCode && error.statusCode < 500 ? error.statusCode : 500);
      if (status >= 500) request.log.error({ err: error }, 'page failed');
      const message =
        status === 404
          ? 'There is nothing here, or not for you.'
          : status >= 500
            ? 'Something went wrong on our side. Nothing was changed; please try again.'
            : (known?.detail ?? error.message);
      return reply.code(status).type('text/html; charset=utf-8').send(errorPage(status, message));
    });
    // Pages are not part of the API's OpenAPI description.
    web.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, hide: true };
    });
    await registerStudioRoutes(web, ctx);
    await registerSubscriptionRoutes(web, ctx);
  });
}
