/**
 * The cluster's event hook as the dashboard reads it: a real churning run on loopback (peer and
 * validator processes, Hardhat node, folder store) streams phases, churn and one provisional row per
 * round before it returns, and the dashboard's model fed from that stream, then from the results
 * folder, holds the run's rows and validator reports.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterEvent } from '../../cluster/orchestrator.ts';
import { runClusterTasks } from '../../cluster/tasks.ts';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { loadResultsFolder } from '../../experiments/dashboard/folder.ts';
import { openLiveDashboard } from '../../experiments/dashboard/live.ts';
import { writeResults } from '../../experiments/results.ts';
import { metricRows, planRuns } from '../../experiments/runner.ts';

type Of<K extends ClusterEvent['kind']> = Extract<ClusterEvent, { kind: K }>;
const ofKind = <K extends ClusterEvent['kind']>(events: readonly ClusterEvent[], kind: K): Of<K>[] => events.filter((e): e is Of<K> => e.kind === kind);

describe('dashboard: the cluster event hook', function () {
  this.timeout(120_000);

  it('streams phases, churn and a row per round while a churning cluster run goes', async () => {
    const exp = EXPERIMENTS.get('churn-30pct')!;
    // The dropout arm at tiny size (4 peers × 3 rounds); seed 18's rosters are [0 1 2 3], [0 1 2],
    // [0 1 3]: two peers leave, one rejoins (one process restart: each costs seconds here).
    const tasks = planRuns(exp, [18], exp.tiny).filter((t) => t.arm === '30% dropout');
    const outDir = mkdtempSync(join(tmpdir(), 'dashboard-cluster-'));
    const dash = await openLiveDashboard({ experiment: exp, backend: 'cluster', tasks, outDir, port: 0 });
    const events: ClusterEvent[] = [];
    try {
      const outcomes = await runClusterTasks(tasks, {
        outDir,
        blockTimeMs: 100,
        roundLength: 80,
        onEvent: (task, event) => {
          events.push(event);
          dash.onClusterEvent(task, event);
        },
      });
      const { result } = outcomes[0]!;
      const { rosters } = result.plan;

      const rounds = ofKind(events, 'round');
      expect(rounds.map((e) => e.row.round)).to.deep.equal([0, 1, 2]);
      // The validator's figures are final when streamed; peer-side ones may still grow.
      expect(rounds.map((e) => e.row.heldoutLoss)).to.deep.equal(result.rows.map((r) => r.heldoutLoss));
      expect(rounds.map((e) => e.report!.contributors.length)).to.deep.equal(result.rows.map((r) => r.contributors));
      expect(rounds.map((e) => e.row.activePeers)).to.deep.equal(result.rows.map((r) => r.activePeers));

      const phases = ofKind(events, 'phase');
      const churn = ofKind(events, 'churn');
      expect(phases.filter((e) => e.phase === 'finalised').map((e) => e.round)).to.deep.equal([0, 1, 2]);
      const committed = phases.filter((e) => e.phase === 'committed').length;
      expect(committed).to.equal(rounds.reduce((n, e) => n + e.report!.committed.length, 0));

      const leaves = churn.filter((e) => e.change === 'leaves').map((e) => `${e.round}:${e.uid}`);
      const expectedLeaves = rosters.flatMap((roster, r) => (r === 0 ? [] : rosters[r - 1]!.filter((uid) => !roster.includes(uid)).map((uid) => `${r}:${uid}`)));
      expect(expectedLeaves.length).to.be.greaterThan(0); // the run churns, so the test means something
      expect(leaves.sort()).to.deep.equal(expectedLeaves.sort());
      const joins = new Set(churn.filter((e) => e.change === 'joins').map((e) => `${e.round}:${e.uid}`));
      for (const [r, roster] of rosters.entries()) {
        if (r > 0) for (const uid of roster.filter((u) => !rosters[r - 1]!.includes(u))) expect(joins.has(`${r}:${uid}`), `peer ${uid} joins round ${r}`).to.equal(true);
      }

      // The live model, then the folder model, hold the run's rows and reports.
      const rows = metricRows(exp.id, outcomes);
      dash.finish(rows);
      const live = dash.model.snapshot();
      expect(live.rows.length).to.equal(3);
      expect(live.validatorReports.map((r) => r.report.round)).to.deep.equal([0, 1, 2]);
      expect(live.events.length).to.equal(events.length - rounds.length);
      await writeResults({ outDir, experiment: exp, tasks, rows, overrides: {} });
      const folder = (await loadResultsFolder(outDir)).snapshot();
      expect(folder.meta.backend).to.equal('cluster');
      expect(folder.rows).to.deep.equal(JSON.parse(JSON.stringify(live.rows)));
      expect(folder.validatorReports).to.deep.equal(live.validatorReports);
    } finally {
      await dash.server.close();
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
