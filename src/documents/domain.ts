import { createHash } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { DocumentsTable } from '../db/schema.ts';
import type { Principal } from '../http/auth.ts';
import { ApiError, forbidden, invalidField } from '../http/errors.ts';

export type DocumentRow = Selectable<DocumentsTable>;
/** A document's metadata: everything but its content. */
export type DocumentMeta = Omit<DocumentRow, 'content'>;

/** The content types an upload may have, each recognised by the magic bytes its content starts with. */
export const DOCUMENT_TYPES = {
  'application/pdf': { magic: Buffer.from('%PDF-', 'latin1'), name: 'PDF', extension: '.pdf' },
  'image/png': { magic: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), name: 'PNG', extension: '.png' },
  'image/jpeg': { magic: Buffer.from([0xff, 0xd8, 0xff]), name: 'JPEG', extension: '.jpg' },
} as const;
export type DocumentType = keyof typeof DOCUMENT_TYPES;

/**
 * Declared part types that say nothing about the content (a client that does not know the type
 * sends these), and the usual aliases of the accepted types. Anything else that differs from what
 * the content is, is a mismatch.
 */
const GENERIC_DECLARED = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/x-binary']);
const ALIASES: Record<string, DocumentType> = {
  'application/x-pdf': 'application/pdf',
  'application/acrobat': 'application/pdf',
  'image/x-png': 'image/png',
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
};

/** Who owns a document: an issuer or a distribution platform (the registrar owns none). */
export type DocumentOwner =
  | { kind: 'issuer'; issuerId: string }
  | { kind: 'distribution_platform'; platformId: string };

/** The owner a caller's documents belong to; the registrar has no documents of its own (403). */
export function documentOwnerOf(principal: Pick<Principal, 'type' | 'issuerId' | 'platformId'>): DocumentOwner {
  if (principal.type === 'issuer' && principal.issuerId) return { kind: 'issuer', issuerId: principal.issuerId };
  if (principal.type === 'distribution_platform' && principal.platformId) {
    return { kind: 'distribution_platform', platformId: principal.platformId };
  }
  throw forbidden(
    'issuer_or_platform_only',
    'documents belong to an issuer or a distribution platform; use an issuer or platform client',
  );
}

/** The type the content is, by its first bytes; null when it is none of the accepted types. */
export function sniffDocumentType(content: Uint8Array): DocumentType | null {
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  for (const [type, { magic }] of Object.entries(DOCUMENT_TYPES) as [DocumentType, { magic: Buffer }][]) {
    if (bytes.length >= magic.length && bytes.subarray(0, magic.length).equals(magic)) return type;
  }
  return null;
}

/** The media type of a part's Content-Type header, lower case and without parameters. */
export function mediaTypeOf(declared: string | undefined | null): string {
  return (declared ?? '').split(';')[0]!.trim().toLowerCase();
}

const ACCEPTED = Object.values(DOCUMENT_TYPES)
  .map((t) => t.name)
  .join(', ');

/**
 * The content type of an upload, decided by its content; refused (415) when the content is not an
 * accepted type or the part declared another specific type.
 */
export function documentTypeOf(content: Uint8Array, declared: string | undefined): DocumentType {
  if (content.length === 0) throw invalidField('file', 'is empty');
  const sniffed = sniffDocumentType(content);
  const media = mediaTypeOf(declared);
  if (sniffed === null) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `the file is not a ${ACCEPTED} document: its content does not start with the signature of any of them` +
        (media && !GENERIC_DECLARED.has(media) ? ` (the part declared ${media})` : ''),
    );
  }
  const claimed = ALIASES[media] ?? media;
  if (!GENERIC_DECLARED.has(media) && claimed !== sniffed) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `the part declares ${media} but its content is ${DOCUMENT_TYPES[sniffed].name} (${sniffed}); ` +
        `declare ${sniffed} or application/octet-stream`,
    );
  }
  return sniffed;
}

export const MAX_FILENAME_LENGTH = 255;

// C0 and C1 controls, DEL, and the invisible format characters that can disguise a name
// (bidirectional overrides and isolates, zero-width characters, BOM).
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A safe file name: the last path segment, NFC, without control or invisible format characters,
 * trimmed, at most 255 characters (the extension is kept when shortening); a default name with
 * the type's extension when nothing usable remains.
 */
export function sanitizeFilename(raw: string | undefined | null, type: DocumentType): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  let name = base.normalize('NFC').replace(UNSAFE_CHARS, '').trim();
  if (name === '.' || name === '..' || /^\.+$/.test(name)) name = '';
  if (name === '') return `document${DOCUMENT_TYPES[type].extension}`;
  const chars = Array.from(name);
  if (chars.length > MAX_FILENAME_LENGTH) {
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 ? Array.from(name.slice(dot)) : [];
    const keep = extension.length > 0 && extension.length <= 16 ? extension : [];
    name =
      chars
        .slice(0, MAX_FILENAME_LENGTH - keep.length)
        .join('')
        .trimEnd() + keep.join('');
  }
  return name;
}

export interface InspectedUpload {
  filename: string;
  content_type: DocumentType;
  size: number;
  sha256: string;
  content: Buffer;
}

/** Checks an upload's content and names it: type by magic bytes, safe file name, size and SHA-256. */
export function inspectUpload(content: Buffer, declaredType: string | undefined, rawFilename: string | undefined) {
  const contentType = documentTypeOf(content, declaredType);
  return {
    filename: sanitizeFilename(rawFilename, contentType),
    content_type: contentType,
    size: content.length,
    sha256: createHash('sha256').update(content).digest('hex'),
    content,
  } satisfies InspectedUpload;
}

/**
 * What identifies an upload for idempotency (spec §3): its content (by hash) and its name. The
 * content type follows from the content, so it needs no place of its own.
 */
export function uploadFingerprint(upload: Pick<InspectedUpload, 'sha256' | 'filename'>): string {
  return `document-upload\nsha256:${upload.sha256}\nfilename:${upload.filename}`;
}

// RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
function rfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/**
 * `Content-Disposition: attachment` (RFC 6266) with a quoted ASCII fallback `filename` and, when
 * the name is not plain ASCII, the exact name as `filename*` (RFC 5987, UTF-8).
 */
export function contentDisposition(filename: string): string {
  const fallback = filename.replace(UNSAFE_CHARS, '').replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const header = `attachment; filename="${fallback}"`;
  return fallback === filename ? header : `${header}; filename*=UTF-8''${rfc5987(filename)}`;
}

/** The strong ETag of a document: its SHA-256. */
export const etagOf = (sha256: string) => `"${sha256}"`;

/** True when an If-None-Match header names this ETag (or is `*`). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

export function documentView(row: DocumentMeta) {
  return {
    id: row.id,
    filename: row.filename,
    content_type: row.content_type as DocumentType,
    size: Number(row.size),
    sha256: row.sha256,
    created_at: row.created_at,
  };
}
export type DocumentView = ReturnType<typeof documentView>;
