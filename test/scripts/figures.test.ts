import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/errors.ts';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { FIGURES } from '../../scripts/figure-list.ts';
import { npmArgv, selectFigures } from '../../scripts/figures.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** Targets of every Markdown image, `![alt](target)`, in document order. */
function imageLinks(markdown: string): string[] {
  return [...markdown.matchAll(/!\[[^\]]*\]\(([^)\s]+)[^)]*\)/g)].map((m) => m[1]!);
}

describe('scripts/figures', () => {
  it('finds image links, and only images', () => {
    expect(imageLinks('![a](x.png) [not](y.png) text ![b c](d/e.svg "title")')).to.deep.equal(['x.png', 'd/e.svg']);
  });

  it('the README shows exactly the figures `npm run figures` writes', () => {
    const linked = imageLinks(read('README.md'));
    expect(linked.length).to.be.at.least(4);
    expect([...linked].sort()).to.deep.equal(FIGURES.map((f) => f.figure).sort());
  });

  it('every figure is in the repository, and docs/figures holds nothing else', () => {
    for (const f of FIGURES) expect(existsSync(join(root, f.figure)), f.figure).to.equal(true);
    const declared = new Set(FIGURES.map((f) => f.figure));
    for (const file of readdirSync(join(root, 'docs/figures'))) expect(declared.has(`docs/figures/${file}`), `docs/figures/${file} is no declared figure`).to.equal(true);
  });

  it('names are unique, and each recipe runs real npm scripts and experiments', () => {
    expect(new Set(FIGURES.map((f) => f.name)).size).to.equal(FIGURES.length);
    const scripts = Object.keys(JSON.parse(read('package.json')).scripts);
    expect(scripts).to.include('figures');
    for (const f of FIGURES) {
      expect(f.commands.length, f.name).to.be.at.least(1);
      for (const c of f.commands) {
        expect(scripts, f.name).to.include(c.npm[0]);
        if (c.npm[0] === 'experiment' || c.npm[0] === 'cluster:compare') expect(EXPERIMENTS.has(c.npm[1]!), `${f.name}: experiment ${c.npm[1]}`).to.equal(true);
      }
      // The copied file is produced in the scratch folder, under the figure's own extension.
      expect(f.from.startsWith('{work}/'), f.from).to.equal(true);
      expect(basename(f.from).split('.').at(-1)).to.equal(basename(f.figure).split('.').at(-1));
    }
  });

  it('--only picks the named figures in the list\'s order, all when none is named', () => {
    expect(selectFigures([]).map((f) => f.name)).to.deep.equal(FIGURES.map((f) => f.name));
    const two = [FIGURES.at(-1)!.name, FIGURES[0]!.name];
    expect(selectFigures(two).map((f) => f.name)).to.deep.equal([FIGURES[0]!.name, FIGURES.at(-1)!.name]);
  });

  it('an unknown --only name is a ConfigError that lists the figures', () => {
    let error: unknown;
    try {
      selectFigures(['churn30pct']);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).key).to.equal('--only');
    expect((error as ConfigError).message).to.include('"churn30pct"').and.include(FIGURES[0]!.name);
  });

  it('runs each command as `npm run -s <script> -- <args>` inside the scratch folder', () => {
    expect(npmArgv({ npm: ['experiment', 'churn-30pct', '--out', '{work}'] }, '/tmp/w')).to.deep.equal(['run', '-s', 'experiment', '--', 'churn-30pct', '--out', '/tmp/w']);
  });
});
