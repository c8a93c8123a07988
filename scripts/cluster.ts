/**
 * `npm run cluster`: a long-lived cluster deployment for one run of an experiment arm — a Hardhat
 * node (listening on --host, so peers on other hosts can reach it) or --rpc, the Coordinator, the
 * store, the validator, the block clock and --local-peers peer processes here. The remaining
 * peers join from other hosts, one command each (printed once the node is up):
 *
 *   npx tsx cluster/peer.ts --rpc http://<this-host>:8545 --store s3://<bucket> --s3-endpoint <url> --key <funded key>
 *
 * It runs until the last round is finalised, then writes the results folder as `npm run experiment`.
 *
 *   npm run cluster -- fidelity                                  # all 4 peers here, folder store
 *   npm run cluster -- fidelity --host 0.0.0.0 --port 8545 --local-peers 2 \
 *       --store s3://run-1 --s3-endpoint http://store-host:4568  # 2 peers join from elsewhere
 *   npm run cluster -- fidelity --dashboard                      # live charts on 127.0.0.1 (port printed)
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { devWallets } from '../chain/devnet.ts';
import { runCluster } from '../cluster/orchestrator.ts';
import type { ClusterEvent } from '../cluster/orchestrator.ts';
import { ConfigError, SparseLocoError } from '../core/errors.ts';
import { EXPERIMENTS } from '../experiments/catalog/index.ts';
import { armConfig } from '../experiments/define.ts';
import { parseSetFlags } from '../experiments/overrides.ts';
import { openLiveDashboard, untilInterrupted } from '../experiments/dashboard/live.ts';
import { parseDashboardPort } from '../experiments/dashboard/server.ts';
import { writeResults } from '../experiments/results.ts';
import { metricRows } from '../experiments/runner.ts';
import { summaryMarkdown } from '../experiments/summary.ts';

/** parseArgs refuses a string option without a value: `--dashboard` alone (last, or before another flag) gets '' (a free port). */
function withOptionalValue(argv: readonly string[], flag: string): string[] {
  return argv.flatMap((arg, i) => (arg === flag && (i === argv.length - 1 || argv[i + 1]!.startsWith('--')) ? [arg, ''] : [arg]));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    strict: true,
    allowPositionals: true,
    options: {
      arm: { type: 'string' },
      seed: { type: 'string' },
      set: { type: 'string', multiple: true, default: [] },
      'local-peers': { type: 'string' },
      rpc: { type: 'string' },
      store: { type: 'string' },
      's3-endpoint': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8545' },
      'block-ms': { type: 'string', default: '250' },
      'round-blocks': { type: 'string', default: '40' },
      'checkpoint-every': { type: 'string' },
      out: { type: 'string' },
      dashboard: { type: 'string' },
    },
    args: withOptionalValue(process.argv.slice(2), '--dashboard'),
  });
  const dashboardPort = parseDashboardPort(values.dashboard);
  const id = positionals[0];
  const exp = id === undefined ? undefined : EXPERIMENTS.get(id);
  if (exp === undefined) throw new ConfigError('experiment', id, `must be one of ${[...EXPERIMENTS.keys()].join(', ')}`);
  const arm = values.arm === undefined ? exp.arms[0]! : exp.arms.find((a) => a.name === values.arm);
  if (arm === undefined) throw new ConfigError('--arm', values.arm, `must be one of ${exp.arms.map((a) => a.name).join(', ')}`);
  const seed = values.seed === undefined ? exp.seeds[0]! : Number(values.seed);
  const extra = parseSetFlags(values.set);
  const config = armConfig(exp, arm, seed, extra);
  const outDir = values.out ?? join('results', exp.id, `cluster-${new Date().toISOString().replace(/[:.]/g, '-')}`);

  const task = { index: 0, arm: arm.name, seed, labels: arm.labels ?? {}, rounds: config.rounds, config };
  const dashboard = dashboardPort === null ? null : await openLiveDashboard({ experiment: exp, backend: 'cluster', tasks: [task], outDir, port: dashboardPort });
  if (dashboard !== null) console.error(`dashboard: ${dashboard.server.url}`);
  const result = await runCluster(config, {
    ...(values.rpc !== undefined ? { rpcUrl: values.rpc } : {}),
    storeUrl: values.store ?? join(outDir, 'cluster', 'store'),
    ...(values['s3-endpoint'] !== undefined ? { s3Endpoint: values['s3-endpoint'] } : {}),
    ...(values['local-peers'] !== undefined ? { localPeers: Number(values['local-peers']) } : {}),
    ...(values['checkpoint-every'] !== undefined ? { checkpointEvery: Number(values['checkpoint-every']) } : {}),
    nodeHost: values.host,
    nodePort: Number(values.port),
    blockTimeMs: Number(values['block-ms']),
    roundLength: Number(values['round-blocks']),
    log: (line) => console.error(line),
    ...(dashboard === null ? {} : { onEvent: (event: ClusterEvent) => dashboard.onClusterEvent(task, event) }),
    onReady: ({ rpcUrl, storeUrl, mnemonic }) => {
      const local = Number(values['local-peers'] ?? config.peers);
      if (local >= config.peers) return;
      const keys = devWallets(mnemonic, config.peers + 2).slice(2 + local);
      console.error(`\n${config.peers - local} peer(s) to join from other hosts, one command each:`);
      for (const w of keys) console.error(`  CLUSTER_KEY=${w.privateKey} npx tsx cluster/peer.ts --rpc ${rpcUrl} --store ${storeUrl}${values['s3-endpoint'] ? ` --s3-endpoint ${values['s3-endpoint']}` : ''}`);
    },
  }).catch(async (error: unknown) => {
    dashboard?.fail(error);
    await dashboard?.server.close();
    throw error;
  });
  const rows = metricRows(exp.id, [{ task, result }]);
  const written = await writeResults({ outDir, experiment: exp, tasks: [task], rows, overrides: extra });
  console.log(`\n${summaryMarkdown(written.summary)}\n`);
  console.log(`results: ${outDir}; store: ${result.storeUrl}; ${result.wallS.toFixed(1)} s wall`);
  if (dashboard !== null) {
    dashboard.finish(rows);
    console.error(`dashboard: ${dashboard.server.url} shows the finished run; Ctrl-C to stop (later: npm run dashboard -- ${outDir})`);
    await untilInterrupted();
    await dashboard.server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof SparseLocoError ? `error: ${error.message}` : error);
  process.exitCode = 2;
});
