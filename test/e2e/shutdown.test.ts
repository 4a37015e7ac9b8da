/**
 * SIGTERM while requests are in flight: they finish or are refused whole; nothing is half-written.
 * A reader of the output that goes away stops nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, productBody } from '../helpers.ts';
import { type KontorProcess, runCli, startKontorProcess, tempHome } from './process.ts';

let database: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => database?.drop());

/** A new issuer with an API client, and an access token of that client from the running Kontor. */
async function issuerToken(
  kontor: KontorProcess,
  env: Record<string, string>,
  name: string,
): Promise<{ issuerId: string; access_token: string }> {
  const issuer = JSON.parse((await runCli(['admin', 'issuer', 'create', '--name', name, '--json'], env)).stdout);
  const client = JSON.parse((await runCli(['admin', 'client', 'create', '--issuer', issuer.id, '--json'], env)).stdout);
  const response = await fetch(`${kontor.url}/api/external/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
    }),
  });
  const { access_token } = (await response.json()) as { access_token: string };
  return { issuerId: issuer.id, access_token };
}

describe('graceful shutdown', () => {
  it('leaves exactly the acknowledged products behind', async () => {
    const env = { KONTOR_HOME: tempHome(), DATABASE_URL: database.url };
    const kontor = await startKontorProcess(env);
    const { issuerId, access_token } = await issuerToken(kontor, env, 'Shutdown AG');
    const create = (i: number) =>
      fetch(`${kontor.url}/api/external/issuer/v2/products/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify(productBody({ asset_code: `S${i}`, name: `shutdown ${i}` })),
      }).then(
        async (r) => ({ status: r.status, body: (await r.json()) as { id?: string } }),
        () => ({ status: 0, body: {} as { id?: string } }),
      );
    const inFlight = Array.from({ length: 60 }, (_, i) => create(i));
    await new Promise((r) => setTimeout(r, 30));
    const exit = kontor.stop('SIGTERM');
    const results = await Promise.all(inFlight);
    expect(await exit, kontor.output()).toBe(0);
    const acknowledged = results.filter((r) => r.status === 201).map((r) => r.body.id!);
    // Whatever was refused was refused cleanly (503 while closing, or no connection at all).
    for (const r of results) expect([201, 503, 0]).toContain(r.status);
    const stored = await database.db.selectFrom('products').select('id').where('issuer_id', '=', issuerId).execute();
    expect(stored.map((p) => p.id).sort()).toEqual(acknowledged.sort());
    expect(acknowledged.length).toBeGreaterThan(0);
  });
});

describe('output', () => {
  it('keeps serving when the reader of its output goes away, and still stops cleanly', async () => {
    // Info level: requests and the worker log, so output is written after the pipes closed.
    // A database of its own: the ledger jobs the shutdown test above left behind are not this test's.
    const own = await freshDatabase();
    const env = { KONTOR_HOME: tempHome(), DATABASE_URL: own.url, LOG_LEVEL: 'info' };
    const kontor = await startKontorProcess(env);
    kontor.child.stdout!.destroy();
    kontor.child.stderr!.destroy();
    const { access_token } = await issuerToken(kontor, env, 'Pipe AG');
    const call = (path: string, body: unknown) =>
      fetch(`${kontor.url}/api/external/issuer/v2${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    // Every request is logged (info), after the pipes closed.
    for (let i = 0; i < 5; i++) {
      expect((await call('/products/', productBody({ asset_code: `PIPE${i}`, name: `pipe ${i}` }))).status).toBe(201);
    }
    expect(kontor.child.exitCode).toBeNull();
    expect((await fetch(`${kontor.url}/healthz`)).status).toBe(200);
    // Its shutdown messages (its own on stderr, the worker's on stdout) go to the closed pipes too.
    expect(await kontor.stop('SIGTERM')).toBe(0);
    await own.drop();
  }, 60_000);
});
