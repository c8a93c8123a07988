import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { IMPORT_RULES, checkSources, findImports, formatViolation, globRegExp, readSources, scanRepository } from '../../scripts/check-imports.ts';

const REPO = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** The rules one file with one source text breaks. */
const rulesBroken = (file: string, source: string): string[] => checkSources(new Map([[file, source]])).map((v) => v.rule);

describe('scripts/check-imports: reading imports', () => {
  it('finds static, type-only, re-export, dynamic, type-position and require imports, each at its line', () => {
    const src = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "export * from './d.ts';",
      "const e = await import('./e.ts');",
      "let f: import('./f.ts').F;",
      "const g = require('g-package');",
      "import h = require('./h.ts');",
      'import {',
      '  i,',
      "} from 'node:fs';",
      "import './side-effect.ts';",
    ].join('\n');
    const found = findImports('sim/x.ts', src).map((r) => [r.line, r.specifier, r.target]);
    expect(found).to.deep.equal([
      [1, './a.ts', 'sim/a.ts'],
      [2, '../b.ts', 'b.ts'],
      [3, './c.ts', 'sim/c.ts'],
      [4, './d.ts', 'sim/d.ts'],
      [5, './e.ts', 'sim/e.ts'],
      [6, './f.ts', 'sim/f.ts'],
      [7, 'g-package', 'g-package'],
      [8, './h.ts', 'sim/h.ts'],
      [9, 'node:fs', 'node:fs'],
      [12, './side-effect.ts', 'sim/side-effect.ts'],
    ]);
  });

  it('does not take a specifier in a comment or a string for an import, and skips a non-literal dynamic import', () => {
    const src = ["// import '../cluster/peer.ts';", "const s = \"import { x } from '../cluster/peer.ts'\";", '/* import("../cluster/peer.ts") */', 'const m = await import(name);'].join('\n');
    expect(findImports('sim/x.ts', src)).to.deep.equal([]);
  });
});

describe('scripts/check-imports: the rules', () => {
  // One planted import per rule; each must break exactly that rule.
  const PLANTED: readonly { rule: string; file: string; source: string }[] = [
    { rule: 'core-is-bottom', file: 'core/sparseloco/topk.ts', source: "import { x } from '../../sim/metrics.ts';" },
    { rule: 'kernel-is-domain-free', file: 'sim/kernel/queue.ts', source: "import type { Rng } from '../../core/rng.ts';" },
    { rule: 'sim-backends-front-door', file: 'sim/config.ts', source: "import { mlpLayout } from '../backends/surrogate/model.ts';" },
    { rule: 'sim-below-cluster', file: 'sim/run.ts', source: "const m = await import('../experiments/runner.ts');" },
    { rule: 'backends-below-sim', file: 'backends/tfjs/backend.ts', source: "export type { SimConfig } from '../../sim/config.ts';" },
    { rule: 'chain-on-core-only', file: 'chain/model-chain.ts', source: "import { fnv1a } from '../backends/data.ts';" },
    { rule: 'cluster-below-experiments', file: 'cluster/peer.ts', source: "import { EXPERIMENTS } from '../experiments/catalog/index.ts';" },
    { rule: 'sparseloco-below-baselines', file: 'core/sparseloco/communicator.ts', source: "import type { Communicator } from '../baselines/index.ts';" },
  ];

  it('has a planted import that fires for every rule, and each fires only its own rule', () => {
    const fired = new Set<string>();
    for (const { rule, file, source } of PLANTED) {
      expect(rulesBroken(file, source), `${file}: ${source}`).to.deep.equal([rule]);
      fired.add(rule);
    }
    expect(fired.size).to.equal(IMPORT_RULES.length); // every rule reached
    expect([...fired].sort()).to.deep.equal(IMPORT_RULES.map((r) => r.name).sort());
  });

  it('fires for a package import in the kernel, and the kernel may import itself', () => {
    expect(rulesBroken('sim/kernel/environment.ts', "import { EventEmitter } from 'node:events';")).to.deep.equal(['kernel-is-domain-free']);
    expect(rulesBroken('sim/kernel/environment.ts', "import { EventQueue } from './queue.ts';")).to.deep.equal([]);
  });

  it('lets sim/ in through the front door and the TrainingBackend interface only', () => {
    expect(rulesBroken('sim/run.ts', "import { prepareBackend } from '../backends/index.ts';")).to.deep.equal([]);
    expect(rulesBroken('sim/population.ts', "import type { TrainingBackend } from '../backends/backend.ts';")).to.deep.equal([]);
    expect(rulesBroken('sim/run.ts', "const m = await import('../backends/tfjs/engine.ts');")).to.deep.equal(['sim-backends-front-door']);
    expect(rulesBroken('sim/run.ts', "import type { EngineName } from '../backends/tfjs/engine-names.ts';")).to.deep.equal(['sim-backends-front-door']);
  });

  it('allows what the layering allows: packages, core/ from anywhere, the layer above importing the one below', () => {
    expect(rulesBroken('core/rng.ts', "import seedrandom from 'seedrandom';")).to.deep.equal([]);
    expect(rulesBroken('chain/model-chain.ts', "import { ConfigError } from '../core/errors.ts';\nimport { ethers } from 'ethers';")).to.deep.equal([]);
    expect(rulesBroken('cluster/replica.ts', "import { resolveSimConfig } from '../sim/config.ts';")).to.deep.equal([]);
    expect(rulesBroken('experiments/runner.ts', "import { runCluster } from '../cluster/orchestrator.ts';")).to.deep.equal([]);
    expect(rulesBroken('core/baselines/demo.ts', "import { encodeUpdate } from '../sparseloco/codec.ts';")).to.deep.equal([]);
  });

  it('names file:line, the import as written and resolved, and the rule with its reason', () => {
    const [v] = checkSources(new Map([['sim/chain.ts', "\n\nimport { x } from '../cluster/peer.ts';"]]));
    expect(formatViolation(v!)).to.equal(`sim/chain.ts:3: import '../cluster/peer.ts' (cluster/peer.ts) breaks sim-below-cluster: ${IMPORT_RULES.find((r) => r.name === 'sim-below-cluster')!.why}`);
  });

  it('globs: ** spans folders, * stays in one, {a,b} picks; an unclosed brace is a ConfigError', () => {
    expect(globRegExp('sim/**').test('sim/kernel/queue.ts')).to.equal(true);
    expect(globRegExp('sim/**').test('simx/run.ts')).to.equal(false);
    expect(globRegExp('sim/*.ts').test('sim/kernel/queue.ts')).to.equal(false);
    expect(globRegExp('{cluster,experiments}/**').test('experiments/cli.ts')).to.equal(true);
    expect(globRegExp('{cluster,experiments}/**').test('chain/abi.ts')).to.equal(false);
    expect(() => globRegExp('{sim,core/**')).to.throw(ConfigError, /import rule glob \("\{sim,core\/\*\*"\) must close every "\{"/);
  });
});

describe('scripts/check-imports: the repository', () => {
  it('finds no violation in this repository', () => {
    expect(scanRepository(REPO).map(formatViolation)).to.deep.equal([]);
  });

  it('fails the real tree with one bad import planted in sim/run.ts, naming the rule', () => {
    const files = readSources(REPO);
    expect(files.has('sim/run.ts')).to.equal(true);
    files.set('sim/run.ts', `import { selectEngine } from '../backends/tfjs/engine.ts';\n${files.get('sim/run.ts')!}`);
    const violations = checkSources(files);
    expect(violations.map((v) => [v.file, v.line, v.target, v.rule])).to.deep.equal([['sim/run.ts', 1, 'backends/tfjs/engine.ts', 'sim-backends-front-door']]);
  });
});
