/**
 * Sim ↔ cluster agreement, as data and as a figure: per-round bytes must be identical and the
 * final held-out loss equal within a stated tolerance (identical bits when both ran on the same
 * engine; tfjs engines agree only to fp32 rounding, hence the tolerance). Pure: rows in,
 * verdict and vega-lite spec out.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SimRoundRow } from '../sim/metrics.ts';

/** Default tolerance on |final held-out loss (sim) − (cluster)|, nats/token. */
export const LOSS_TOLERANCE = 1e-3;

/** The verdict of a comparison. */
export interface Agreement {
  readonly rounds: number;
  /** Rounds whose bytesUpTotal or bytesDownTotal differ (empty = identical bytes per round). */
  readonly bytesDifferInRounds: readonly number[];
  readonly finalLossSim: number;
  readonly finalLossCluster: number;
  readonly lossAbsDiff: number;
  readonly tolerance: number;
  readonly agrees: boolean;
}

/** Compares rows of the same config and seed run on both backends. */
export function compareRuns(sim: readonly SimRoundRow[], cluster: readonly SimRoundRow[], tolerance = LOSS_TOLERANCE): Agreement {
  const rounds = Math.min(sim.length, cluster.length);
  const differ: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (sim[r]!.bytesUpTotal !== cluster[r]!.bytesUpTotal || sim[r]!.bytesDownTotal !== cluster[r]!.bytesDownTotal) differ.push(r);
  }
  const finalLossSim = sim[sim.length - 1]?.heldoutLoss ?? Number.NaN;
  const finalLossCluster = cluster[cluster.length - 1]?.heldoutLoss ?? Number.NaN;
  const lossAbsDiff = Math.abs(finalLossSim - finalLossCluster);
  return {
    rounds,
    bytesDifferInRounds: differ,
    finalLossSim,
    finalLossCluster,
    lossAbsDiff,
    tolerance,
    agrees: sim.length === cluster.length && differ.length === 0 && lossAbsDiff <= tolerance,
  };
}

/** Two panels, one line per backend: held-out loss per round, and bytes (up + down) per round. */
export function comparisonSpec(sim: readonly SimRoundRow[], cluster: readonly SimRoundRow[], title: string): TopLevelSpec {
  const values = [
    ...sim.map((r) => ({ backend: 'sim', round: r.round, heldoutLoss: r.heldoutLoss, bytes: r.bytesUpTotal + r.bytesDownTotal })),
    ...cluster.map((r) => ({ backend: 'cluster', round: r.round, heldoutLoss: r.heldoutLoss, bytes: r.bytesUpTotal + r.bytesDownTotal })),
  ];
  const color = { field: 'backend', type: 'nominal', scale: { domain: ['sim', 'cluster'], range: ['#4c78a8', '#f58518'] } } as const;
  const x = { field: 'round', type: 'quantitative', title: 'round' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    hconcat: [
      {
        width: 320,
        height: 220,
        title: 'held-out loss',
        layer: [
          { mark: { type: 'line', strokeWidth: 3 }, encoding: { x, y: { field: 'heldoutLoss', type: 'quantitative', title: 'nats/token', scale: { zero: false } }, color } },
          { mark: { type: 'point', filled: true, size: 30 }, encoding: { x, y: { field: 'heldoutLoss', type: 'quantitative' }, color, shape: { field: 'backend', type: 'nominal' } } },
        ],
      },
      {
        width: 320,
        height: 220,
        title: 'bytes per round (up + down)',
        mark: { type: 'point', filled: true },
        encoding: { x, y: { field: 'bytes', type: 'quantitative', title: 'bytes' }, color, shape: { field: 'backend', type: 'nominal' } },
      },
    ],
  } as TopLevelSpec;
}

/** One backend's run of one arm, as the per-arm agreement reads it. */
export interface ArmRun {
  readonly rows: readonly SimRoundRow[];
  /** Uids aggregated (paid on chain) in each round, ascending. */
  readonly selected: readonly (readonly number[])[];
  /** On-chain rewards accrued per uid at the end, wei (decimal strings). */
  readonly rewardsByUid: Readonly<Record<number, string>>;
  readonly paramsHash: string;
  /** The cluster's timing (absent for the simulator's run). */
  readonly timing?: ClusterTiming;
}

/** Wall-clock means over a cluster run's rounds (seconds): the round, and the validator's parts. */
export interface ClusterTiming {
  /** Window open → results mined, per round. */
  readonly roundWallS: number;
  /** The validator's commitment reads and object fetches. */
  readonly fetchS: number;
  /** Integrity checks + defence + outer step (Gauntlet's forward passes included). */
  readonly validateS: number;
  /** Gauntlet's forward passes alone (its evaluation), inside validateS; 0 without Gauntlet. */
  readonly evaluateS: number;
  /** Checkpoint + postResults + slashes mined. */
  readonly postS: number;
}

/** Means of the cluster's per-round wall times (rows) and the validator's reports, same rounds. */
export function clusterTimingOf(rows: readonly { readonly roundWallS: number }[], reports: readonly { readonly fetchS: number; readonly validateS: number; readonly scoreS?: number; readonly postS: number }[]): ClusterTiming {
  const mean = <T>(xs: readonly T[], f: (x: T) => number): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, x) => a + f(x), 0) / xs.length);
  return {
    roundWallS: mean(rows, (r) => r.roundWallS),
    fetchS: mean(reports, (r) => r.fetchS),
    validateS: mean(reports, (r) => r.validateS),
    evaluateS: mean(reports, (r) => r.scoreS ?? 0),
    postS: mean(reports, (r) => r.postS),
  };
}

/** A difference between the backends: a round's field, or a whole-run one (round null). */
export interface ArmDifference {
  readonly round: number | null;
  readonly field: 'bytesUp' | 'bytesDown' | 'selected' | 'rewards' | 'paramsHash' | 'rounds';
  readonly sim: unknown;
  readonly cluster: unknown;
}

/** The agreement of one arm of `byzantine-cluster` (the issue's columns). */
export interface ArmAgreement {
  readonly arm: string;
  readonly bytesEqual: boolean;
  /** The same peers aggregated every round. */
  readonly selectedEqual: boolean;
  /** The same on-chain rewards per uid. */
  readonly rewardsEqual: boolean;
  readonly paramsHashEqual: boolean;
  readonly finalLossSim: number;
  readonly finalLossCluster: number;
  /** Every difference, round by round; empty when the arm agrees. */
  readonly differences: readonly ArmDifference[];
  /** The cluster run's wall times (means per round); null when not measured. */
  readonly clusterTiming: ClusterTiming | null;
}

/** Compares one arm run on both backends. */
export function compareArm(arm: string, sim: ArmRun, cluster: ArmRun): ArmAgreement {
  const differences: ArmDifference[] = [];
  if (sim.rows.length !== cluster.rows.length) differences.push({ round: null, field: 'rounds', sim: sim.rows.length, cluster: cluster.rows.length });
  const rounds = Math.min(sim.rows.length, cluster.rows.length);
  for (let r = 0; r < rounds; r++) {
    const s = sim.rows[r]!;
    const c = cluster.rows[r]!;
    if (s.bytesUpTotal !== c.bytesUpTotal) differences.push({ round: r, field: 'bytesUp', sim: s.bytesUpTotal, cluster: c.bytesUpTotal });
    if (s.bytesDownTotal !== c.bytesDownTotal) differences.push({ round: r, field: 'bytesDown', sim: s.bytesDownTotal, cluster: c.bytesDownTotal });
    const ss = sim.selected[r] ?? [];
    const cs = cluster.selected[r] ?? [];
    if (ss.join(',') !== cs.join(',')) differences.push({ round: r, field: 'selected', sim: ss, cluster: cs });
  }
  const uids = [...new Set([...Object.keys(sim.rewardsByUid), ...Object.keys(cluster.rewardsByUid)])].map(Number).sort((a, b) => a - b);
  for (const uid of uids) {
    const s = sim.rewardsByUid[uid] ?? '0';
    const c = cluster.rewardsByUid[uid] ?? '0';
    if (s !== c) differences.push({ round: null, field: 'rewards', sim: { uid, wei: s }, cluster: { uid, wei: c } });
  }
  if (sim.paramsHash !== cluster.paramsHash) differences.push({ round: null, field: 'paramsHash', sim: sim.paramsHash, cluster: cluster.paramsHash });
  const none = (...fields: ArmDifference['field'][]): boolean => !differences.some((d) => fields.includes(d.field));
  return {
    arm,
    bytesEqual: none('bytesUp', 'bytesDown', 'rounds'),
    selectedEqual: none('selected', 'rounds'),
    rewardsEqual: none('rewards'),
    paramsHashEqual: none('paramsHash'),
    finalLossSim: sim.rows[sim.rows.length - 1]?.heldoutLoss ?? Number.NaN,
    finalLossCluster: cluster.rows[cluster.rows.length - 1]?.heldoutLoss ?? Number.NaN,
    differences,
    clusterTiming: cluster.timing ?? null,
  };
}

/**
 * The per-arm agreement as a Markdown table (✓ / ✗ per column, final held-out loss of both, the
 * cluster's mean round wall time and its validator's validate / evaluation time), then every
 * difference round by round.
 */
export function agreementTable(arms: readonly ArmAgreement[]): string {
  const mark = (ok: boolean): string => (ok ? '✓' : '✗');
  const secs = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3));
  const lines = [
    '| arm | bytes | selected | rewards | params hash | final loss sim | final loss cluster | round wall s | validate s | evaluation s |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const a of arms) {
    const t = a.clusterTiming;
    lines.push(`| ${a.arm} | ${mark(a.bytesEqual)} | ${mark(a.selectedEqual)} | ${mark(a.rewardsEqual)} | ${mark(a.paramsHashEqual)} | ${a.finalLossSim.toFixed(4)} | ${a.finalLossCluster.toFixed(4)} | ${secs(t?.roundWallS)} | ${secs(t?.validateS)} | ${secs(t?.evaluateS)} |`);
  }
  const differing = arms.filter((a) => a.differences.length > 0);
  if (differing.length > 0) {
    lines.push('', 'Differences (round: field sim → cluster):', '');
    for (const a of differing) {
      for (const d of a.differences) lines.push(`- ${a.arm}, ${d.round === null ? 'run' : `round ${d.round}`}: ${d.field} ${JSON.stringify(d.sim)} → ${JSON.stringify(d.cluster)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
