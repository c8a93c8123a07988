/**
 * The PyTorch reference for the compression benchmark: runs bench/reference/torch_compress.py
 * (SparseLoCo compression in torch, CPU, one thread) when `/usr/bin/python3` can import torch, and
 * returns its JSON rows. Returns null (and says why) when torch is not available.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './row.ts';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./reference/torch_compress.py', import.meta.url));

export type TorchResult = { rows: BenchRow[] } | { skipped: string };

/** Runs the torch reference `repeats` times and keeps, per row name, the best (largest) value. */
export function runTorchReference(repeats: number): TorchResult {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    return { skipped: `${PYTHON} cannot import torch (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()})` };
  }
  const best = new Map<string, BenchRow>();
  for (let i = 0; i < repeats; i++) {
    const run = spawnSync(PYTHON, [SCRIPT], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, maxBuffer: 1 << 20 });
    if (run.status !== 0) return { skipped: `torch reference failed (exit ${run.status}): ${run.stderr.trim().split('\n').pop()}` };
    for (const line of run.stdout.split('\n')) {
      if (line.trim() === '') continue;
      const row = JSON.parse(line) as BenchRow;
      const seen = best.get(row.name);
      if (seen === undefined || row.value > seen.value) best.set(row.name, row);
    }
  }
  return { rows: [...best.values()] };
}
