#!/usr/bin/env node
// `npm install` against a registry mirror that lacks other platforms' optional binaries (biome's
// and anvil's) writes a lock file without them, and `npm ci` then refuses the lock file as out of
// sync. This adds their entries back (platform-tagged, so npm skips them on other platforms).
// Run it after every `npm install` that changes package-lock.json.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const platforms = {
  '@biomejs/cli-android-arm64': { os: ['android'], cpu: ['arm64'] },
  '@biomejs/cli-android-x64': { os: ['android'], cpu: ['x64'] },
  '@biomejs/cli-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  '@biomejs/cli-darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  '@biomejs/cli-linux-arm64': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  '@biomejs/cli-linux-arm64-musl': { os: ['linux'], cpu: ['arm64'], libc: ['musl'] },
  '@biomejs/cli-linux-x64': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
  '@biomejs/cli-linux-x64-musl': { os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  '@biomejs/cli-win32-arm64': { os: ['win32'], cpu: ['arm64'] },
  '@biomejs/cli-win32-x64': { os: ['win32'], cpu: ['x64'] },
  '@foundry-rs/anvil-darwin-amd64': { os: ['darwin'], cpu: ['x64'] },
  '@foundry-rs/anvil-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  '@foundry-rs/anvil-linux-amd64': { os: ['linux'], cpu: ['x64'] },
  '@foundry-rs/anvil-linux-arm64': { os: ['linux'], cpu: ['arm64'] },
  '@foundry-rs/anvil-win32-amd64': { os: ['win32'], cpu: ['x64'] },
};
const parents = { '@biomejs/': 'node_modules/@biomejs/biome', '@foundry-rs/': 'node_modules/@foundry-rs/anvil' };
let added = 0;
for (const [name, platform] of Object.entries(platforms)) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const parentKey = Object.entries(parents).find(([prefix]) => name.startsWith(prefix))[1];
  const parent = lock.packages[parentKey];
  const version = parent?.optionalDependencies?.[name];
  if (!version) continue;
  lock.packages[key] = { version, ...(parent.dev ? { dev: true } : {}), optional: true, ...platform };
  added += 1;
}
const [root, ...rest] = Object.entries(lock.packages);
lock.packages = Object.fromEntries([root, ...rest.sort(([a], [b]) => (a < b ? -1 : 1))]);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform entries added`);
