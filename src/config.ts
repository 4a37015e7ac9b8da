import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** One typed configuration, read once from the environment. */
export interface Config {
  /** Folder of the embedded database, chain state and generated local secrets. */
  home: string;
  host: string;
  port: number;
  /** Base URL clients use; absolute links (pagination, start_url) are built from it. */
  publicUrl: string | null;
  /** Unset: the embedded PostgreSQL in `home` is used. */
  databaseUrl: string | null;
  /** Unset: the embedded anvil in `home` is used. */
  chainRpcUrl: string | null;
  registrarPrivateKey: string | null;
  /** The register-keeping body named on registry statements (`REGISTRAR_NAME`). */
  registrarName: string;
  smtpUrl: string | null;
  /** Sender of Kontor's e-mails (`MAIL_FROM`). */
  mailFrom: string;
  environment: string;
  webhookRetryDelays: number[] | null;
  logLevel: string;
  /** Largest accepted document upload, bytes. */
  documentMaxBytes: number;
  /** Largest accepted JSON body, bytes. */
  bodyLimitBytes: number;
  /** 32-byte key that encrypts managed wallets' private keys at rest. */
  walletEncryptionKey: Buffer;
  /** Private and loopback webhook targets allowed (on in the embedded demo mode). */
  allowPrivateWebhookTargets: boolean;
  tokenTtlSeconds: number;
  /** Blocks a ledger log must be deep before the indexer books it (`CHAIN_CONFIRMATIONS`). */
  chainConfirmations: number;
  /** How often the indexer looks at the ledger, ms (`LEDGER_POLL_INTERVAL_MS`). */
  ledgerPollMs: number;
  /** Most credits in one batch-mint transaction (`CREDIT_BATCH_MAX`, 1–250; 1 = one transaction per credit). */
  creditBatchMax: number;
  /** How long a chain RPC call may take before it counts as failed, ms (`CHAIN_RPC_TIMEOUT_MS`). */
  chainRpcTimeoutMs: number;
}

export class ConfigError extends Error {}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

/**
 * Local secrets for the embedded mode live in `home/secrets.json` (mode 0600) so that
 * every command on the same KONTOR_HOME uses the same keys. Production sets them by env.
 */
function localSecrets(home: string): { wallet_encryption_key: string; postgres_password: string } {
  const file = join(home, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  mkdirSync(home, { recursive: true });
  const secrets = {
    wallet_encryption_key: randomBytes(32).toString('hex'),
    postgres_password: randomBytes(18).toString('base64url'),
  };
  try {
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another command created it at the same moment: use that one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return JSON.parse(readFileSync(file, 'utf8'));
  }
  return secrets;
}

export function embeddedPostgresPassword(home: string): string {
  return localSecrets(home).postgres_password;
}

/** An integer setting that must lie in [min, max]. */
function intInRange(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const value = intFrom(env, name, fallback);
  if (value < min || value > max) throw new ConfigError(`${name} must be from ${min} to ${max}, got ${value}`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const home = resolve(env.KONTOR_HOME || '.kontor');
  const databaseUrl = env.DATABASE_URL || null;
  const chainRpcUrl = env.CHAIN_RPC_URL || null;
  let walletKeyHex = env.WALLET_ENCRYPTION_KEY || null;
  if (!walletKeyHex) walletKeyHex = localSecrets(home).wallet_encryption_key;
  if (!/^[0-9a-fA-F]{64}$/.test(walletKeyHex)) {
    throw new ConfigError('WALLET_ENCRYPTION_KEY must be 64 hex characters (32 bytes)');
  }
  let webhookRetryDelays: number[] | null = null;
  if (env.WEBHOOK_RETRY_DELAYS) {
    webhookRetryDelays = env.WEBHOOK_RETRY_DELAYS.split(',').map((part) => {
      const s = part.trim();
      if (!/^\d+$/.test(s)) throw new ConfigError('WEBHOOK_RETRY_DELAYS must be comma-separated seconds');
      return Number(s);
    });
  }
  const embedded = !databaseUrl && !chainRpcUrl;
  return {
    home,
    host: env.HOST || '127.0.0.1',
    port: intFrom(env, 'PORT', 8080),
    publicUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, '') : null,
    databaseUrl,
    chainRpcUrl,
    registrarPrivateKey: env.REGISTRAR_PRIVATE_KEY || null,
    registrarName: env.REGISTRAR_NAME?.trim() || 'Kontor registry',
    smtpUrl: env.SMTP_URL || null,
    mailFrom: env.MAIL_FROM || 'Kontor <no-reply@kontor.invalid>',
    environment: env.KONTOR_ENVIRONMENT || (embedded ? 'local' : 'production'),
    webhookRetryDelays,
    logLevel: env.LOG_LEVEL || 'info',
    documentMaxBytes: intFrom(env, 'DOCUMENT_MAX_BYTES', 10 * 1024 * 1024),
    bodyLimitBytes: intFrom(env, 'BODY_LIMIT_BYTES', 1024 * 1024),
    walletEncryptionKey: Buffer.from(walletKeyHex, 'hex'),
    allowPrivateWebhookTargets: env.ALLOW_PRIVATE_WEBHOOK_TARGETS
      ? env.ALLOW_PRIVATE_WEBHOOK_TARGETS === 'true'
      : embedded,
    tokenTtlSeconds: intFrom(env, 'TOKEN_TTL_SECONDS', 3600),
    // The embedded anvil mines only what Kontor sends and never reorganises; a public network
    // can, so there a log waits 12 blocks by default.
    chainConfirmations: intFrom(env, 'CHAIN_CONFIRMATIONS', chainRpcUrl ? 12 : 0),
    ledgerPollMs: intFrom(env, 'LEDGER_POLL_INTERVAL_MS', 2000),
    // 250 is what fits under the transaction gas cap (src/ledger/contract.ts).
    creditBatchMax: intInRange(env, 'CREDIT_BATCH_MAX', 250, 1, 250),
    chainRpcTimeoutMs: intInRange(env, 'CHAIN_RPC_TIMEOUT_MS', 10_000, 100, 120_000),
  };
}
