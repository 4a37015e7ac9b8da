import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../src/parties/service.ts';
import {
  type Api,
  createTenant,
  DISTRIBUTOR,
  getToken,
  ISSUER,
  productBody,
  startTestServer,
  type Tenant,
  type TestServer,
} from './helpers.ts';

// Small but real files of each accepted type.
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
  'latin1',
);
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]), Buffer.from('JFIF\0rest-of-jpeg')]);
const TEXT = Buffer.from('hello, this is not a PDF\n');

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A PDF of exactly `size` bytes. */
function pdfOfSize(size: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n', 'latin1');
  return Buffer.concat([head, Buffer.alloc(size - head.length, 0x20)]);
}

function form(content: Uint8Array, filename = 'file.bin', type = '', field = 'file'): FormData {
  const data = new FormData();
  data.append(field, new Blob([new Uint8Array(content)], type ? { type } : {}), filename);
  return data;
}

function upload(
  api: Api,
  prefix: string,
  content: Uint8Array,
  options: { filename?: string; type?: string; key?: string } = {},
) {
  return api.request('POST', `${prefix}/documents/`, {
    raw: form(content, options.filename ?? 'file.bin', options.type ?? ''),
    headers: options.key ? { 'x-idempotency-key': options.key } : {},
  });
}

/** A hand-written multipart body, for what FormData cannot send (control characters, odd parts). */
function rawMultipart(parts: { headers: string[]; body: Uint8Array | string }[], boundary = 'XyZboundary') {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${part.headers.join('\r\n')}\r\n\r\n`, 'utf8'));
    chunks.push(typeof part.body === 'string' ? Buffer.from(part.body, 'utf8') : Buffer.from(part.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    raw: new Uint8Array(Buffer.concat(chunks)),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

async function documentRows(server: TestServer): Promise<number> {
  const row = await server.db
    .selectFrom('documents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

let server: TestServer;
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  server = await startTestServer();
  a = await createTenant(server, 'Alpha');
  b = await createTenant(server, 'Beta');
});
afterAll(async () => server?.close());

describe('uploading and reading documents', () => {
  it('stores a PDF for a platform and returns its metadata and exact bytes', async () => {
    const res = await upload(a.distributor, DISTRIBUTOR, PDF, {
      filename: 'subscription-form.pdf',
      type: 'application/pdf',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(Object.keys(res.body).sort()).toEqual(['content_type', 'created_at', 'filename', 'id', 'sha256', 'size']);
    expect(res.body).toMatchObject({
      filename: 'subscription-form.pdf',
      content_type: 'application/pdf',
      size: PDF.length,
      sha256: sha256(PDF),
    });
    expect(res.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

    const meta = await a.distributor.get(`${DISTRIBUTOR}/documents/${res.body.id}/`);
    expect(meta.status).toBe(200);
    expect(meta.body).toEqual(res.body);
    const noSlash = await a.distributor.get(`${DISTRIBUTOR}/documents/${res.body.id}`);
    expect(noSlash.body).toEqual(res.body);

    const content = await fetch(`${server.url}${DISTRIBUTOR}/documents/${res.body.id}/content/`, {
      headers: { authorization: `Bearer ${a.distributor.token}` },
    });
    expect(content.status).toBe(200);
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(bytes.equals(PDF)).toBe(true);
    expect(sha256(bytes)).toBe(res.body.sha256);
    expect(content.headers.get('content-type')).toBe('application/pdf');
    expect(content.headers.get('content-length')).toBe(String(PDF.length));
    expect(content.headers.get('content-disposition')).toBe('attachment; filename="subscription-form.pdf"');
    expect(content.headers.get('x-content-type-options')).toBe('nosniff');
    expect(content.headers.get('etag')).toBe(`"${sha256(PDF)}"`);

    const notModified = await fetch(`${server.url}${DISTRIBUTOR}/documents/${res.body.id}/content/`, {
      headers: { authorization: `Bearer ${a.distributor.token}`, 'if-none-match': `"${sha256(PDF)}"` },
    });
    expect(notModified.status).toBe(304);
    expect((await notModified.arrayBuffer()).byteLength).toBe(0);
  });

  it('stores a PNG and a JPEG for an issuer, typed by their content', async () => {
    const png = await upload(a.issuer, ISSUER, PNG, { filename: 'logo.png' });
    expect(png.status).toBe(201);
    expect(png.body).toMatchObject({ content_type: 'image/png', size: PNG.length, sha256: sha256(PNG) });
    const content = await fetch(`${server.url}${ISSUER}/documents/${png.body.id}/content`, {
      headers: { authorization: `Bearer ${a.issuer.token}` },
    });
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await content.arrayBuffer()).equals(PNG)).toBe(true);

    const jpeg = await upload(a.issuer, ISSUER, JPEG, { filename: 'passport.jpg', type: 'image/jpg' });
    expect(jpeg.status).toBe(201);
    expect(jpeg.body.content_type).toBe('image/jpeg');
  });

  it('sanitizes file names and encodes non-ASCII ones (RFC 6266 / 5987)', async () => {
    const res = await upload(a.distributor, DISTRIBUTOR, PDF, { filename: '../../etc/Zeichnungsschein \u202eüß.pdf' });
    expect(res.status).toBe(201);
    expect(res.body.filename).toBe('Zeichnungsschein üß.pdf');
    const content = await a.distributor.get(`${DISTRIBUTOR}/documents/${res.body.id}/content/`);
    expect(content.headers.get('content-disposition')).toBe(
      `attachment; filename="Zeichnungsschein __.pdf"; filename*=UTF-8''Zeichnungsschein%20%C3%BC%C3%9F.pdf`,
    );

    // Control characters and a Windows path, which FormData cannot send.
    const body = rawMultipart([
      {
        headers: [
          'Content-Disposition: form-data; name="file"; filename="C:\\Users\\x\\bad\tname\x07.pdf"',
          'Content-Type: application/pdf',
        ],
        body: PDF,
      },
    ]);
    const raw = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, body);
    expect(raw.status).toBe(201);
    expect(raw.body.filename).toBe('badname.pdf');

    const long = await upload(a.distributor, DISTRIBUTOR, PDF, { filename: `${'a'.repeat(300)}.pdf` });
    expect(long.status).toBe(201);
    expect(long.body.filename).toBe(`${'a'.repeat(251)}.pdf`);

    const unnamed = await upload(a.distributor, DISTRIBUTOR, PNG, { filename: '..' });
    expect(unnamed.status).toBe(201);
    expect(unnamed.body.filename).toBe('document.png');
  });

  it('lists only the caller’s documents, oldest first, without their content', async () => {
    const t = await createTenant(server, 'Lister');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await upload(t.distributor, DISTRIBUTOR, PDF, { filename: `${i}.pdf` })).body.id);
    const page = await t.distributor.get(`${DISTRIBUTOR}/documents/?limit=2`);
    expect(page.status).toBe(200);
    expect(page.body.count).toBe(3);
    expect(page.body.results.map((d: { id: string }) => d.id)).toEqual(ids.slice(0, 2));
    expect(Object.keys(page.body.results[0]).sort()).toEqual([
      'content_type',
      'created_at',
      'filename',
      'id',
      'sha256',
      'size',
    ]);
    expect(page.body.next).toContain('offset=2');
    const next = await t.distributor.get(page.body.next);
    expect(next.body.results.map((d: { id: string }) => d.id)).toEqual(ids.slice(2));
    const issuerList = await t.issuer.get(`${ISSUER}/documents/`);
    expect(issuerList.body.count).toBe(0);
  });
});

describe('refused uploads', () => {
  it('refuses a file that is not a PDF, PNG or JPEG (415)', async () => {
    const before = await documentRows(server);
    const res = await upload(a.distributor, DISTRIBUTOR, TEXT, { filename: 'notes.txt', type: 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(res.body.detail).toMatch(/PDF, PNG, JPEG/);

    // Declared as a PDF, but the content is text.
    const lying = await upload(a.distributor, DISTRIBUTOR, TEXT, { filename: 'x.pdf', type: 'application/pdf' });
    expect(lying.status).toBe(415);
    // A PDF declared as something else.
    const mismatch = await upload(a.distributor, DISTRIBUTOR, PDF, { filename: 'x.png', type: 'image/png' });
    expect(mismatch.status).toBe(415);
    expect(mismatch.body.detail).toMatch(/declares image\/png but its content is PDF/);
    expect(await documentRows(server)).toBe(before);
  });

  it('refuses a body that is not multipart (415)', async () => {
    const json = await a.distributor.post(`${DISTRIBUTOR}/documents/`, { file: 'JVBERi0xLjQK' });
    expect(json.status).toBe(415);
    expect(json.body.code).toBe('unsupported_media_type');
    expect(json.body.detail).toMatch(/multipart\/form-data/);

    const text = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, {
      raw: '%PDF-1.4',
      headers: { 'content-type': 'application/pdf' },
    });
    expect(text.status).toBe(415);
    const empty = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`);
    expect(empty.status).toBe(415);
    expect(empty.body.code).toBe('unsupported_media_type');
  });

  it('refuses a form without a file part or with other parts (400 naming them)', async () => {
    const before = await documentRows(server);
    const noFile = new FormData();
    noFile.append('note', 'hello');
    const res = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, { raw: noFile });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_error');
    expect(res.body.errors).toEqual({ note: ['is not a known field'], file: ['is required'] });

    const emptyForm = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, { raw: new FormData() });
    expect(emptyForm.status).toBe(400);
    expect(emptyForm.body.errors).toEqual({ file: ['is required'] });

    const wrongName = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, {
      raw: form(PDF, 'x.pdf', 'application/pdf', 'document'),
    });
    expect(wrongName.status).toBe(400);
    expect(wrongName.body.errors.file).toEqual(['is required']);

    const extra = form(PDF, 'x.pdf');
    extra.append('category', 'effecta_document');
    const extraRes = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, { raw: extra });
    expect(extraRes.status).toBe(400);
    expect(extraRes.body.errors).toEqual({ category: ['is not a known field'] });
    expect(extraRes.body.detail).toMatch(/"file"/);

    const two = form(PDF, 'a.pdf');
    two.append('file', new Blob([new Uint8Array(PNG)]), 'b.png');
    const twoRes = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, { raw: two });
    expect(twoRes.status).toBe(400);
    expect(twoRes.body.errors).toEqual({ file: ['must be sent once'] });

    const textField = new FormData();
    textField.append('file', '%PDF-1.4 not a file part');
    const textRes = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, { raw: textField });
    expect(textRes.status).toBe(400);
    expect(Object.keys(textRes.body.errors)).toEqual(['file']);

    const many = new FormData();
    for (let i = 0; i < 20; i++) many.append(`f${i}`, 'x');
    const manyRes = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, { raw: many });
    expect(manyRes.status).toBe(400);
    expect(manyRes.body.errors.file).toBeDefined();

    const emptyFile = await upload(a.distributor, DISTRIBUTOR, new Uint8Array(0), { filename: 'empty.pdf' });
    expect(emptyFile.status).toBe(400);
    expect(emptyFile.body.errors).toEqual({ file: ['is empty'] });
    expect(await documentRows(server)).toBe(before);
  });

  it('answers a malformed multipart body with 400, never 500', async () => {
    const noBoundary = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, {
      raw: '--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-\r\n--x--\r\n',
      headers: { 'content-type': 'multipart/form-data' },
    });
    expect(noBoundary.status).toBe(400);
    expect(noBoundary.body.code).toBe('validation_error');

    const truncated = await a.distributor.request('POST', `${DISTRIBUTOR}/documents/`, {
      raw: '--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4 and then nothing',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
    expect(truncated.status).toBe(400);
  });

  it('refuses the registrar (403) and a token without documents:write (403)', async () => {
    const registrar = await server.db
      .transaction()
      .execute((trx) => createApiClient(trx, { name: 'operator', principal: 'registrar' }));
    const token = await getToken(server.api, registrar.client_id, registrar.client_secret);
    const res = await upload(server.api.withToken(token), ISSUER, PDF);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('issuer_or_platform_only');
    const list = await server.api.withToken(token).get(`${ISSUER}/documents/`);
    expect(list.status).toBe(403);

    const readOnly = await getToken(
      server.api,
      a.distributorClient.client_id,
      a.distributorClient.client_secret,
      'documents:read',
    );
    const refused = await upload(server.api.withToken(readOnly), DISTRIBUTOR, PDF);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
  });

  it('does not accept multipart on other routes', async () => {
    const res = await a.issuer.request('POST', `${ISSUER}/products/`, { raw: form(PDF, 'x.pdf') });
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
    // JSON still works there.
    expect((await a.issuer.post(`${ISSUER}/products/`, productBody({ asset_code: 'DOC1' }))).status).toBe(201);
  });
});

describe('size limit', () => {
  let small: TestServer;
  let t: Tenant;
  beforeAll(async () => {
    small = await startTestServer({ documentMaxBytes: 1024 });
    t = await createTenant(small, 'Small');
  });
  afterAll(async () => small?.close());

  it('accepts a file of exactly the limit', async () => {
    const res = await upload(t.distributor, DISTRIBUTOR, pdfOfSize(1024), { filename: 'limit.pdf' });
    expect(res.status).toBe(201);
    expect(res.body.size).toBe(1024);
  });

  it('refuses a larger file with 413 problem+json and stores nothing', async () => {
    const before = await documentRows(small);
    for (const size of [1025, 5000, 200_000]) {
      const res = await upload(t.distributor, DISTRIBUTOR, pdfOfSize(size), {
        filename: 'big.pdf',
        key: `big-${size}`,
      });
      expect(res.status, `size ${size}`).toBe(413);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 413, code: 'payload_too_large' });
      expect(res.body.detail).toContain('1024');
    }
    expect(await documentRows(small)).toBe(before);
    const keys = await small.db.selectFrom('idempotency_keys').select('key').where('key', 'like', 'big-%').execute();
    expect(keys).toEqual([]);
    // The connection is still usable afterwards.
    expect((await t.distributor.get(`${DISTRIBUTOR}/documents/`)).status).toBe(200);
  });
});

describe('ownership', () => {
  it('gives another tenant 404 for a document, its content and its listing', async () => {
    const doc = await upload(a.distributor, DISTRIBUTOR, PDF, { filename: 'a.pdf' });
    expect(doc.status).toBe(201);
    const meta = await b.distributor.get(`${DISTRIBUTOR}/documents/${doc.body.id}/`);
    expect(meta.status).toBe(404);
    expect(meta.body.code).toBe('not_found');
    const content = await b.distributor.get(`${DISTRIBUTOR}/documents/${doc.body.id}/content/`);
    expect(content.status).toBe(404);
    expect(content.headers.get('content-type')).toContain('application/problem+json');
    const list = await b.distributor.get(`${DISTRIBUTOR}/documents/`);
    expect(list.body.results.map((d: { id: string }) => d.id)).not.toContain(doc.body.id);
    expect((await b.distributor.get(`${DISTRIBUTOR}/documents/not-a-uuid/`)).status).toBe(404);
  });

  it('keeps an issuer’s and a platform’s documents apart, even of the same tenant', async () => {
    const issuerDoc = await upload(a.issuer, ISSUER, PNG, { filename: 'issuer.png' });
    const platformDoc = await upload(a.distributor, DISTRIBUTOR, PNG, { filename: 'platform.png' });
    expect(issuerDoc.status).toBe(201);
    expect(platformDoc.status).toBe(201);
    expect((await a.issuer.get(`${ISSUER}/documents/${platformDoc.body.id}/`)).status).toBe(404);
    expect((await a.issuer.get(`${ISSUER}/documents/${platformDoc.body.id}/content/`)).status).toBe(404);
    expect((await a.distributor.get(`${DISTRIBUTOR}/documents/${issuerDoc.body.id}/`)).status).toBe(404);
    expect((await a.issuer.get(`${ISSUER}/documents/${issuerDoc.body.id}/`)).status).toBe(200);

    const row = await server.db
      .selectFrom('documents')
      .select(['issuer_id', 'distribution_platform_id'])
      .where('id', '=', issuerDoc.body.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ issuer_id: a.issuerId, distribution_platform_id: null });
    const prow = await server.db
      .selectFrom('documents')
      .select(['issuer_id', 'distribution_platform_id'])
      .where('id', '=', platformDoc.body.id)
      .executeTakeFirstOrThrow();
    expect(prow).toEqual({ issuer_id: null, distribution_platform_id: a.platformId });

    const issuerIds = (await a.issuer.get(`${ISSUER}/documents/?limit=500`)).body.results.map(
      (d: { id: string }) => d.id,
    );
    expect(issuerIds).toContain(issuerDoc.body.id);
    expect(issuerIds).not.toContain(platformDoc.body.id);
  });
});

describe('idempotent uploads', () => {
  it('replays the same upload under the same key and stores one document', async () => {
    const before = await documentRows(server);
    const first = await upload(a.distributor, DISTRIBUTOR, PDF, { filename: 'retry.pdf', key: 'upload-1' });
    expect(first.status).toBe(201);
    const again = await upload(a.distributor, DISTRIBUTOR, PDF, { filename: 'retry.pdf', key: 'upload-1' });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await documentRows(server)).toBe(before + 1);

    const otherFile = await upload(a.distributor, DISTRIBUTOR, PNG, { filename: 'retry.pdf', key: 'upload-1' });
    expect(otherFile.status).toBe(422);
    expect(otherFile.body.code).toBe('idempotency_key_reused');
    const otherName = await upload(a.distributor, DISTRIBUTOR, PDF, { filename: 'renamed.pdf', key: 'upload-1' });
    expect(otherName.status).toBe(422);
    expect(await documentRows(server)).toBe(before + 1);

    // The key is the client's: another client may use it for its own upload.
    const otherClient = await upload(b.distributor, DISTRIBUTOR, PDF, { filename: 'retry.pdf', key: 'upload-1' });
    expect(otherClient.status).toBe(201);
    expect(otherClient.body.id).not.toBe(first.body.id);
  });

  it('does not store a refused upload under its key', async () => {
    const refused = await upload(a.distributor, DISTRIBUTOR, TEXT, { filename: 'a.txt', key: 'upload-2' });
    expect(refused.status).toBe(415);
    const accepted = await upload(a.distributor, DISTRIBUTOR, PDF, { filename: 'a.pdf', key: 'upload-2' });
    expect(accepted.status).toBe(201);
  });
});

describe('OpenAPI', () => {
  it('documents the upload as multipart/form-data and the download as binary', async () => {
    const res = await server.api.get('/api/external/openapi.json');
    expect(res.status).toBe(200);
    for (const prefix of [ISSUER, DISTRIBUTOR]) {
      const collection = res.body.paths[`${prefix}/documents/`];
      expect(collection.post.tags).toEqual(['Documents']);
      expect(collection.post.requestBody.content['multipart/form-data'].schema).toMatchObject({
        type: 'object',
        required: ['file'],
        properties: { file: { type: 'string', format: 'binary' } },
      });
      expect(collection.post.requestBody.content['application/json']).toBeUndefined();
      expect(collection.post.responses['201'].content['application/json'].schema.properties.sha256).toBeDefined();
      expect(collection.get).toBeDefined();
      expect(res.body.paths[`${prefix}/documents/{id}/`].get).toBeDefined();
      const content = res.body.paths[`${prefix}/documents/{id}/content/`].get;
      expect(Object.keys(content.responses['200'].content).sort()).toEqual([
        'application/pdf',
        'image/jpeg',
        'image/png',
      ]);
    }
  });
});
