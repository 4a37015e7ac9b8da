import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const home = () => mkdtempSync(join(tmpdir(), 'kontor-config-'));

describe('configuration', () => {
  it('allows private webhook targets in the embedded mode only, unless configured', () => {
    expect(loadConfig({ KONTOR_HOME: home() }).allowPrivateWebhookTargets).toBe(true);
    expect(loadConfig({ KONTOR_HOME: home(), DATABASE_URL: 'postgres://x/y' }).allowPrivateWebhookTargets).toBe(false);
    expect(
      loadConfig({ KONTOR_HOME: home(), DATABASE_URL: 'postgres://x/y', ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true' })
        .allowPrivateWebhookTargets,
    ).toBe(true);
  });

  it('reads WEBHOOK_RETRY_DELAYS as seconds and refuses anything else', () => {
    expect(loadConfig({ KONTOR_HOME: home(), WEBHOOK_RETRY_DELAYS: '1, 2,30' }).webhookRetryDelays).toEqual([1, 2, 30]);
    expect(loadConfig({ KONTOR_HOME: home() }).webhookRetryDelays).toBeNull();
    expect(() => loadConfig({ KONTOR_HOME: home(), WEBHOOK_RETRY_DELAYS: '1,x' })).toThrow(ConfigError);
  });

  it('has the documented defaults and refuses malformed values', () => {
    const config = loadConfig({ KONTOR_HOME: home() });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      environment: 'local',
      logLevel: 'info',
      tokenTtlSeconds: 3600,
    });
    expect(loadConfig({ KONTOR_HOME: home(), DATABASE_URL: 'postgres://x/y' }).environment).toBe('production');
    expect(() => loadConfig({ KONTOR_HOME: home(), PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ KONTOR_HOME: home(), WALLET_ENCRYPTION_KEY: 'short' })).toThrow(ConfigError);
  });

  it('takes CHAIN_RPC_TIMEOUT_MS from 100 to 120000 ms, 10 s by default', () => {
    expect(loadConfig({ KONTOR_HOME: home() }).chainRpcTimeoutMs).toBe(10_000);
    expect(loadConfig({ KONTOR_HOME: home(), CHAIN_RPC_TIMEOUT_MS: '750' }).chainRpcTimeoutMs).toBe(750);
    expect(() => loadConfig({ KONTOR_HOME: home(), CHAIN_RPC_TIMEOUT_MS: '99' })).toThrow(ConfigError);
    expect(() => loadConfig({ KONTOR_HOME: home(), CHAIN_RPC_TIMEOUT_MS: '120001' })).toThrow(ConfigError);
  });

  it('keeps the generated local keys across loads of the same KONTOR_HOME', () => {
    const h = home();
    expect(
      loadConfig({ KONTOR_HOME: h }).walletEncryptionKey.equals(loadConfig({ KONTOR_HOME: h }).walletEncryptionKey),
    ).toBe(true);
    expect(
      loadConfig({ KONTOR_HOME: h }).walletEncryptionKey.equals(
        loadConfig({ KONTOR_HOME: home() }).walletEncryptionKey,
      ),
    ).toBe(false);
  });
});
