import multipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { App, AppContext, Surface } from '../http/app.ts';
import { principalOf } from '../http/auth.ts';
import { sendStoredFile } from '../http/download.ts';
import { ApiError, FieldErrorCollector, invalid } from '../http/errors.ts';
import { mutate } from '../http/idempotency.ts';
import { PageOf, PageQuery, paginate } from '../http/pagination.ts';
import { Closed, DateTime, IdParams, Uuid } from '../http/schemas.ts';
import {
  DOCUMENT_TYPES,
  type DocumentMeta,
  documentOwnerOf,
  documentView,
  type InspectedUpload,
  inspectUpload,
  uploadFingerprint,
} from './domain.ts';
import { createDocument, documentsListBase, getDocumentContentFor, getDocumentFor } from './service.ts';

const TYPES = Object.keys(DOCUMENT_TYPES) as (keyof typeof DOCUMENT_TYPES)[];
const ACCEPTED = Object.values(DOCUMENT_TYPES)
  .map((t) => t.name)
  .join(', ');

const Document = Type.Object({
  id: Uuid,
  filename: Type.String({ maxLength: 255 }),
  content_type: Type.Enum(TYPES, { description: 'decided by the content, not by the declared type' }),
  size: Type.Integer({ minimum: 1, description: 'bytes' }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256 of the content' }),
  created_at: DateTime,
});

/** The multipart form, for the OpenAPI document only: the route itself has no body schema (no AJV). */
const UploadForm = {
  type: 'object',
  required: ['file'],
  additionalProperties: false,
  description: `One part named \`file\`: a ${ACCEPTED} document of at most the configured size (DOCUMENT_MAX_BYTES, default 10 MiB).`,
  properties: {
    file: {
      type: 'string',
      format: 'binary',
      description: `The document. Its type is decided by its content (${ACCEPTED} signatures); a part Content-Type other than that type or application/octet-stream is refused (415).`,
    },
  },
} as const;

/** Multipart framing, part headers and a file name fit in this; a larger body cannot hold a valid upload. */
const MULTIPART_OVERHEAD = 64 * 1024;
/** Few parts are read at all: one file is expected, a few mistakes are named precisely, more are refused. */
const MULTIPART_LIMITS = { files: 3, fields: 8, parts: 10, fieldSize: 4096, fieldNameSize: 200, headerPairs: 20 };

const FORM_SHAPE = 'send multipart/form-data with exactly one part: the document, as a file named "file"';

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, 'payload_too_large', `the file is larger than the limit of ${maxBytes} bytes`);
}

function notMultipart(): ApiError {
  return new ApiError(415, 'unsupported_media_type', `uploads are multipart/form-data: ${FORM_SHAPE}`);
}

/** Reads a file stream to its end; refuses (413) what the parser truncated at the size limit. */
async function readCapped(stream: AsyncIterable<Buffer> & { truncated?: boolean }, maxBytes: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
  }
  if (stream.truncated || size > maxBytes) throw tooLarge(maxBytes);
  return Buffer.concat(chunks, size);
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // discarded
  }
}

/** Errors of the multipart parser → the API's problems; never a 500 for a bad body. */
function multipartProblem(error: unknown, maxBytes: number): unknown {
  if (error instanceof ApiError) return error;
  const e = error as { code?: string; statusCode?: number; message?: string };
  switch (e.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(maxBytes);
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return notMultipart();
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return invalid({ file: ['must be the only part of the form'] }, `too many parts: ${FORM_SHAPE}`);
    case 'FST_PROTO_VIOLATION':
      return invalid({ '(body)': ['has a part with a forbidden name'] }, FORM_SHAPE);
    case 'FST_MP_PREMATURE_CLOSE':
      return invalid({ '(body)': ['ended before the form was complete'] }, FORM_SHAPE);
    default:
      break;
  }
  if (e.statusCode !== undefined && e.statusCode >= 500) return error;
  return invalid({ '(body)': [`is not valid multipart/form-data (${e.message ?? 'unreadable'})`] }, FORM_SHAPE);
}

/**
 * Reads the upload of a request: exactly one file part named `file`, at most `maxBytes`, held in
 * memory (it is stored in the database in one transaction), then checked by its content.
 */
async function readUpload(request: FastifyRequest, maxBytes: number): Promise<InspectedUpload> {
  if (!request.isMultipart()) throw notMultipart();
  const declaredLength = Number(request.headers['content-length']);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes + MULTIPART_OVERHEAD) throw tooLarge(maxBytes);
  const fields = new FieldErrorCollector();
  let upload: { content: Buffer; mimetype: string; filename: string } | null = null;
  try {
    for await (const part of request.parts({ limits: { ...MULTIPART_LIMITS, fileSize: maxBytes } })) {
      if (part.type === 'file' && part.fieldname === 'file' && upload === null) {
        upload = { content: await readCapped(part.file, maxBytes), mimetype: part.mimetype, filename: part.filename };
        continue;
      }
      if (part.type === 'file') await drain(part.file);
      if (part.fieldname !== 'file') fields.add(part.fieldname || '(body)', 'is not a known field');
      else if (part.type === 'file') fields.add('file', 'must be sent once');
      else fields.add('file', 'must be a file part (with a filename), not a text field');
    }
  } catch (error) {
    throw multipartProblem(error, maxBytes);
  }
  if (upload === null && !fields.errors.file) fields.add('file', 'is required');
  if (!fields.empty || upload === null) throw invalid(fields.errors, `invalid upload: ${FORM_SHAPE}`);
  return inspectUpload(upload.content, upload.mimetype, upload.filename);
}

/**
 * Documents (spec §5, §6): the same endpoints on the issuer and the distributor surface, each
 * caller seeing only its own principal's documents. The routes live in their own plugin, the only
 * place where multipart bodies are parsed.
 */
export async function registerDocumentRoutes(app: App, ctx: AppContext, surface: Surface): Promise<void> {
  const { db, config } = ctx;
  const maxBytes = config.documentMaxBytes;
  const tags = ['Documents'];
  const owner = surface === 'issuer' ? 'your issuer' : 'your platform';

  await app.register(async (plugin) => {
    const docs = plugin as unknown as App;
    // This plugin parses multipart/form-data and nothing else: any other body is refused (415) before it is read.
    docs.removeAllContentTypeParsers();
    docs.addContentTypeParser('*', async () => {
      throw notMultipart();
    });
    await docs.register(multipart, {
      limits: { ...MULTIPART_LIMITS, fileSize: maxBytes },
      throwFileSizeLimit: true,
    });

    docs.post(
      '/documents/',
      {
        config: {
          scope: 'documents:write',
          // The form is documented in the OpenAPI document, but is not a body schema: AJV never sees it.
          swaggerTransform: ({ schema, url }) => ({
            schema: { ...schema, body: UploadForm, consumes: ['multipart/form-data'] } as typeof schema,
            url,
          }),
        },
        schema: {
          tags,
          summary: 'Upload a document',
          description:
            `\`multipart/form-data\` with exactly one part, a file named \`file\`: ${ACCEPTED}, decided by the ` +
            `content's signature. The document belongs to ${owner}. Over the size limit → 413 ` +
            '`payload_too_large`; another type, a declared type that does not match the content, or a body that ' +
            'is not multipart → 415 `unsupported_media_type`; a missing `file` part or other parts → 400. With ' +
            '`X-Idempotency-Key`, a retry of the same file under the same name returns the same document.',
          consumes: ['multipart/form-data'],
          response: { 201: Document },
        },
      },
      async (request, reply) => {
        const documentOwner = documentOwnerOf(principalOf(request));
        const upload = await readUpload(request, maxBytes);
        return mutate(db, request, reply, { status: 201, fingerprint: uploadFingerprint(upload) }, (trx) =>
          createDocument(trx, documentOwner, upload),
        );
      },
    );

    docs.get(
      '/documents/',
      {
        config: { scope: 'documents:read' },
        schema: {
          tags,
          summary: `List ${owner}’s documents`,
          querystring: Closed(PageQuery),
          response: { 200: PageOf(Document) },
        },
      },
      async (request) =>
        paginate<DocumentMeta, ReturnType<typeof documentView>>(
          request,
          config.publicUrl,
          documentsListBase(db, documentOwnerOf(principalOf(request))),
          'documents',
          documentView,
        ),
    );

    docs.get(
      '/documents/:id/',
      {
        config: { scope: 'documents:read' },
        schema: { tags, summary: 'Read a document’s metadata', params: IdParams, response: { 200: Document } },
      },
      async (request) => getDocumentFor(db, request.params.id, documentOwnerOf(principalOf(request))),
    );

    docs.get(
      '/documents/:id/content/',
      {
        config: { scope: 'documents:read' },
        schema: {
          tags,
          summary: 'Download a document',
          description:
            'The bytes as uploaded, with their `Content-Type`, `Content-Disposition: attachment` (RFC 6266; ' +
            'non-ASCII names as RFC 5987 `filename*`), `X-Content-Type-Options: nosniff` and the SHA-256 as a ' +
            'strong `ETag` (a matching `If-None-Match` → 304).',
          params: IdParams,
          produces: TYPES,
          response: {
            200: {
              description: 'The document’s content',
              content: Object.fromEntries(TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
              headers: {
                etag: { type: 'string', description: 'the quoted hex SHA-256 of the content' },
                'content-disposition': { type: 'string', description: 'attachment; filename="..."' },
              },
            },
            304: { description: 'Not modified (If-None-Match matched the ETag)', type: 'null' },
          },
        },
      },
      async (request, reply) => {
        const { document, content } = await getDocumentContentFor(
          db,
          request.params.id,
          documentOwnerOf(principalOf(request)),
        );
        return sendStoredFile(request, reply as FastifyReply, {
          sha256: document.sha256,
          contentType: document.content_type,
          filename: document.filename,
          content,
          headers: { 'content-security-policy': "default-src 'none'; sandbox" },
        });
      },
    );
  });
}
