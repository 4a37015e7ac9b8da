import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileContracts } from '../../scripts/compile-contracts.mjs';

const root = join(import.meta.dirname, '..', '..');

describe('committed contract artifacts', () => {
  it('are exactly what the sources compile to (else run `npm run compile:contracts`)', () => {
    const { files } = compileContracts(root);
    const committed = readdirSync(join(root, 'contracts', 'artifacts'))
      .map((name) => `contracts/artifacts/${name}`)
      .sort();
    expect(committed).toEqual([...files.keys()].sort());
    for (const [path, content] of files) {
      // Compared as text, so that the failure names the file and shows the difference.
      expect(readFileSync(join(root, path), 'utf8'), `${path} is stale: run npm run compile:contracts`).toBe(content);
    }
  });
});
