import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { armsReached, overridesPerArm } from '../../experiments/arm-overrides.ts';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { BASE, TINY } from '../../experiments/catalog/common.ts';
import { resolveCommand } from '../../experiments/cli.ts';
import { armConfig, defineExperiment } from '../../experiments/define.ts';
import { writeResults } from '../../experiments/results.ts';
import { runExperiment } from '../../experiments/runner.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import { configError } from '../support/errors.ts';

const churn = EXPERIMENTS.get('churn-30pct')!;
const baselines = EXPERIMENTS.get('baselines')!;


describe('experiments/arm-overrides: no relabelling', () => {
  it('rejects a --set of what the arms vary, naming the key and the arm (the churn-30pct report)', () => {
    const error = configError(() => overridesPerArm(churn, { 'churn.availability': { kind: 'bernoulli', dropout: 0.9 } }));
    expect(error.key).to.equal('churn.availability');
    expect(error.message).to.include('in arm "no churn"').and.include('churn-30pct varies across its arms');
  });

  it('counts prefixes both ways: a section above the arm\'s key, and a key inside it', () => {
    // Above: `churn` replaces the arm's churn.availability.
    expect(configError(() => overridesPerArm(churn, { churn: { availability: { kind: 'always' } } })).message).to.include('in arm "30% dropout"');
    // Inside: an arm that sets churn.availability.dropout and a --set of the whole churn.availability.
    const inside = defineExperiment({
      id: 'inside',
      question: 'q',
      expect: 'e',
      base: { ...BASE, churn: { availability: { kind: 'bernoulli', dropout: 0.1 } } },
      arms: [{ name: 'low', set: {} }, { name: 'high', set: { 'churn.availability.dropout': 0.5 } }],
      seeds: [1],
      tiny: TINY,
    });
    const error = configError(() => overridesPerArm(inside, { 'churn.availability': { kind: 'bernoulli', dropout: 0.9 } }));
    expect(error.message).to.include('would change churn.availability.dropout (0.1)').and.include('in arm "low"');
    expect(configError(() => overridesPerArm(inside, { 'churn.availability.dropout': 0.9 })).message).to.include('in arm "low"');
  });

  it('allows the value an arm already has, keys the arms do not vary, and --tiny', () => {
    expect(() => overridesPerArm(churn, { 'optim.topK': 32, windowS: 30, ...TINY })).to.not.throw();
    // Every arm of `energy` sets `net`, but only net.regions differs between them.
    const energy = EXPERIMENTS.get('energy')!;
    expect(() => overridesPerArm(energy, { 'net.store.latencyMs': 5 })).to.not.throw();
    expect(configError(() => overridesPerArm(energy, { 'net.regions': [] })).key).to.equal('net.regions');
    const sweep = EXPERIMENTS.get('density-sweep')!;
    expect(configError(() => overridesPerArm(sweep, { 'optim.topK': 32 })).message).to.include('in arm "top-8, 2-bit"');
  });

  it('stops the CLI before anything runs', async () => {
    let caught: unknown;
    try {
      await resolveCommand(['churn-30pct', '--set', 'churn.availability={"kind":"bernoulli","dropout":0.9}']);
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ConfigError).with.property('key', 'churn.availability');
  });
});

describe('experiments/arm-overrides: method options reach the arms they fit', () => {
  it('applies optim.indexCoding to SparseLoCo and DeMo only, and says so', async () => {
    const perArm = overridesPerArm(baselines, { 'optim.indexCoding': 'rice', peers: 6 });
    expect(armsReached(baselines, perArm, 'optim.indexCoding')).to.deep.equal(['SparseLoCo (top-64, 2-bit)', 'DeMo (DCT top-32)']);
    expect(armsReached(baselines, perArm, 'peers')).to.have.length(baselines.arms.length);
    const coding = baselines.arms.map((arm) => (armConfig(baselines, arm, 1, { 'optim.indexCoding': 'rice' }).optim as { indexCoding?: string }).indexCoding);
    expect(coding).to.deep.equal(['rice', undefined, undefined, undefined, 'rice']);
    const command = await resolveCommand(['baselines', '--set', 'optim.indexCoding=rice', '--seeds', '1']);
    expect(command.kind === 'run' && command.notes).to.deep.equal(['--set optim.indexCoding reaches 2 of 5 arms (SparseLoCo (top-64, 2-bit), DeMo (DCT top-32)): the other arms\' methods have no such option']);
  });

  it('is an error only when no arm\'s method has the option', () => {
    const error = configError(() => overridesPerArm(churn, { 'optim.momentum': 0.5 }));
    expect(error.message).to.equal('optim.momentum (0.5) is not an option of the method of any arm of churn-30pct (from --set; options: sparseloco (topK, quantBits, quantRange, beta, outerLr, indexCoding, clipNorm, aggregation))');
    // A --set of the method itself decides which options fit.
    expect(() => overridesPerArm(churn, { 'optim.method': 'diloco', 'optim.topK': 32 })).to.throw(ConfigError, /optim\.topK \(32\) is not an option of the method of any arm/);
  });

  it('rejects a topK beyond the chunk size through the CLI', async () => {
    let caught: unknown;
    try {
      await resolveCommand(['churn-30pct', '--set', 'optim.topK=99999']);
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).to.match(/^optim\.topK \(99999\) must be ≤ chunk size \(2048\)/);
  });
});

describe('experiments: energy assumption tables', () => {
  it('takes a user table from --set and labels every energy figure with it', async function () {
    this.timeout(60_000);
    const extra = { ...churn.tiny, 'energy.carbonIntensity': 250, 'energy.source': 'my grid operator' };
    const run = await runExperiment(churn, { seeds: [1], extra });
    expect(resolveSimConfig(run.tasks[0]!.config).energy).to.include({ carbonIntensity: 250, source: 'my grid operator' });
    const out = mkdtempSync(join(tmpdir(), 'sll-energy-'));
    try {
      await writeResults({ outDir: out, experiment: churn, tasks: run.tasks, rows: run.rows, overrides: extra });
      const label = 'assumed 300 W per device (50 W idle), 250 gCO2e/kWh, 0.01 kWh/GB moved; source: my grid operator';
      const md = readFileSync(join(out, 'summary.md'), 'utf8');
      expect(md).to.include('| energy¹ | CO2e¹ |').and.include(`¹ Computed from an energy assumption table, not measured: ${label}.`);
      expect(readFileSync(join(out, 'report.html'), 'utf8')).to.include(`<p>¹ Computed from an energy assumption table, not measured: ${label}.</p>`);
      expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).energyAssumptions).to.deep.equal([{ table: label, arms: ['no churn', '30% dropout'] }]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('reads a table from a JSON file (energy.file), validated by the simulator\'s resolver', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sll-energy-file-'));
    try {
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify({ deviceClasses: [{ name: 'a100', weight: 1, powerW: 400, idleW: 60, stepTimeScale: 1 }], carbonIntensity: 120, source: 'datasheet' }));
      const energy = resolveSimConfig(armConfig(churn, churn.arms[0]!, 1, { 'energy.file': good })).energy;
      expect(energy).to.deep.include({ carbonIntensity: 120, source: 'datasheet', networkKWhPerGB: 0.01 });
      expect(energy.deviceClasses[0]).to.include({ powerW: 400 });
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ deviceClasses: [{ name: 'x', weight: 1, powerW: -5, idleW: 0, stepTimeScale: 1 }] }));
      expect(() => armConfig(churn, churn.arms[0]!, 1, { 'energy.file': bad })).to.throw(ConfigError, 'energy.deviceClasses[0].powerW (-5) must be a finite number ≥ 0');
      writeFileSync(bad, '{ not json');
      expect(() => armConfig(churn, churn.arms[0]!, 1, { 'energy.file': bad })).to.throw(ConfigError, /energy\.file \(".*bad\.json"\) must hold JSON/);
      expect(() => armConfig(churn, churn.arms[0]!, 1, { 'energy.file': join(dir, 'missing.json') })).to.throw(ConfigError, /must name a readable file/);
      // The energy experiment has its own table: a file beside it is an error, replacing it works.
      const energyExp = EXPERIMENTS.get('energy')!;
      expect(() => armConfig(energyExp, energyExp.arms[0]!, 1, { 'energy.file': good })).to.throw(ConfigError, /cannot be combined with other energy keys \(deviceClasses, carbonIntensity, networkKWhPerGB, source\)/);
      expect(resolveSimConfig(armConfig(energyExp, energyExp.arms[0]!, 1, { energy: { file: good } })).energy.carbonIntensity).to.equal(120);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
