import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort, processAlive } from './ports.ts';

export interface ChainHandle {
  rpcUrl: string;
  embedded: boolean;
  owned: boolean;
  stop(): Promise<void>;
}

/** The embedded chain's id (anvil's default, a local development network). */
export const EMBEDDED_CHAIN_ID = 31337;

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
};

function anvilBinary(): string {
  const pkg = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
  if (!pkg) throw new Error(`no embedded anvil for ${process.platform}-${process.arch}; set CHAIN_RPC_URL`);
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve(`${pkg}/package.json`));
  return join(dir, 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
}

function chainDir(home: string): string {
  return join(home, 'chain');
}

interface AnvilRecord {
  pid: number;
  port: number;
  /** The process that started it and stops it. */
  owner?: number;
}

/** The embedded anvil of this KONTOR_HOME if one is running, by its record file. */
export function runningEmbeddedChain(home: string): AnvilRecord | null {
  const file = join(chainDir(home), 'anvil.json');
  if (!existsSync(file)) return null;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as AnvilRecord;
    return processAlive(record.pid) ? record : null;
  } catch {
    return null;
  }
}

async function rpcReady(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the embedded anvil at ${url} did not answer`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts (or reuses) the embedded anvil; its state persists in KONTOR_HOME/chain/state.json. */
export async function startEmbeddedChain(home: string): Promise<ChainHandle> {
  const dir = chainDir(home);
  const existing = runningEmbeddedChain(home);
  if (existing) {
    const url = `http://127.0.0.1:${existing.port}`;
    await rpcReady(url, Date.now() + 5000);
    if (existing.owner && processAlive(existing.owner)) {
      return { rpcUrl: url, embedded: true, owned: false, stop: async () => {} };
    }
    // Its owner died (a crash): take it over, so that it is stopped with this process.
    writeFileSync(join(dir, 'anvil.json'), JSON.stringify({ ...existing, owner: process.pid }));
    return { rpcUrl: url, embedded: true, owned: true, stop: () => stopOrphan(existing.pid, join(dir, 'anvil.json')) };
  }
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child = spawn(
    anvilBinary(),
    [
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--chain-id',
      String(EMBEDDED_CHAIN_ID),
      '--state',
      join(dir, 'state.json'),
      '--state-interval',
      '1',
      '--enable-tx-gas-limit',
      '--silent',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const record: AnvilRecord = { pid: child.pid!, port, owner: process.pid };
  writeFileSync(join(dir, 'anvil.json'), JSON.stringify(record));
  const url = `http://127.0.0.1:${port}`;
  await rpcReady(url, Date.now() + 10000);
  return {
    rpcUrl: url,
    embedded: true,
    owned: true,
    stop: async () => {
      if (child.exitCode === null) {
        // SIGTERM lets anvil dump its state one last time.
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(join(dir, 'anvil.json'), { force: true });
    },
  };
}

async function stopOrphan(pid: number, recordFile: string): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
  const deadline = Date.now() + 5000;
  while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(recordFile, { force: true });
}

export async function openChain(config: { home: string; chainRpcUrl: string | null }): Promise<ChainHandle> {
  if (config.chainRpcUrl) {
    return { rpcUrl: config.chainRpcUrl, embedded: false, owned: false, stop: async () => {} };
  }
  return startEmbeddedChain(config.home);
}
