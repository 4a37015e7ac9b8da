// Bundles src/ into dist/ (dependencies stay external; commands load their parts lazily).
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export async function build(root) {
  const esbuild = await import('esbuild');
  const outdir = join(root, 'dist');
  const tmp = `${outdir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['src/cli.ts'],
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outdir: tmp,
    sourcemap: true,
    logLevel: 'warning',
  });
  cpSync(join(root, 'src', 'db', 'migrations'), join(tmp, 'migrations'), { recursive: true });
  // Swap in whole, so that a concurrent command never sees half a bundle.
  rmSync(outdir, { recursive: true, force: true });
  try {
    const { renameSync } = await import('node:fs');
    renameSync(tmp, outdir);
  } catch {
    // Another command built it at the same moment.
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await build(join(import.meta.dirname, '..'));
