/** The experiment registry: every experiment the CLI can run, by id. */
import type { Experiment } from '../define.ts';
import attacksCluster from './attacks-cluster.ts';
import bandwidthSweep from './bandwidth-sweep.ts';
import covenant72b from './covenant-72b.ts';
import covenant72bSweep from './covenant-72b-sweep.ts';
import byzantine from './byzantine.ts';
import byzantineCluster from './byzantine-cluster.ts';
import baselines from './baselines.ts';
import churn30 from './churn-30pct.ts';
import churn30Tfjs from './churn-30pct-tfjs.ts';
import churnSweep from './churn-sweep.ts';
import dataQuality from './data-quality.ts';
import densitySweep from './density-sweep.ts';
import energy from './energy.ts';
import fidelity from './fidelity.ts';
import gather from './gather.ts';
import heterogeneity from './heterogeneity.ts';
import peerScaling from './peer-scaling.ts';
import scale10k from './scale-10k.ts';
import trillion from './trillion.ts';

export const EXPERIMENTS: ReadonlyMap<string, Experiment> = new Map(
  [churn30, churnSweep, bandwidthSweep, baselines, densitySweep, heterogeneity, scale10k, energy, byzantine, byzantineCluster, attacksCluster, fidelity, churn30Tfjs, gather, peerScaling, covenant72b, covenant72bSweep, trillion, dataQuality].map((e) => [e.id, e]),
);
