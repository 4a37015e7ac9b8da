/** The command line of spec §11 on one KONTOR_HOME, with and without the server running. */
import { afterAll, describe, expect, it } from 'vitest';
import { type KontorProcess, runCli, startKontorProcess, tempHome } from './process.ts';

const home = tempHome();
const env = { KONTOR_HOME: home };
let kontor: KontorProcess | null = null;

afterAll(async () => {
  await kontor?.stop();
});

async function cliJson(...args: string[]) {
  const r = await runCli([...args, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('kontor command line', () => {
  it('works without a running server and keeps its state', async () => {
    const status = await cliJson('status');
    expect(status.api_running).toBe(false);
    expect(status.database).toMatchObject({ embedded: true, running: false });
    expect(status.chain).toMatchObject({ chain_id: 31337, embedded: true, running: false });

    const migrate = await runCli(['migrate'], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    const issuer = await cliJson('admin', 'issuer', 'create', '--name', 'Offline Issuer GmbH');
    const platform = await cliJson('admin', 'platform', 'create', '--name', 'Offline Platform GmbH');
    expect(await cliJson('admin', 'allow', '--issuer', issuer.id, '--platform', platform.id)).toMatchObject({
      is_allowed: true,
    });
    const ws = await cliJson('admin', 'web-subscription', '--platform', platform.id, '--enable');
    expect(ws.web_subscription_enabled).toBe(true);
    const client = await cliJson(
      'admin',
      'client',
      'create',
      '--platform',
      platform.id,
      '--scopes',
      'products:read,investors:read',
    );
    expect(client.client_secret).toMatch(/^ks_/);
    expect(client.scopes).toEqual(['products:read', 'investors:read']);
    const platforms = await cliJson('admin', 'platform', 'list');
    expect(platforms.map((p: { id: string }) => p.id)).toContain(platform.id);

    // A scope the principal type cannot hold is refused with exit code 1 and the reason.
    const bad = await runCli(
      ['admin', 'client', 'create', '--platform', platform.id, '--scopes', 'issuers:write'],
      env,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('issuers:write');
    const usage = await runCli(['admin', 'nonsense'], env);
    expect(usage.code).toBe(2);
  });

  it('starts with a demo set, answers the same commands while running, and stops cleanly', async () => {
    kontor = await startKontorProcess(env);
    // The database was not empty (the issuer above): no demo set is created then.
    expect(kontor.output()).toContain('Kontor is running.');
    expect(kontor.output()).toContain(`${kontor.url}/docs`);
    const status = await cliJson('status');
    expect(status).toMatchObject({ api_url: kontor.url, api_running: true });
    expect(status.database.running).toBe(true);
    expect(status.chain.running).toBe(true);
    expect(status.chain.rpc_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const demo = await cliJson('demo');
    expect(Object.keys(demo).sort()).toEqual([
      'api_url',
      'campaign_id',
      'distributor',
      'issuer',
      'product_id',
      'studio',
    ]);
    expect(demo.api_url).toBe(kontor.url);
    expect(Object.keys(demo.issuer).sort()).toEqual(['client_id', 'client_secret', 'id']);
    expect(Object.keys(demo.studio).sort()).toEqual(['email', 'password', 'url']);
    // The demo credentials work against the running server.
    const token = await fetch(`${kontor.url}/api/external/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: demo.distributor.client_id,
        client_secret: demo.distributor.client_secret,
      }),
    });
    const { access_token } = (await token.json()) as { access_token: string };
    const campaign = await fetch(
      `${kontor.url}/api/external/distributor/v2/products/${demo.product_id}/campaigns/${demo.campaign_id}/`,
      { headers: { authorization: `Bearer ${access_token}` } },
    );
    expect(campaign.status).toBe(200);
    const body = (await campaign.json()) as { is_campaign_active: boolean; agio_percent: string };
    expect(body.is_campaign_active).toBe(true);
    // So do the Studio credentials: the login form (with its CSRF cookie) opens a session.
    const loginPage = await fetch(`${demo.studio.url}/login`);
    const loginCookie = loginPage.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
    const login = await fetch(`${demo.studio.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
      body: new URLSearchParams({ _csrf: csrf, email: demo.studio.email, password: demo.studio.password }),
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/studio/');

    // A registrar task while the server runs uses the same database.
    const issuer = await cliJson('admin', 'issuer', 'create', '--name', 'Online Issuer GmbH');
    const issuers = await cliJson('admin', 'issuer', 'list');
    expect(issuers.map((i: { id: string }) => i.id)).toContain(issuer.id);

    expect(await kontor.stop('SIGTERM'), kontor.output()).toBe(0);
    kontor = null;
    const after = await cliJson('status');
    expect(after.api_running).toBe(false);
    expect(after.database.running).toBe(false);
    expect(after.chain.running).toBe(false);
    // State survives the restart.
    const again = await cliJson('admin', 'issuer', 'list');
    expect(again.map((i: { id: string }) => i.id)).toContain(issuer.id);
  });

  it('runs workers alone (kontor worker) and stops them on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const { join } = await import('node:path');
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'kontor.mjs'), 'worker'], {
      env: { ...process.env, ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(output)), 20_000);
      const check = setInterval(() => {
        if (output.includes('Kontor workers are running') && output.includes('Worker connected')) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 50);
    });
    // No HTTP listener in a worker process.
    expect(output).not.toContain('Server listening');
    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);
  });

  it('creates the demo set on an empty database and prints it', async () => {
    const fresh = tempHome();
    const started = await startKontorProcess({ KONTOR_HOME: fresh });
    try {
      expect(started.output()).toContain('A demo set was created on the empty database');
      expect(started.output()).toMatch(/client_secret\s+ks_/);
      expect((await fetch(`${started.url}/readyz`)).status).toBe(200);
    } finally {
      expect(await started.stop('SIGINT'), started.output()).toBe(0);
    }
  });
});
