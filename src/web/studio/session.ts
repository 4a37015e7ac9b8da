/**
 * Studio sessions: login with e-mail and password (scrypt hashes), a random session token in an
 * HttpOnly SameSite=Lax cookie (only its SHA-256 is stored), logout, and the CSRF token of the
 * session that every form carries.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import { hashSecret, verifySecret } from '../../http/secrets.ts';
import { cookie, csrfToken, readCookie } from '../security.ts';

export const SESSION_COOKIE = 'kontor_studio';
/** A session lasts a working day; then the user logs in again. */
export const SESSION_HOURS = 12;

export interface StudioUser {
  id: string;
  email: string;
  /** null: a registrar user (sees every issuer). */
  issuerId: string | null;
  sessionHash: string;
  csrf: string;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/** A hash to compare against when the e-mail is unknown, so both cases take the same time. */
let decoy: Promise<string> | null = null;

export async function logIn(db: Db, email: string, password: string): Promise<string | null> {
  const user = await db
    .selectFrom('studio_users')
    .select(['id', 'password_hash'])
    .where(sql`lower(email)`, '=', email.trim().toLowerCase())
    .executeTakeFirst();
  decoy ??= hashSecret(randomBytes(16).toString('hex'));
  const ok = await verifySecret(password, user?.password_hash ?? (await decoy));
  if (!user || !ok) return null;
  const token = randomBytes(32).toString('base64url');
  await db
    .insertInto('studio_sessions')
    .values({
      token_hash: hashOf(token),
      studio_user_id: user.id,
      expires_at: sql<string>`now() + make_interval(hours => ${SESSION_HOURS})`,
    })
    .execute();
  // Expired sessions of anyone are swept on the way.
  await db.deleteFrom('studio_sessions').where('expires_at', '<', sql<string>`now()`).execute();
  return token;
}

export async function sessionUser(
  db: Db,
  key: Uint8Array,
  cookieHeader: string | undefined,
): Promise<StudioUser | null> {
  const token = readCookie(cookieHeader, SESSION_COOKIE);
  if (!token) return null;
  const sessionHash = hashOf(token);
  const row = await db
    .selectFrom('studio_sessions')
    .innerJoin('studio_users', 'studio_users.id', 'studio_sessions.studio_user_id')
    .select(['studio_users.id', 'studio_users.email', 'studio_users.issuer_id'])
    .where('studio_sessions.token_hash', '=', sessionHash)
    .where('studio_sessions.expires_at', '>', sql<string>`now()`)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    email: row.email,
    issuerId: row.issuer_id,
    sessionHash,
    csrf: csrfToken(key, `studio:${sessionHash}`),
  };
}

export async function logOut(db: Db, sessionHash: string): Promise<void> {
  await db.deleteFrom('studio_sessions').where('token_hash', '=', sessionHash).execute();
}

export function sessionCookie(token: string | null, secure: boolean): string {
  return token === null
    ? cookie(SESSION_COOKIE, '', { path: '/studio', maxAgeSeconds: 0, secure })
    : cookie(SESSION_COOKIE, token, { path: '/studio', maxAgeSeconds: SESSION_HOURS * 3600, secure });
}
