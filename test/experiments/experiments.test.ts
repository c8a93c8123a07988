import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { defineExperiment } from '../../experiments/define.ts';
import { ConfigError } from '../../core/errors.ts';
import { writeResults, toCsv } from '../../experiments/results.ts';
import { runExperiment } from '../../experiments/runner.ts';
import { summarise } from '../../experiments/summary.ts';
import { standardFigures } from '../../experiments/plots.ts';
import { SWEEPS } from '../../experiments/catalog/sweeps.ts';
import { BASE, TINY } from '../../experiments/catalog/common.ts';

describe('experiments', () => {
  for (const exp of EXPERIMENTS.values()) {
    it(`${exp.id} runs every arm at tiny size and summarises it`, async function () {
      // Tiny keeps what the arms vary: peer-scaling's tiny still builds 10,000-peer arms (≈ 10 s alone, minutes on a loaded machine).
      this.timeout(240_000);
      const { rows, tasks } = await runExperiment(exp, { seeds: [exp.seeds[0]!], extra: exp.tiny });
      expect(tasks.length).to.equal(exp.arms.length);
      const summary = summarise(exp.id, rows, exp.targetLoss ?? null);
      expect(summary.arms.map((a) => a.arm)).to.deep.equal(exp.arms.map((a) => a.name));
      for (const a of summary.arms) expect(Number.isFinite(a.finalLossMean)).to.equal(true);
      // Every figure builds from these rows (a sweep figure where the experiment has one).
      const expected = 4 + (SWEEPS.has(exp.id) ? 1 : 0) + (SWEEPS.has(exp.id) && exp.targetLoss !== undefined ? 1 : 0);
      expect(standardFigures(rows, SWEEPS.get(exp.id), exp.targetLoss).length).to.equal(expected);
      // An experiment's own figures hold one point per arm (one seed here).
      for (const fig of exp.figures?.(rows) ?? []) expect((fig.spec as { data: { values: unknown[] } }).data.values).to.have.length(exp.arms.length);
    });
  }

  it('peer-scaling: all-gather bytes per peer grow with the peers, gather-20 stays flat', async function () {
    this.timeout(120_000);
    const exp = EXPERIMENTS.get('peer-scaling')!;
    const { rows } = await runExperiment(exp, { seeds: [1], extra: exp.tiny });
    const bytes = exp.figures!(rows).find((f) => f.name === 'bytes-per-peer-vs-peers')!;
    const points = (bytes.spec as unknown as { data: { values: { x: number; group: string; y: number }[] } }).data.values;
    const of = (group: string): number[] => points.filter((p) => p.group === group).sort((a, b) => a.x - b.x).map((p) => p.y);
    const all = of('all-gather');
    const g20 = of('gather-20');
    expect(all).to.have.length(4);
    // 20 → 10,000 peers: ≈ 500× the messages per peer for the all-gather, the same 20 (+ own upload) for gather-20.
    expect(all[3]! / all[0]!).to.be.above(300);
    expect(g20[3]! / g20[0]!).to.be.within(0.8, 1.25);
    // At 20 peers the two are the same gather (within, not closeTo: Hardhat's chai matchers make closeTo BigInt-only).
    expect(all[0]).to.be.within(g20[0]! * 0.95, g20[0]! * 1.05);
  });

  it('gives identical rows for the same seed, serially or on 2 worker threads', async () => {
    const exp = EXPERIMENTS.get('churn-30pct')!;
    const serial = await runExperiment(exp, { seeds: [1, 2], extra: exp.tiny, jobs: 1 });
    const parallel = await runExperiment(exp, { seeds: [1, 2], extra: exp.tiny, jobs: 2 });
    expect(JSON.stringify(parallel.rows)).to.equal(JSON.stringify(serial.rows));
    const other = await runExperiment(exp, { seeds: [3], extra: exp.tiny, jobs: 1 });
    expect(JSON.stringify(other.rows)).to.not.equal(JSON.stringify(serial.rows.filter((r) => r.seed === 1)));
  });

  it('rejects a definition whose arm does not resolve, naming the key', () => {
    expect(() =>
      defineExperiment({ id: 'bad', question: 'q', expect: 'e', base: BASE, arms: [{ name: 'a', set: { peers: 0 } }], seeds: [1], tiny: TINY }),
    ).to.throw(ConfigError, /peers \(0\) must be an integer ≥ 1/);
    expect(() => defineExperiment({ id: 'Bad Id', question: 'q', expect: 'e', base: BASE, arms: [{ name: 'a', set: {} }], seeds: [1], tiny: TINY })).to.throw(ConfigError, /kebab-case/);
  });

  it('writes the results folder: config, metrics (jsonl + csv), summary, plots (vl.json, svg, png), report', async function () {
    this.timeout(60_000);
    const exp = EXPERIMENTS.get('churn-30pct')!;
    const run = await runExperiment(exp, { seeds: [1], extra: exp.tiny });
    const out = mkdtempSync(join(tmpdir(), 'sll-results-'));
    try {
      await writeResults({ outDir: out, experiment: exp, tasks: run.tasks, rows: run.rows, overrides: exp.tiny });
      expect(readdirSync(out).sort()).to.deep.equal(['config.resolved.json', 'metrics.csv', 'metrics.jsonl', 'plots', 'report.html', 'summary.json', 'summary.md']);
      const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
      expect(lines.length).to.equal(run.rows.length);
      expect(JSON.parse(lines[0]!)).to.include({ experiment: 'churn-30pct', arm: 'no churn', seed: 1, round: 0 });
      const config = JSON.parse(readFileSync(join(out, 'config.resolved.json'), 'utf8'));
      expect(config.gitSha).to.be.a('string');
      expect(config.runs).to.have.length(2);
      const plots = readdirSync(join(out, 'plots'));
      for (const stem of ['loss-vs-rounds', 'loss-vs-bytes', 'loss-vs-time', 'arms-side-by-side']) {
        expect(plots).to.include.members([`${stem}.vl.json`, `${stem}.svg`, `${stem}.png`]);
      }
      const png = readFileSync(join(out, 'plots', 'loss-vs-rounds.png'));
      expect(png.subarray(1, 4).toString()).to.equal('PNG');
      expect(readFileSync(join(out, 'report.html'), 'utf8')).to.include('<svg').and.include('no churn');
      expect(readFileSync(join(out, 'summary.md'), 'utf8')).to.include('| 30% dropout |');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('appends an experiment\'s extra tables to summary.md and report.html', async function () {
    this.timeout(60_000);
    const base = EXPERIMENTS.get('churn-30pct')!;
    const exp = { ...base, tables: [{ title: 'Rows per arm', build: (rows: readonly { arm: string }[]) => `| arm | rows |\n|---|---|\n${[...new Set(rows.map((r) => r.arm))].map((a) => `| ${a} | ${rows.filter((r) => r.arm === a).length} |`).join('\n')}` }] };
    const run = await runExperiment(exp, { seeds: [1], extra: exp.tiny });
    const out = mkdtempSync(join(tmpdir(), 'sll-tables-'));
    try {
      await writeResults({ outDir: out, experiment: exp, tasks: run.tasks, rows: run.rows, overrides: exp.tiny });
      expect(readFileSync(join(out, 'summary.md'), 'utf8')).to.include('## Rows per arm\n\n| arm | rows |').and.include('| 30% dropout | 3 |');
      expect(readFileSync(join(out, 'report.html'), 'utf8')).to.include('<h2>Rows per arm</h2><table>');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('writes CSV with the union of columns and RFC 4180 quoting', () => {
    expect(toCsv([{ a: 1, b: 'x,y' }, { a: 2, c: 'say "hi"' }])).to.equal('a,b,c\n1,"x,y",\n2,,"say ""hi"""\n');
  });
});
