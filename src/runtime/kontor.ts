import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, type Runner, run } from 'graphile-worker';
import type { Config } from '../config.ts';
import { createDb, type Db, migrate } from '../db/database.ts';
import { type App, buildApp } from '../http/app.ts';
import { tokenSigningKey } from '../http/auth.ts';
import { enqueueJob } from '../jobs/queue.ts';
import { CRONTAB, taskList } from '../jobs/tasks.ts';
import { scheduleIndexing, scheduleLedgerOperations } from '../ledger/schedule.ts';
import { type ChainHandle, openChain } from './anvil.ts';
import { type DatabaseHandle, openDatabase } from './postgres.ts';

export interface Kontor {
  apiUrl: string;
  db: Db;
  database: DatabaseHandle;
  chain: ChainHandle;
  app: App | null;
  stop(): Promise<void>;
}

const LEVELS: Record<string, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warning: 40,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: 100,
};

/** Worker logs as JSON lines, like the API's. */
function jsonLogger(level: string): Logger {
  const threshold = LEVELS[level] ?? 30;
  return new Logger((scope) => (logLevel, message, meta) => {
    const value = LEVELS[logLevel] ?? 30;
    if (value < threshold) return;
    process.stdout.write(
      `${JSON.stringify({ level: value, time: Date.now(), pid: process.pid, component: 'worker', ...scope, ...meta, msg: message })}\n`,
    );
  });
}

export function apiUrlOf(config: Config): string {
  if (config.publicUrl) return config.publicUrl;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host}:${config.port}`;
}

/** The database of this configuration, migrated; for commands that need nothing else. */
export async function openMigratedDatabase(config: Config, log: (m: string) => void) {
  const database = await openDatabase(config, log);
  const { db } = createDb(database.url, 5);
  let applied: string[];
  try {
    applied = await migrate(db, database.url);
  } catch (error) {
    await db.destroy();
    await database.stop();
    throw error;
  }
  return {
    db,
    database,
    applied,
    close: async () => {
      await db.destroy();
      await database.stop();
    },
  };
}

/**
 * Starts what `kontor start` (api and workers) or `kontor worker` (workers only) runs. Stopping
 * closes the listener first and lets requests in flight finish: every use case is one transaction,
 * so a stop never leaves half-written state.
 */
export async function startKontor(
  config: Config,
  options: { api: boolean; workers: boolean; logger?: boolean },
): Promise<Kontor> {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const database = await openDatabase(config, log);
  const { db } = createDb(database.url, 30);
  let chain: ChainHandle | null = null;
  let runner: Runner | null = null;
  let app: App | null = null;
  const stop = async () => {
    if (app) {
      // Keep-alive sockets turn idle as their last response is sent; reap them as they do, or
      // close() would wait for the keep-alive timeout.
      const server = app.server;
      const reaper = setInterval(() => server.closeIdleConnections(), 50);
      await app.close().finally(() => clearInterval(reaper));
      log('stopping: API closed, requests in flight finished');
    }
    if (runner) {
      await runner.stop();
      log('stopping: workers stopped');
    }
    await db.destroy().catch(() => {});
    if (chain) await chain.stop();
    await database.stop();
    log('stopping: database and chain released');
    if (options.api) rmSync(join(config.home, 'server.json'), { force: true });
  };
  try {
    await migrate(db, database.url);
    const [signingKey, openedChain] = await Promise.all([tokenSigningKey(db), openChain(config)]);
    chain = openedChain;
    if (options.workers) {
      // Whatever a worker that died left behind resumes when these start: webhook deliveries of the
      // last two days, the registrar's transactions and pending credits (a dead worker's jobs stay
      // locked for hours). Queued before the runner starts: the runner registers its tasks at
      // start-up, and doing both at once could deadlock.
      await db.transaction().execute(async (trx) => {
        await enqueueJob(
          trx,
          'recover_webhook_deliveries',
          { window_hours: 48 },
          { jobKey: 'recover_webhook_deliveries' },
        );
        await scheduleLedgerOperations(trx);
        await scheduleIndexing(trx);
      });
      // The workers have their own pool: stopping them releases their LISTEN connection cleanly.
      runner = await run({
        connectionString: database.url,
        maxPoolSize: 10,
        taskList: taskList(db, config, chain.rpcUrl),
        crontab: CRONTAB,
        concurrency: 5,
        noHandleSignals: true,
        pollInterval: 1000,
        logger: jsonLogger(config.logLevel),
      });
    }
    let apiUrl = apiUrlOf(config);
    if (options.api) {
      app = await buildApp({ db, config, signingKey, chainRpcUrl: chain.rpcUrl }, { logger: options.logger });
      const address = await app.listen({ host: config.host, port: config.port });
      const port = new URL(address).port;
      if (!config.publicUrl) apiUrl = apiUrlOf({ ...config, port: Number(port) });
      mkdirSync(config.home, { recursive: true });
      writeFileSync(
        join(config.home, 'server.json'),
        JSON.stringify({ pid: process.pid, api_url: apiUrl, chain_rpc_url: chain.rpcUrl }),
      );
    }
    return { apiUrl, db, database, chain, app, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
