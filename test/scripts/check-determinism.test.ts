import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { findViolations, scanRepository } from '../../scripts/check-determinism.ts';

describe('scripts/check-determinism', () => {
  it('flags wall-clock and global-RNG calls', () => {
    const src = ['const a = Math.random();', 'const t = Date.now();', 'const p = performance.now();', 'const d = new Date();'].join('\n');
    expect(findViolations('x.ts', src).map((v) => v.line)).to.deep.equal([1, 2, 3, 4]);
  });

  it('ignores the rule named in a line comment and lookalike identifiers', () => {
    expect(findViolations('x.ts', '// no Math.random() here\nconst myDate = now();')).to.deep.equal([]);
  });

  it('finds no violation in this repository', () => {
    const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
    expect(scanRepository(root)).to.deep.equal([]);
  });
});
