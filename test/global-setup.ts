import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/runtime/postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The PostgreSQL server of this test run (its `postgres` database); each test file creates its own database. */
    postgresUrl: string;
    testHome: string;
  }
}

/** One real PostgreSQL for the whole run: DATABASE_URL if given, else an embedded one in a temp folder. */
export default async function setup(project: TestProject) {
  // The end-to-end tests run `bin/kontor.mjs`; build its bundle once, before any of them races to.
  // @ts-expect-error: a plain .mjs build script without types
  const { build } = await import('../bin/build.mjs');
  await build(join(import.meta.dirname, '..'));
  const home = mkdtempSync(join(tmpdir(), 'kontor-test-'));
  let stop = async () => {};
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const handle = await startEmbeddedPostgres(home, () => {});
    url = handle.url.replace(/\/kontor$/, '/postgres');
    stop = handle.stop;
  }
  project.provide('postgresUrl', url);
  project.provide('testHome', home);
  return async () => {
    await stop();
    rmSync(home, { recursive: true, force: true });
  };
}
