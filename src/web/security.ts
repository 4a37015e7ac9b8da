/**
 * What every page needs to be safe: CSRF tokens bound to a session or a subscription (an HMAC
 * under a key derived from the deployment's signing key, so nothing is stored for them), cookies,
 * and the response headers that keep pages out of frames, caches and Referer headers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The CSRF token of a scope (`studio:<session>`, `subscribe:<token>`, `login:<nonce>`). */
export function csrfToken(key: Uint8Array, scope: string): string {
  const subkey = createHmac('sha256', key).update('kontor csrf v1').digest();
  return createHmac('sha256', subkey).update(scope).digest('base64url');
}

export function csrfValid(key: Uint8Array, scope: string, token: unknown): boolean {
  if (typeof token !== 'string') return false;
  const expected = Buffer.from(csrfToken(key, scope));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

export function cookie(
  name: string,
  value: string,
  options: { path: string; maxAgeSeconds?: number; secure: boolean },
): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${options.path}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
    ...(options.maxAgeSeconds !== undefined ? [`Max-Age=${options.maxAgeSeconds}`] : []),
  ].join('; ');
}

/**
 * Pages: no framing, no caching, no Referer (a subscription URL carries its secret), only the
 * deployment's own styles and no scripts.
 */
export const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;
