import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jwtVerify, SignJWT } from 'jose';
import Type from 'typebox';
import type { Db } from '../db/database.ts';
import type { PrincipalType } from '../db/schema.ts';
import { ApiError } from './errors.ts';
import { verifySecret } from './secrets.ts';

export const SCOPES = [
  'issuers:read',
  'issuers:write',
  'products:read',
  'products:write',
  'investors:read',
  'investors:write',
  'investments:read',
  'investments:write',
  'documents:read',
  'documents:write',
  'webhooks:read',
  'webhooks:write',
] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling: the API client and the principal it is bound to. */
export interface Principal {
  apiClientId: string;
  type: PrincipalType;
  issuerId: string | null;
  platformId: string | null;
  scopes: ReadonlySet<string>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; routes without one need only a valid token. */
    scope?: Scope;
  }
}

const ISSUER = 'kontor';

/** The deployment's token signing key: created once, shared by every API process through the database. */
export async function tokenSigningKey(db: Db): Promise<Uint8Array> {
  const { randomBytes } = await import('node:crypto');
  await db
    .insertInto('kontor_settings')
    .values({ key: 'token_signing_key', value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('kontor_settings')
    .select('value')
    .where('key', '=', 'token_signing_key')
    .executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64url');
}

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

function sendOAuthError(reply: FastifyReply, e: OAuthError) {
  reply.code(e.status).header('cache-control', 'no-store');
  if (e.status === 401) reply.header('www-authenticate', 'Basic realm="kontor"');
  return reply.send({ error: e.error, error_description: e.description });
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  if (!header || !/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError(400, 'invalid_request', 'malformed Basic credentials');
  // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
  const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError(400, 'invalid_request', 'malformed Basic credentials');
  }
}

/** OAuth 2.0 client credentials (RFC 6749 §4.4) at the three token paths of spec §2. */
export async function registerOAuthRoutes(
  app: FastifyInstance,
  deps: { db: Db; signingKey: Uint8Array; ttlSeconds: number },
): Promise<void> {
  await app.register(async (scope) => {
    // Form bodies are parsed here only: every other route takes JSON.
    await scope.register((await import('@fastify/formbody')).default);
    // Bodies the parsers refuse (malformed JSON, another media type, too large) are answered in
    // the token endpoint's own error format (RFC 6749 §5.2), not as problem+json.
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status >= 500) {
        request.log.error({ err: error }, 'token request failed');
        return sendOAuthError(reply, new OAuthError(500, 'server_error', 'the token could not be issued'));
      }
      return sendOAuthError(reply, new OAuthError(status, 'invalid_request', error.message));
    });
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const body = (request.body ?? {}) as Record<string, unknown>;
        if (typeof body !== 'object' || Array.isArray(body)) {
          throw new OAuthError(400, 'invalid_request', 'the body must be a form or a JSON object');
        }
        const str = (k: string) => {
          const v = body[k];
          if (v === undefined) return undefined;
          if (typeof v !== 'string') throw new OAuthError(400, 'invalid_request', `${k} must be a string`);
          return v;
        };
        const grantType = str('grant_type');
        if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is required');
        if (grantType !== 'client_credentials') {
          throw new OAuthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
        }
        const basic = basicCredentials(request.headers.authorization);
        const bodyId = str('client_id');
        const bodySecret = str('client_secret');
        if (basic && bodySecret !== undefined) {
          throw new OAuthError(400, 'invalid_request', 'use one client authentication method, not two');
        }
        if (basic && bodyId !== undefined && bodyId !== basic.id) {
          throw new OAuthError(400, 'invalid_request', 'client_id differs from the Basic credentials');
        }
        const clientId = basic?.id ?? bodyId;
        const secret = basic?.secret ?? bodySecret;
        if (!clientId || secret === undefined) {
          throw new OAuthError(401, 'invalid_client', 'client authentication is required');
        }
        const client = await deps.db
          .selectFrom('api_clients')
          .selectAll()
          .where('client_id', '=', clientId)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (!client || !(await verifySecret(secret, client.secret_hash))) {
          throw new OAuthError(401, 'invalid_client', 'unknown client or wrong secret');
        }
        const asked = str('scope');
        let granted = client.scopes;
        if (asked !== undefined) {
          const wanted = asked.split(' ').filter(Boolean);
          const missing = wanted.filter((s) => !client.scopes.includes(s));
          if (missing.length > 0) {
            throw new OAuthError(400, 'invalid_scope', `not granted to this client: ${missing.join(' ')}`);
          }
          granted = [...new Set(wanted)];
        }
        const scopeString = granted.join(' ');
        const token = await new SignJWT({
          scope: scopeString,
          ptype: client.principal_type,
          pid: client.issuer_id ?? client.distribution_platform_id ?? null,
        })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
          .setIssuer(ISSUER)
          .setSubject(client.id)
          .setIssuedAt()
          .setExpirationTime(`${deps.ttlSeconds}s`)
          .sign(deps.signingKey);
        reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return reply.send({
          access_token: token,
          token_type: 'Bearer',
          expires_in: deps.ttlSeconds,
          scope: scopeString,
        });
      } catch (e) {
        if (e instanceof OAuthError) return sendOAuthError(reply, e);
        throw e;
      }
    };
    // RFC 6749 §5.2: the token endpoint's errors are its own JSON, not problem+json.
    const OAuthErrorBody = Type.Object(
      {
        error: Type.Union(
          ['invalid_request', 'invalid_client', 'unsupported_grant_type', 'invalid_scope', 'server_error'].map((e) =>
            Type.Literal(e),
          ),
        ),
        error_description: Type.String(),
      },
      { additionalProperties: false },
    );
    const schema = {
      tags: ['OAuth'],
      summary: 'Get an access token (client credentials)',
      description:
        'RFC 6749 §4.4. Form (`application/x-www-form-urlencoded`) or JSON body; client authentication in the body or by HTTP Basic.',
      response: {
        200: Type.Object(
          {
            access_token: Type.String(),
            token_type: Type.Literal('Bearer'),
            expires_in: Type.Integer({ minimum: 1, description: 'seconds' }),
            scope: Type.String({ description: 'the granted scopes, space-separated' }),
          },
          { additionalProperties: false },
        ),
        '4xx': {
          description:
            'RFC 6749 §5.2: 400 `invalid_request`, `unsupported_grant_type`, `invalid_scope`; 401 `invalid_client`.',
          content: { 'application/json': { schema: OAuthErrorBody } },
        },
        '5xx': {
          description: '500 `server_error`: the token could not be issued.',
          content: { 'application/json': { schema: OAuthErrorBody } },
        },
      },
    };
    for (const path of [
      '/api/external/oauth/token',
      '/api/external/issuer/oauth/token',
      '/api/external/distributor/oauth/token',
    ]) {
      scope.post(path, { schema }, handler);
    }
  });
}

/**
 * Tokens this process has verified, until they expire: a client sends the same token with every
 * request for its lifetime, and checking its signature again each time cost about a tenth of a
 * millisecond of CPU (jose's HMAC goes through WebCrypto). Exactly the same string, so the same
 * signature under the same key; the expiry is checked at every use. At most `capacity` entries,
 * the oldest dropped first.
 */
export class VerifiedTokens {
  readonly #payloads = new Map<string, Record<string, unknown> & { exp: number }>();

  constructor(readonly capacity = 10_000) {}

  get(token: string, nowSeconds = Date.now() / 1000): Record<string, unknown> | undefined {
    const payload = this.#payloads.get(token);
    if (!payload) return undefined;
    if (nowSeconds >= payload.exp) {
      this.#payloads.delete(token);
      return undefined;
    }
    return payload;
  }

  add(token: string, payload: Record<string, unknown>): void {
    // Tokens without an expiry are verified every time (Kontor issues none).
    if (typeof payload.exp !== 'number') return;
    if (this.#payloads.size >= this.capacity) this.#payloads.delete(this.#payloads.keys().next().value!);
    this.#payloads.set(token, payload as Record<string, unknown> & { exp: number });
  }

  get size(): number {
    return this.#payloads.size;
  }
}

/**
 * Authenticates every request of an API surface (onRequest, before the body is read) and
 * enforces the route's scope and the surface's principal types.
 */
export function authenticate(
  signingKey: Uint8Array,
  allowed: readonly PrincipalType[],
  surface: string,
): (request: FastifyRequest) => Promise<void> {
  const verified = new VerifiedTokens();
  return async (request) => {
    const header = request.headers.authorization;
    if (!header || !/^bearer /i.test(header)) {
      throw new ApiError(401, 'unauthenticated', 'a Bearer access token is required', undefined, {
        'www-authenticate': 'Bearer realm="kontor"',
      });
    }
    const token = header.slice(7).trim();
    let payload = verified.get(token);
    if (!payload) {
      try {
        ({ payload } = await jwtVerify(token, signingKey, { issuer: ISSUER, algorithms: ['HS256'] }));
      } catch {
        throw new ApiError(401, 'invalid_token', 'the access token is invalid or expired', undefined, {
          'www-authenticate': 'Bearer realm="kontor", error="invalid_token"',
        });
      }
      verified.add(token, payload);
    }
    const type = payload.ptype as PrincipalType;
    const principal: Principal = {
      apiClientId: String(payload.sub),
      type,
      issuerId: type === 'issuer' ? String(payload.pid) : null,
      platformId: type === 'distribution_platform' ? String(payload.pid) : null,
      scopes: new Set(
        String(payload.scope ?? '')
          .split(' ')
          .filter(Boolean),
      ),
    };
    request.principal = principal;
    if (!allowed.includes(type)) {
      throw new ApiError(403, 'wrong_surface', `a ${type} client cannot use the ${surface} API`);
    }
    const needed = request.routeOptions.config.scope;
    if (needed && !principal.scopes.has(needed)) {
      throw new ApiError(403, 'insufficient_scope', `this call needs the scope ${needed}`, undefined, {
        'www-authenticate': `Bearer realm="kontor", error="insufficient_scope", scope="${needed}"`,
      });
    }
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ApiError(401, 'unauthenticated', 'a Bearer access token is required');
  return request.principal;
}
