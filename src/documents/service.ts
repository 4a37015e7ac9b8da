import { type SelectQueryBuilder, sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../db/ids.ts';
import type { Database } from '../db/schema.ts';
import { notFound } from '../http/errors.ts';
import {
  type DocumentMeta,
  type DocumentOwner,
  type DocumentView,
  documentView,
  type InspectedUpload,
} from './domain.ts';

/** Every column but `content`: metadata reads never load a document's bytes. */
const META_COLUMNS = [
  'documents.id',
  'documents.issuer_id',
  'documents.distribution_platform_id',
  'documents.filename',
  'documents.content_type',
  'documents.size',
  'documents.sha256',
  'documents.created_at',
] as const;

function ownerColumns(owner: DocumentOwner) {
  return owner.kind === 'issuer'
    ? { issuer_id: owner.issuerId, distribution_platform_id: null }
    : { issuer_id: null, distribution_platform_id: owner.platformId };
}

/** The documents an owner sees: its own, no one else's (invariant 7). */
function ownedBy(db: Db | Trx, owner: DocumentOwner) {
  return owner.kind === 'issuer'
    ? db.selectFrom('documents').where('documents.issuer_id', '=', owner.issuerId)
    : db.selectFrom('documents').where('documents.distribution_platform_id', '=', owner.platformId);
}

/** Stores an upload (already checked by `inspectUpload`) as a document of its owner. */
export async function createDocument(trx: Trx, owner: DocumentOwner, upload: InspectedUpload): Promise<DocumentView> {
  const row = await trx
    .insertInto('documents')
    .values({
      id: uuidv7(),
      ...ownerColumns(owner),
      filename: upload.filename,
      content_type: upload.content_type,
      size: BigInt(upload.size),
      sha256: upload.sha256,
      content: upload.content,
    })
    .returning(META_COLUMNS)
    .executeTakeFirstOrThrow();
  return documentView(row);
}

/**
 * A document of this owner, by id (metadata only); 404 when it does not exist or belongs to
 * someone else. For other use cases too (e.g. attaching signed documents to an investment): pass
 * the transaction they run in.
 */
export async function getDocumentFor(db: Db | Trx, id: string, owner: DocumentOwner): Promise<DocumentView> {
  const row = await ownedBy(db, owner).select(META_COLUMNS).where('documents.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('document');
  return documentView(row);
}

/**
 * The query of which of these documents belong to the owner. The ids are one array parameter, so
 * the statement's text is the same however many there are (one prepared statement).
 */
export function ownedDocumentIdsQuery(db: Db | Trx, ids: string[], owner: DocumentOwner) {
  return ownedBy(db, owner).select('documents.id').where('documents.id', '=', sql<string>`any(${ids}::uuid[])`);
}

/** Which of these documents belong to the owner (one query for a request's list of documents). */
export async function ownedDocumentIds(db: Db | Trx, ids: string[], owner: DocumentOwner): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await ownedDocumentIdsQuery(db, ids, owner).execute();
  return new Set(rows.map((r) => r.id));
}

/** A document of this owner with its bytes; 404 as `getDocumentFor`. */
export async function getDocumentContentFor(
  db: Db | Trx,
  id: string,
  owner: DocumentOwner,
): Promise<{ document: DocumentView; content: Buffer }> {
  const row = await ownedBy(db, owner)
    .select([...META_COLUMNS, 'documents.content'])
    .where('documents.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound('document');
  return { document: documentView(row), content: row.content };
}

/**
 * The base query of an owner's document list, for `paginate` (which selects every column of the
 * table it is given): a derived table named `documents` without the `content` column, so that a
 * page of metadata never reads the documents' bytes.
 */
export function documentsListBase(db: Db, owner: DocumentOwner) {
  const meta = ownedBy(db, owner).select(META_COLUMNS).as('documents');
  // The derived table has the `documents` columns but `content`; paginate only selects, orders
  // by created_at and id, and counts.
  return db.selectFrom(meta) as unknown as SelectQueryBuilder<Database, 'documents', object>;
}

export type { DocumentMeta, DocumentOwner, DocumentView };
