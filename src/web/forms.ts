/** What every page route shares: the request's shape after form parsing, and sending a page. */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** A page request: form fields and query parameters may repeat (then they are arrays). */
export type PageRequest = FastifyRequest<{
  Params: Record<string, string>;
  Querystring: Record<string, string | string[]>;
  Body: Record<string, string | string[]>;
}>;

/** The first value of a field that may repeat. */
export const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** Every value of a field that may repeat. */
export const many = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function sendPage(reply: FastifyReply, status: number, page: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page);
}
