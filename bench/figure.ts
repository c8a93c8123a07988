/**
 * `npm run bench:figure -- <rows.jsonl> <out.svg>`: draws the README's benchmark figure from the
 * JSON lines of `npm run bench -- --json` (measured rows only, nothing recomputed): compression
 * throughput against the PyTorch reference, and message size per coding.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { BenchRow } from './row.ts';

/** Pure: benchmark rows → vega-lite spec. */
export function benchFigureSpec(rows: readonly BenchRow[]): vl.TopLevelSpec {
  const value = (name: string): number | undefined => rows.find((r) => r.name === name)?.value;
  const throughput = [
    { what: 'PyTorch 1.13 reference (1 thread)', value: value('torch.compress.params_per_s') },
    { what: 'sparseloco-lab (Node 22, 1 thread)', value: value('core.compress.params_per_s') },
  ].filter((d) => d.value !== undefined).map((d) => ({ ...d, value: d.value! / 1e6 }));
  const ratio = [
    { what: '12-bit packed indices (SPEC)', value: value('core.compression_ratio') },
    { what: 'Golomb–Rice indices', value: value('core.compression_ratio.rice') },
  ].filter((d) => d.value !== undefined);
  const bar = (title: string, axis: string, values: object[]) => ({
    title,
    width: 360,
    height: 70,
    data: { values },
    mark: { type: 'bar' as const, color: '#4c78a8' },
    encoding: {
      y: { field: 'what', type: 'nominal' as const, title: null, sort: null, axis: { labelLimit: 320 } },
      x: { field: 'value', type: 'quantitative' as const, title: axis },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    vconcat: [
      bar('Compress 64M params (EF + top-k + 2-bit quantise + encode)', 'million params / s', throughput),
      bar('Compression ratio vs dense fp32', '×', ratio),
    ],
    config: { font: 'DejaVu Sans, Arial, sans-serif' },
  };
}

export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

if (process.argv[1]?.endsWith('figure.ts')) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) throw new Error('usage: tsx bench/figure.ts <rows.jsonl> <out.svg>');
  const rows = readFileSync(input, 'utf8').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as BenchRow);
  writeFileSync(output, await renderSvg(benchFigureSpec(rows)));
  console.log(`wrote ${output}`);
}
