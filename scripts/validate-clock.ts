/**
 * `npm run cluster:validate-clock [-- --out DIR] [--cells a,b] [--ci]`: the simulator's clock held
 * against real shaped links (experiments/clock/grid.ts). Each cell runs on the cluster with every
 * peer, the validator and the store in their own network namespaces (needs root), then the
 * simulator's flow model predicts every logged transfer. Writes `cells.json` (every transfer,
 * every round), `table.md` (per cell and per round) and `predicted-vs-measured.{svg,png,vl.json}`
 * under DIR (default results/validate-clock/<timestamp>/), and ends with exactly one line:
 * `median relative error X%` over every message transfer of the grid.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../core/errors.ts';
import { netnsSupport } from '../cluster/netns.ts';
import { CLOCK_CI_CELL, CLOCK_GRID, runCell } from '../experiments/clock/grid.ts';
import type { CellResult } from '../experiments/clock/grid.ts';
import { cellTable, gridMedianRelError, predictedVsMeasuredSpec, roundTable } from '../experiments/clock/report.ts';
import { specToSvg, svgToPng } from '../experiments/render.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), strict: true, options: { out: { type: 'string' }, cells: { type: 'string' }, ci: { type: 'boolean' } } });
  const support = netnsSupport();
  if (!support.ok) throw new ConfigError('network', 'netns', `cannot run here: ${support.reason}`);
  const all = values.ci === true ? [CLOCK_CI_CELL] : CLOCK_GRID;
  const wanted = values.cells?.split(',');
  for (const name of wanted ?? []) if (!all.some((c) => c.name === name)) throw new ConfigError('--cells', name, `is not a cell (${all.map((c) => c.name).join(', ')})`);
  const cells = wanted === undefined ? all : all.filter((c) => wanted.includes(c.name));
  const out = values.out ?? join('results', 'validate-clock', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(out, { recursive: true });
  const t0 = Date.now();
  const results: CellResult[] = [];
  const failed: { cell: string; error: string }[] = [];
  const save = (): void => writeFileSync(join(out, 'cells.json'), JSON.stringify({ wallS: (Date.now() - t0) / 1000, medianRelError: gridMedianRelError(results), failed, cells: results }, null, 1));
  for (const cell of cells) {
    console.error(`cell ${cell.name} …`);
    try {
      const r = await runCell(cell, { workDir: join(out, 'work', cell.name) });
      results.push(r);
      console.error(`  ${r.transfers.length} transfers, median relative error ${(100 * r.medianRelError).toFixed(1)}%, same late uploads: ${r.sameLate}, ${r.wallS.toFixed(0)} s`);
    } catch (error) {
      // One cell's failure (a process that died on a loaded machine) is reported, not fatal to the grid.
      failed.push({ cell: cell.name, error: error instanceof Error ? error.message.split('\n')[0]! : String(error) });
      console.error(`  FAILED: ${failed[failed.length - 1]!.error}`);
    }
    save();
  }
  if (results.length === 0) throw new Error(`every cell failed: ${JSON.stringify(failed)}`);
  const wallS = (Date.now() - t0) / 1000;
  const md = `# Simulator clock vs shaped links\n\nCommand: \`npm run cluster:validate-clock${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\`, ${wallS.toFixed(0)} s wall.\n\n${cellTable(results)}${failed.map((f) => `\n\nFailed: ${f.cell}: ${f.error}`).join('')}\n\n## Per round\n\n${roundTable(results)}\n`;
  writeFileSync(join(out, 'table.md'), md);
  const spec = predictedVsMeasuredSpec(results);
  writeFileSync(join(out, 'predicted-vs-measured.vl.json'), JSON.stringify(spec, null, 1));
  const svg = await specToSvg(spec);
  writeFileSync(join(out, 'predicted-vs-measured.svg'), svg);
  writeFileSync(join(out, 'predicted-vs-measured.png'), svgToPng(svg));
  console.error(md);
  console.error(`wrote ${out}`);
  console.log(`median relative error ${(100 * gridMedianRelError(results)).toFixed(1)}%`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
