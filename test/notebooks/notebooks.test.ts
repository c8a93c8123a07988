import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

// Executing the notebooks needs Jupyter, so CI does it (scripts/run-notebooks.sh from .ci/run).
// Here: they are well-formed, use the TypeScript kernel, and only read results.
const dir = fileURLToPath(new URL('../../notebooks/', import.meta.url));
const notebooks = readdirSync(dir).filter((f) => f.endsWith('.ipynb'));

describe('notebooks', () => {
  it('there are at least two', () => {
    expect(notebooks.length).to.be.at.least(2);
  });

  for (const name of notebooks) {
    it(`${name} is a tslab notebook that reads results and recomputes nothing`, () => {
      const nb = JSON.parse(readFileSync(join(dir, name), 'utf8'));
      expect(nb.nbformat).to.equal(4);
      expect(nb.metadata.kernelspec.name).to.equal('tslab');
      const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code').map((c: { source: string[] }) => c.source.join('')).join('\n');
      expect(code).to.include('metrics.jsonl');
      for (const forbidden of ['runSimulation', 'runExperiment', '/sim/', '/core/', 'writeFileSync']) expect(code).to.not.include(forbidden);
      for (const cell of nb.cells) expect(cell.id, 'every cell has an id (nbformat 4.5)').to.be.a('string');
    });
  }
});
