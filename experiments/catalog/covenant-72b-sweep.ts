/**
 * Covenant-72B's two inputs the paper does not publish, swept (issue 13 item 4): the download
 * bandwidth per peer and the MFU. Every arm is covenant-72b's run (./covenant-72b.ts: 72B layout
 * charged, 24 peers, 10 % dropout, gather 20 + 10, 70 s upload deadline, lagged Gauntlet, uplink
 * 1 Gbit/s) for 10 rounds, with its window sized as covenant-72b sizes its own
 * (covenantWindowBlocks: the fewest 12 s blocks holding the deadline, the gather and H = 30 steps
 * at that MFU, plus one), as an operator sizes templar's blocks_per_window to the round.
 *
 * What a row's figures mean here: with windows the rounds overlap (round r's gather runs while
 * window r + 1 is open and its peers wait for it), so a row's computeUtilisation (compute over
 * window start → sync end) undercounts; the figures use the steady state instead — each window's
 * mean compute over its length — and the communication is what a peer waits through between
 * training one window and the next: the upload deadline plus the gather (syncTimeS).
 */
import { defineExperiment } from '../define.ts';
import { roundMeanVs } from '../plots.ts';
import type { MetricRow } from '../runner.ts';
import covenant72b, { covenantComputeS, covenantWindowBlocks } from './covenant-72b.ts';

/** Download bandwidth per peer, Mbit/s (not published). 1 Gbit/s is left out: 20 × 1.99 GB needs 318 s there, past templar's 90 s gather timeout, so nothing is gathered. */
export const SWEEP_DOWNLINKS = [2000, 5000, 10_000, 20_000] as const;
/** Model FLOPs utilisation (not published); 0.4 is covenant-72b's assumption. */
export const SWEEP_MFUS = [0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6] as const;
/** The paper's figures (arXiv 2603.08163; SPEC.md §4). */
export const PAPER_UTILISATION = 0.945;
export const PAPER_COMM_S = 70;

const UPLOAD_DEADLINE_S = covenant72b.base.windows!.uploadDeadlineS!;

/** Steady-state utilisation of a row: its participants' mean compute over the window length (null for round 0, which has no previous gather). */
export function steadyUtilisation(r: MetricRow): number | null {
  if (r.round === 0 || r.computeUtilisation === null) return null;
  return (r.computeUtilisation * (r.simTimeS - r.windowStartS)) / Number(r['windowLengthS']);
}

/** What a peer waits through between two windows' training: the upload deadline, then the gather (null for round 0 as above). */
export function commPerRoundS(r: MetricRow): number | null {
  return r.round === 0 ? null : UPLOAD_DEADLINE_S + r.syncTimeS;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** MFU × download grid: steady-state utilisation and communication per round (means over rounds 1 …). */
function sweepTable(rows: readonly MetricRow[]): string {
  const head = `| MFU | compute per round | ${SWEEP_DOWNLINKS.map((d) => `${d / 1000} Gbit/s down`).join(' | ')} |`;
  const lines = [head, `|---|---|${SWEEP_DOWNLINKS.map(() => '---').join('|')}|`];
  for (const mfu of SWEEP_MFUS) {
    const computeS = covenantComputeS(mfu);
    const cells = SWEEP_DOWNLINKS.map((down) => {
      const arm = rows.filter((r) => r['mfu'] === mfu && r['downlinkMbps'] === down);
      const u = arm.map(steadyUtilisation).filter((x): x is number => x !== null);
      const c = arm.map(commPerRoundS).filter((x): x is number => x !== null);
      if (u.length === 0) return '—';
      const w = Number(arm[0]!['windowLengthS']);
      return `${(100 * mean(u)).toFixed(1)} %, ${mean(c).toFixed(0)} s (window ${w} s)`;
    });
    lines.push(`| ${mfu} | ${computeS.toFixed(0)} s | ${cells.join(' | ')} |`);
  }
  return `Each cell: steady-state compute utilisation, communication per round (70 s deadline + gather), window length; paper: ${PAPER_UTILISATION * 100} %, ≈ ${PAPER_COMM_S} s.\n\n${lines.join('\n')}`;
}

export default defineExperiment({
  id: 'covenant-72b-sweep',
  question: "Which (MFU, download bandwidth) reproduce Covenant-72B's published 94.5 % compute utilisation and ≈ 70 s of communication per round, with the window sized to the round as templar's operator sizes it?",
  expect: 'Utilisation rises as MFU falls (longer compute per fixed communication); the 70 s upload deadline alone is the paper\'s whole communication budget, so ≈ 70 s is approached only as the gather vanishes (high download), and 94.5 % needs an MFU near 0.2.',
  base: { ...covenant72b.base, rounds: 10 },
  arms: SWEEP_MFUS.flatMap((mfu) =>
    SWEEP_DOWNLINKS.map((down) => {
      const blocks = covenantWindowBlocks(mfu, down);
      const windowLengthS = blocks * covenant72b.base.windows!.blockTimeS!;
      return {
        name: `MFU ${mfu}, down ${down / 1000} Gbit/s`,
        set: {
          'compute.mfu': mfu,
          'net.downlinkMbps': { kind: 'fixed', value: down },
          windowS: windowLengthS,
          'windows.blocksPerWindow': blocks,
        },
        labels: { mfu, downlinkMbps: down, windowLengthS, method: 'sparseloco' },
      };
    }),
  ),
  seeds: [1],
  tiny: { peers: 4, rounds: 2, innerSteps: 2 },
  lossFigures: false,
  tables: [{ title: 'MFU × download: steady-state utilisation and communication per round', build: sweepTable }],
  figures: (rows) => [
    roundMeanVs(rows, 'downlinkMbps', 'download (Mbit/s, log)', 'mfu', { name: 'utilisation-vs-download', y: steadyUtilisation, yTitle: 'compute utilisation (steady state: compute / window)', reference: { y: PAPER_UTILISATION, label: 'paper: 94.5 %' } }),
    roundMeanVs(rows, 'downlinkMbps', 'download (Mbit/s, log)', 'mfu', { name: 'comm-vs-download', y: commPerRoundS, yTitle: 'communication per round (s: 70 s deadline + gather)', reference: { y: PAPER_COMM_S, label: 'paper: ≈ 70 s' } }),
  ],
});
