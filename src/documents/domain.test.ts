import { describe, expect, it } from 'vitest';
import { ApiError } from '../http/errors.ts';
import {
  contentDisposition,
  documentOwnerOf,
  documentTypeOf,
  etagMatches,
  inspectUpload,
  sanitizeFilename,
  sniffDocumentType,
  uploadFingerprint,
} from './domain.ts';

const PDF = Buffer.from('%PDF-1.7\n...', 'latin1');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0, 0x43]);

function problemOf(f: () => unknown): ApiError {
  try {
    f();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('document types', () => {
  it('are recognised by their magic bytes only', () => {
    expect(sniffDocumentType(PDF)).toBe('application/pdf');
    expect(sniffDocumentType(PNG)).toBe('image/png');
    expect(sniffDocumentType(JPEG)).toBe('image/jpeg');
    expect(sniffDocumentType(Buffer.from('%PDF'))).toBeNull();
    expect(sniffDocumentType(PNG.subarray(0, 7))).toBeNull();
    expect(sniffDocumentType(Buffer.from(' %PDF-1.4'))).toBeNull();
    expect(sniffDocumentType(Buffer.from('GIF89a'))).toBeNull();
    expect(sniffDocumentType(Buffer.alloc(0))).toBeNull();
  });

  it('accept a generic or matching declared type and refuse another (415)', () => {
    expect(documentTypeOf(PDF, 'application/pdf')).toBe('application/pdf');
    expect(documentTypeOf(PDF, 'Application/PDF; name=x')).toBe('application/pdf');
    expect(documentTypeOf(PDF, 'application/octet-stream')).toBe('application/pdf');
    expect(documentTypeOf(PDF, undefined)).toBe('application/pdf');
    expect(documentTypeOf(JPEG, 'image/jpg')).toBe('image/jpeg');
    const mismatch = problemOf(() => documentTypeOf(PNG, 'image/jpeg'));
    expect([mismatch.status, mismatch.code]).toEqual([415, 'unsupported_media_type']);
    expect(mismatch.detail).toContain('image/jpeg');
    expect(mismatch.detail).toContain('PNG');
    const other = problemOf(() => documentTypeOf(Buffer.from('<html>'), 'text/html'));
    expect(other.status).toBe(415);
    expect(other.detail).toContain('text/html');
    const empty = problemOf(() => documentTypeOf(Buffer.alloc(0), 'application/pdf'));
    expect([empty.status, empty.errors]).toEqual([400, { file: ['is empty'] }]);
  });
});

describe('sanitizeFilename', () => {
  it('keeps the last path segment without control or invisible format characters', () => {
    expect(sanitizeFilename('../../etc/passwd.pdf', 'application/pdf')).toBe('passwd.pdf');
    expect(sanitizeFilename('C:\\Users\\me\\Scan 1.png', 'image/png')).toBe('Scan 1.png');
    expect(sanitizeFilename('a\u0000b\u001fc\u007f\u0085.pdf', 'application/pdf')).toBe('abc.pdf');
    expect(sanitizeFilename('invoice\u202egnp.exe', 'image/png')).toBe('invoicegnp.exe');
    expect(sanitizeFilename('  spaced.pdf  ', 'application/pdf')).toBe('spaced.pdf');
    expect(sanitizeFilename('Zeichnungsschein für Anleger.pdf', 'application/pdf')).toBe(
      'Zeichnungsschein für Anleger.pdf',
    );
    // NFD input is stored as NFC.
    expect(sanitizeFilename('u\u0308.pdf', 'application/pdf')).toBe('\u00fc.pdf');
  });

  it('falls back to a default name with the type’s extension', () => {
    expect(sanitizeFilename(undefined, 'application/pdf')).toBe('document.pdf');
    expect(sanitizeFilename('', 'image/png')).toBe('document.png');
    expect(sanitizeFilename('..', 'image/jpeg')).toBe('document.jpg');
    expect(sanitizeFilename('dir/', 'image/jpeg')).toBe('document.jpg');
    expect(sanitizeFilename('\u0001\u0002', 'application/pdf')).toBe('document.pdf');
  });

  it('shortens to 255 characters, keeping the extension', () => {
    const long = sanitizeFilename(`${'x'.repeat(400)}.pdf`, 'application/pdf');
    expect(long).toHaveLength(255);
    expect(long.endsWith('x.pdf')).toBe(true);
    const wide = sanitizeFilename(`${'ü'.repeat(300)}`, 'application/pdf');
    expect(Array.from(wide)).toHaveLength(255);
    const emoji = sanitizeFilename(`${'😀'.repeat(300)}.png`, 'image/png');
    expect(Array.from(emoji)).toHaveLength(255);
    expect(emoji.endsWith('😀.png')).toBe(true);
  });
});

describe('contentDisposition', () => {
  it('quotes plain ASCII names', () => {
    expect(contentDisposition('bond terms.pdf')).toBe('attachment; filename="bond terms.pdf"');
  });

  it('adds an RFC 5987 filename* for other names, with a safe ASCII fallback', () => {
    expect(contentDisposition('Anleihebedingungen – 2026 (final)*.pdf')).toBe(
      `attachment; filename="Anleihebedingungen _ 2026 (final)*.pdf"; filename*=UTF-8''Anleihebedingungen%20%E2%80%93%202026%20%28final%29%2A.pdf`,
    );
    expect(contentDisposition('say "hi"\\%.pdf')).toBe(
      `attachment; filename="say _hi___.pdf"; filename*=UTF-8''say%20%22hi%22%5C%25.pdf`,
    );
    expect(contentDisposition("it's.pdf")).toBe(`attachment; filename="it's.pdf"`);
  });
});

describe('ownership and identity', () => {
  it('gives issuers and platforms their own documents and refuses the registrar', () => {
    expect(documentOwnerOf({ type: 'issuer', issuerId: 'i', platformId: null })).toEqual({
      kind: 'issuer',
      issuerId: 'i',
    });
    expect(documentOwnerOf({ type: 'distribution_platform', issuerId: null, platformId: 'p' })).toEqual({
      kind: 'distribution_platform',
      platformId: 'p',
    });
    const refused = problemOf(() => documentOwnerOf({ type: 'registrar', issuerId: null, platformId: null }));
    expect([refused.status, refused.code]).toEqual([403, 'issuer_or_platform_only']);
  });

  it('fingerprints an upload by content and name', () => {
    const a = inspectUpload(PDF, 'application/pdf', 'a.pdf');
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.size).toBe(PDF.length);
    expect(uploadFingerprint(a)).toBe(uploadFingerprint(inspectUpload(Buffer.from(PDF), undefined, 'dir/a.pdf')));
    expect(uploadFingerprint(a)).not.toBe(uploadFingerprint(inspectUpload(PDF, undefined, 'b.pdf')));
    expect(uploadFingerprint(a)).not.toBe(
      uploadFingerprint(inspectUpload(Buffer.concat([PDF, PDF]), undefined, 'a.pdf')),
    );
  });

  it('matches If-None-Match against the ETag', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('"x", W/"abc"', '"abc"')).toBe(true);
    expect(etagMatches('*', '"abc"')).toBe(true);
    expect(etagMatches('"abd"', '"abc"')).toBe(false);
    expect(etagMatches(undefined, '"abc"')).toBe(false);
  });
});
