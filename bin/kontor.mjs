#!/usr/bin/env node
// Entry point of the `kontor` command. The TypeScript sources are bundled into dist/ by esbuild
// (about 0.1 s) whenever a source file is newer than the bundle, so the command always runs the
// code in src/ and starts fast.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli.js');

function newestSource(dir) {
  let newest = 0;
  for (const item of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    if (item.isDirectory()) newest = Math.max(newest, newestSource(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

// The contract artifacts are inlined into the bundle too.
const newest = Math.max(
  newestSource(join(root, 'src')),
  newestSource(join(root, 'contracts', 'artifacts')),
  statSync(join(root, 'package.json')).mtimeMs,
);
const stale = !existsSync(entry) || statSync(entry).mtimeMs < newest;
if (stale) {
  const { build } = await import('./build.mjs');
  await build(root);
}
await import(pathToFileURL(entry).href);
