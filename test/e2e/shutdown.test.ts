/** SIGTERM while requests are in flight: they finish or are refused whole; nothing is half-written. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, productBody } from '../helpers.ts';
import { runCli, startKontorProcess, tempHome } from './process.ts';

let database: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => database?.drop());

describe('graceful shutdown', () => {
  it('leaves exactly the acknowledged products behind', async () => {
    const env = { KONTOR_HOME: tempHome(), DATABASE_URL: database.url };
    const kontor = await startKontorProcess(env);
    const issuer = JSON.parse(
      (await runCli(['admin', 'issuer', 'create', '--name', 'Shutdown AG', '--json'], env)).stdout,
    );
    const client = JSON.parse(
      (await runCli(['admin', 'client', 'create', '--issuer', issuer.id, '--json'], env)).stdout,
    );
    const tokenResponse = await fetch(`${kontor.url}/api/external/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
      }),
    });
    const { access_token } = (await tokenResponse.json()) as { access_token: string };
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
    const stored = await database.db.selectFrom('products').select('id').where('issuer_id', '=', issuer.id).execute();
    expect(stored.map((p) => p.id).sort()).toEqual(acknowledged.sort());
    expect(acknowledged.length).toBeGreaterThan(0);
  });
});
