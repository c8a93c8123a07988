/**
 * Every figure README.md shows, as data: the file the README links and the npm commands that
 * produce it. `npm run figures` (scripts/figures.ts) runs these commands; a test checks that the
 * README's image links are exactly these files. Add a figure to the README by adding it here.
 */

/** One `npm run <script> -- <args…>`; `{work}` in an argument is the figure's fresh scratch folder. */
export interface FigureCommand {
  readonly npm: readonly [script: string, ...args: string[]];
  /** Where the command's stdout goes (`{work}/…`), for commands that print their results. */
  readonly stdoutTo?: string;
}

/** A file a figure's commands leave under `{work}`, copied into the repository once all succeed. */
export interface FigureOutput {
  readonly from: string; // under {work}
  readonly to: string; // repository-relative
}

export interface FigureRecipe {
  /** `npm run figures -- --only <name>`. */
  readonly name: string;
  /** Repository-relative path of the image, as README.md links it. */
  readonly figure: string;
  /** The command run's file that becomes `figure`. */
  readonly from: string;
  /** Raw rows committed beside the figure (the README cites them), if any. */
  readonly data?: FigureOutput;
  readonly commands: readonly FigureCommand[];
  /** Rough wall time of the commands on the project's 2-core VM, seconds (so one knows what to skip). */
  readonly approxWallS: number;
}

export const FIGURES: readonly FigureRecipe[] = [
  {
    name: 'churn-30pct',
    figure: 'docs/figures/churn-30pct-loss-vs-rounds.png',
    from: '{work}/plots/loss-vs-rounds.png',
    commands: [{ npm: ['experiment', 'churn-30pct', '--out', '{work}'] }],
    approxWallS: 20,
  },
  {
    name: 'bandwidth-sweep',
    figure: 'docs/figures/bandwidth-sweep-time-to-target.png',
    from: '{work}/plots/time-to-target-vs-uplinkMbps.png',
    commands: [{ npm: ['experiment', 'bandwidth-sweep', '--out', '{work}'] }],
    approxWallS: 40,
  },
  {
    name: 'peer-scaling-utilisation',
    figure: 'docs/figures/peer-scaling-utilisation.png',
    from: '{work}/plots/utilisation-vs-peers.png',
    commands: [{ npm: ['experiment', 'peer-scaling', '--out', '{work}'] }],
    approxWallS: 115,
  },
  {
    name: 'peer-scaling-bytes',
    figure: 'docs/figures/peer-scaling-bytes.png',
    from: '{work}/plots/bytes-per-peer-vs-peers.png',
    commands: [{ npm: ['experiment', 'peer-scaling', '--out', '{work}'] }],
    approxWallS: 115,
  },
  {
    name: 'data-quality',
    figure: 'docs/figures/data-quality-loss-vs-fraction.png',
    from: '{work}/plots/final-loss-vs-fraction.png',
    commands: [{ npm: ['experiment', 'data-quality', '--jobs', '2', '--out', '{work}'] }],
    approxWallS: 600,
  },
  {
    name: 'covenant-72b-sweep',
    figure: 'docs/figures/covenant-72b-sweep-utilisation-vs-download.png',
    from: '{work}/plots/utilisation-vs-download.png',
    commands: [{ npm: ['experiment', 'covenant-72b-sweep', '--jobs', '2', '--out', '{work}'] }],
    approxWallS: 270,
  },
  {
    name: 'trillion',
    figure: 'docs/figures/trillion-utilisation-vs-link.png',
    from: '{work}/plots/utilisation-vs-link.png',
    commands: [{ npm: ['experiment', 'trillion', '--jobs', '2', '--out', '{work}'] }],
    approxWallS: 60,
  },
  {
    name: 'sim-vs-cluster',
    figure: 'docs/figures/sim-vs-cluster.png',
    from: '{work}/sim-vs-cluster.png',
    // The fidelity run on the simulator and on the loopback cluster (peer processes, Hardhat node).
    commands: [{ npm: ['cluster:compare', 'fidelity', '--out', '{work}'] }],
    approxWallS: 180,
  },
  {
    name: 'validate-clock',
    figure: 'docs/figures/validate-clock.png',
    from: '{work}/predicted-vs-measured.png',
    data: { from: '{work}/table.md', to: 'docs/validate-clock.md' },
    // The cluster on tbf-shaped veth links in network namespaces (needs root): 7 cells × 3 rounds.
    commands: [{ npm: ['cluster:validate-clock', '--out', '{work}'] }],
    approxWallS: 600,
  },
  {
    name: 'dashboard',
    figure: 'assets/dashboard.png',
    from: '{work}/dashboard.png',
    // The dashboard page on a finished churn-30pct folder, screenshot by Debian's chromium.
    commands: [
      { npm: ['experiment', 'churn-30pct', '--out', '{work}/run'] },
      { npm: ['dashboard', '{work}/run', '--screenshot', '{work}/dashboard.png'] },
    ],
    approxWallS: 35,
  },
  {
    name: 'bench-core',
    figure: 'docs/bench-core.svg',
    from: '{work}/bench-core.svg',
    data: { from: '{work}/bench-core.jsonl', to: 'docs/bench-core.jsonl' },
    // A measurement of this machine; the PyTorch bar needs Debian's python3-torch (skipped without).
    commands: [
      { npm: ['bench', '--json', '--only', 'core'], stdoutTo: '{work}/bench-core.jsonl' },
      { npm: ['bench:figure', '{work}/bench-core.jsonl', '{work}/bench-core.svg'] },
    ],
    approxWallS: 120,
  },
];
