/**
 * The trillion projection (issue 13 item 5): Covenant's round simulated at 72B, 200B, 500B and 1T
 * parameters (core/model-layout.ts TRILLION_SIZES; all but 72B are our own scaled layouts, not
 * published models), SparseLoCo (gather 20 + 10 reserves) against DiLoCo and DDP over a ring
 * all-reduce, at symmetric links of 100 Mbit/s … 10 Gbit/s. A two-level run (sim/charge.ts): a
 * 68-parameter softmax regression trains for real (the loss is not the question here) and every
 * byte is charged at the target layout's exact wire size; each inner step costs the compute
 * model's 6·N·tokens at 192 × 2048 tokens on 8 × B200, MFU 0.4 (assumed; Covenant-72B's inputs).
 *
 * The round has nothing but compute and communication in it, so the simulator can be checked
 * against the closed form (core/round-cost.ts, test/experiments/trillion.test.ts): every peer's
 * step is the same (no heterogeneity), no churn, no loss, store links far faster than the peers',
 * latency 1 ms, rounds close when every message is in (no window to wait out), no null warm-up
 * rounds. 21 peers, so the one peer outside the 20-peer gather list downloads 20 messages, as the
 * closed form's gather-20 counts; the 20 listed peers download 19 (not their own).
 */
import { llamaLayout, llamaParamCount, TRILLION_SIZES } from '../../core/model-layout.ts';
import { ConfigError } from '../../core/errors.ts';
import { bandwidthForUtilisation, roundCost } from '../../core/round-cost.ts';
import type { CostedMethod, RoundCost } from '../../core/round-cost.ts';
import { innerStepSeconds } from '../../core/compute-model.ts';
import { TEMPLAR_GATHER } from '../../sim/round-gather-config.ts';
import { defineExperiment } from '../define.ts';
import { roundMeanVs } from '../plots.ts';
import type { MetricRow } from '../runner.ts';
import { METHODS } from './common.ts';

/** Symmetric link rate per peer (uplink = downlink), Mbit/s. */
export const TRILLION_LINKS_MBPS = [100, 300, 1000, 3000, 10_000] as const;
/** Utilisations the closed-form bandwidth table solves for. */
export const TRILLION_TARGET_UTILISATIONS = [0.9, 0.95, 0.99] as const;
export const TRILLION_PEERS = 21;
export const TRILLION_INNER_STEPS = 30;
/**
 * The gather's per-download timeout, s. Templar's 90 s (TEMPLAR_GATHER) gives up every download
 * slower than 20 messages in 90 s — below 3.5 Gbit/s at 72B, 48 Gbit/s at 1T — and the round then
 * aggregates nothing; the projection asks what the protocol costs when it completes, so the
 * timeout is lifted (an operator scaling the model would scale it too).
 */
const GATHER_TIMEOUT_S = 1e9;
/** Covenant-72B's per-peer compute (SPEC §6, model card), MFU assumed (core/compute-model.ts DEFAULT_MFU). */
export const TRILLION_COMPUTE = { tokensPerStep: 192 * 2048, device: 'B200', gpusPerPeer: 8, mfu: 0.4 } as const;

/** The methods compared: the simulator's optim section, and the closed form's name for it. */
export const TRILLION_METHODS = [
  { name: 'sparseloco', costed: 'sparseloco', optim: METHODS.sparseloco },
  { name: 'diloco-ring', costed: 'diloco-ring', optim: METHODS.diloco },
  { name: 'ddp-ring', costed: 'ddp-ring', optim: METHODS.ddp },
] as const satisfies readonly { name: string; costed: CostedMethod; optim: object }[];

/** Compute seconds of one round (H inner steps) on one peer of `params`. */
export function trillionComputeS(params: number): number {
  return TRILLION_INNER_STEPS * innerStepSeconds({ params, tokens: TRILLION_COMPUTE.tokensPerStep, device: TRILLION_COMPUTE.device, gpusPerPeer: TRILLION_COMPUTE.gpusPerPeer, mfu: TRILLION_COMPUTE.mfu });
}

/** The closed-form round (core/round-cost.ts) of one arm: the same inputs as the simulated one. */
export function trillionClosedForm(sizeLabel: string, method: CostedMethod, linkMbps: number): RoundCost {
  const size = TRILLION_SIZES.find((s) => s.label === sizeLabel);
  if (size === undefined) throw new ConfigError('trillion size', sizeLabel, `must be one of ${TRILLION_SIZES.map((s) => s.label).join(', ')}`);
  const layout = llamaLayout(size.arch);
  return roundCost({ layout, method, innerSteps: TRILLION_INNER_STEPS, computeS: trillionComputeS(layout.size), uplinkMbps: linkMbps, downlinkMbps: linkMbps, gather: TEMPLAR_GATHER.peers, peers: TRILLION_PEERS });
}

/** Up + down bytes per present peer in a round (charged bytes). */
function bytesPerPeer(r: MetricRow): number | null {
  return r.activePeers === 0 ? null : (r.bytesUpTotal + r.bytesDownTotal) / r.activePeers;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** One markdown cell per (size, method, link): the simulated means over rounds. */
function simulatedTable(rows: readonly MetricRow[]): string {
  const head = `| size | method | ${TRILLION_LINKS_MBPS.map((m) => `${m >= 1000 ? `${m / 1000} Gbit/s` : `${m} Mbit/s`}`).join(' | ')} |`;
  const lines = [head, `|---|---|${TRILLION_LINKS_MBPS.map(() => '---').join('|')}|`];
  for (const size of TRILLION_SIZES) {
    for (const m of TRILLION_METHODS) {
      const cells = TRILLION_LINKS_MBPS.map((mbps) => {
        const arm = rows.filter((r) => r['size'] === size.label && r['method'] === m.name && r['linkMbps'] === mbps);
        if (arm.length === 0) return '—';
        const round = mean(arm.map((r) => r.simTimeS - r.windowStartS));
        const util = mean(arm.map((r) => r.computeUtilisation ?? 0));
        const bytes = mean(arm.map((r) => bytesPerPeer(r) ?? 0));
        const closed = trillionClosedForm(size.label, m.costed, mbps).utilisation;
        return `${formatSeconds(round)}, ${formatBytes(bytes)}, ${(100 * util).toFixed(1)} % (${(100 * closed).toFixed(1)} %)`;
      });
      lines.push(`| ${size.label} | ${m.name} | ${cells.join(' | ')} |`);
    }
  }
  return `Each cell: round time, bytes per peer per round (up + down), compute utilisation — simulated, mean over rounds — and in brackets the closed form's utilisation (core/round-cost.ts).\n\n${lines.join('\n')}`;
}

/** The symmetric link each size × method needs for 90 / 95 / 99 % utilisation (closed form, core/round-cost.ts). */
export function bandwidthTable(): string {
  const lines = [
    `| size | method | ${TRILLION_TARGET_UTILISATIONS.map((u) => `${Math.round(u * 100)} %`).join(' | ')} |`,
    `|---|---|${TRILLION_TARGET_UTILISATIONS.map(() => '---').join('|')}|`,
  ];
  for (const size of TRILLION_SIZES) {
    const layout = llamaLayout(size.arch);
    const computeS = trillionComputeS(layout.size);
    for (const m of TRILLION_METHODS) {
      const cells = TRILLION_TARGET_UTILISATIONS.map((u) => formatMbps(bandwidthForUtilisation({ layout, method: m.costed, innerSteps: TRILLION_INNER_STEPS, computeS, gather: TEMPLAR_GATHER.peers, peers: TRILLION_PEERS }, u)));
      lines.push(`| ${size.label} | ${m.name} | ${cells.join(' | ')} |`);
    }
  }
  return `Symmetric link per peer (uplink = downlink) at which a round reaches each compute utilisation; closed form, ${TRILLION_PEERS}-peer rings, gather ${TEMPLAR_GATHER.peers}.\n\n${lines.join('\n')}`;
}

function formatSeconds(s: number): string {
  if (s >= 86_400) return `${(s / 86_400).toFixed(1)} d`;
  if (s >= 3600) return `${(s / 3600).toFixed(2)} h`;
  return `${s.toFixed(0)} s`;
}

function formatBytes(b: number): string {
  if (b >= 1e12) return `${(b / 1e12).toFixed(2)} TB`;
  return `${(b / 1e9).toFixed(1)} GB`;
}

function formatMbps(mbps: number): string {
  if (mbps >= 1e6) return `${(mbps / 1e6).toFixed(2)} Tbit/s`;
  if (mbps >= 1e3) return `${(mbps / 1e3).toFixed(2)} Gbit/s`;
  return `${mbps.toFixed(0)} Mbit/s`;
}

export default defineExperiment({
  id: 'trillion',
  question: 'What do round time, bytes per peer and compute utilisation become at 72B, 200B, 500B and 1T parameters for SparseLoCo, DiLoCo (ring all-reduce) and DDP, on links of 100 Mbit/s to 10 Gbit/s, and what link does each need for 90 / 95 / 99 % utilisation?',
  expect: 'At fixed tokens and GPUs per peer both compute and bytes grow with N, so each method\'s utilisation at a given link is nearly the same at every size; SparseLoCo needs ≈ 13× less bandwidth than DiLoCo and ≈ 400× less than DDP for the same utilisation.',
  base: {
    peers: TRILLION_PEERS,
    rounds: 2,
    innerSteps: TRILLION_INNER_STEPS,
    windowS: 1e9,
    closeWhenComplete: true,
    stepTimeS: { kind: 'fixed', value: 1 }, // a multiplier of the modelled step (compute section)
    optim: METHODS.sparseloco,
    net: {
      uplinkMbps: { kind: 'fixed', value: 1000 },
      downlinkMbps: { kind: 'fixed', value: 1000 },
      latencyMs: { kind: 'fixed', value: 1 },
      store: { ingressMbps: 1e9, egressMbps: 1e9, latencyMs: 0 },
    },
    churn: { availability: { kind: 'always' } },
    backend: { hiddenDim: 0, inputDim: 16, numClasses: 4, batchSize: 4, heldoutSize: 64 },
    chain: { enabled: false },
  },
  arms: TRILLION_SIZES.flatMap((size) =>
    TRILLION_METHODS.flatMap((m) =>
      TRILLION_LINKS_MBPS.map((mbps) => ({
        name: `${size.label} ${m.name} @ ${mbps} Mbit/s`,
        set: {
          optim: m.optim,
          charge: { layout: size.id },
          compute: { ...TRILLION_COMPUTE, params: llamaParamCount(size.arch) },
          'net.uplinkMbps': { kind: 'fixed', value: mbps },
          'net.downlinkMbps': { kind: 'fixed', value: mbps },
          ...(m.costed === 'sparseloco' ? { gather: { ...TEMPLAR_GATHER, downloadTimeoutS: GATHER_TIMEOUT_S }, replicas: { warmupWindows: 0 } } : {}),
        },
        labels: { size: size.label, method: m.name, linkMbps: mbps },
      })),
    ),
  ),
  seeds: [1],
  tiny: { peers: 4, rounds: 1, innerSteps: 2 },
  lossFigures: false, // the 68-parameter model's loss says nothing about the question
  tables: [
    { title: 'Simulated rounds (round time, bytes per peer, utilisation)', build: simulatedTable },
    { title: 'Bandwidth for 90 / 95 / 99 % utilisation (closed form)', build: () => bandwidthTable() },
  ],
  figures: (rows) => [
    roundMeanVs(rows, 'linkMbps', 'symmetric link per peer (Mbit/s, log)', 'method', { name: 'utilisation-vs-link', y: (r) => r.computeUtilisation, yTitle: 'compute utilisation', facet: 'size' }),
  ],
});
