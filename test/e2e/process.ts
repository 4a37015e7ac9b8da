import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { freePort } from '../../src/runtime/ports.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'kontor.mjs');

export function tempHome(): string {
  return mkdtempSync(join(inject('testHome'), 'e2e-'));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `kontor ARGS` as a real process, as a user would from the repo root. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface KontorProcess {
  url: string;
  env: Record<string, string>;
  child: ChildProcess;
  output: () => string;
  /** Sends the signal and waits for the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** `kontor start` (or `kontor worker`) as a real process; resolves once it prints that it runs. */
export async function startKontorProcess(
  env: Record<string, string>,
  command: 'start' | 'worker' = 'start',
): Promise<KontorProcess> {
  const port = await freePort();
  const fullEnv = { LOG_LEVEL: 'warn', PORT: String(port), ...env };
  const ready = command === 'start' ? 'Kontor is running.' : 'Kontor workers are running.';
  const child = spawn(process.execPath, [BIN, command], {
    env: { ...process.env, ...fullEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kontor ${command} did not come up:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes(ready)) {
        clearTimeout(timer);
        // Let the banner finish.
        setTimeout(resolve, 50);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kontor ${command} exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    env: fullEnv,
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
