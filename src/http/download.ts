import type { FastifyReply, FastifyRequest } from 'fastify';
import { contentDisposition, etagMatches, etagOf } from '../documents/domain.ts';

export interface StoredFile {
  sha256: string;
  contentType: string;
  filename: string;
  content: Buffer;
  /** Extra response headers (e.g. a sandboxing Content-Security-Policy for uploads). */
  headers?: Record<string, string>;
}

/**
 * Sends a stored file as an attachment: strong ETag from its SHA-256 (If-None-Match → 304),
 * nosniff, no caching, RFC 6266/5987 Content-Disposition. The one download path of the API.
 */
export function sendStoredFile(request: FastifyRequest, reply: FastifyReply, file: StoredFile) {
  const etag = etagOf(file.sha256);
  reply
    .header('etag', etag)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'private, no-store')
    .headers(file.headers ?? {});
  // A 304 has no body, so no Content-Type or Content-Length either.
  if (etagMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
  return reply
    .code(200)
    .header('content-type', file.contentType)
    .header('content-length', String(file.content.length))
    .header('content-disposition', contentDisposition(file.filename))
    .send(file.content);
}
