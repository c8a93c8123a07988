/**
 * `churn.restart` (sim/peer-state.ts): what a returning peer keeps. 'resume' is the default and
 * leaves every existing config's rows as they were; 'fresh' changes a run only where a peer
 * restarted after training.
 */
import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { RestartSemantics } from '../../sim/churn.ts';
import { runSimulation } from '../../sim/run.ts';

const NET = {
  uplinkMbps: { kind: 'fixed', value: 100 },
  downlinkMbps: { kind: 'fixed', value: 100 },
  latencyMs: { kind: 'fixed', value: 10 },
  store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
} as const;

/** Seed 8: peer 1 crashes in round 0 and is back in round 1; peer 0 leaves after round 1. */
function churned(restart?: RestartSemantics, availability: SimConfigInput['churn'] = { availability: { kind: 'bernoulli', dropout: 0.3 }, crash: { probability: 0.2 } }): SimConfigInput {
  return { seed: 8, peers: 3, rounds: 4, innerSteps: 3, windowS: 60, closeWhenComplete: true, optim: { method: 'sparseloco' }, net: NET, replicas: { warmupWindows: 0 }, churn: { ...availability!, ...(restart === undefined ? {} : { restart }) } };
}

describe('sim/peer-state: churn.restart', () => {
  it("defaults to 'resume': the same rows as an explicit 'resume'; 'fresh' changes the run once a trained peer restarts", () => {
    const byDefault = runSimulation(churned());
    const resume = runSimulation(churned('resume'));
    const fresh = runSimulation(churned('fresh'));
    expect(resume.rows).to.deep.equal(byDefault.rows);
    expect(resume.finalParamsHash).to.equal(byDefault.finalParamsHash);
    expect(fresh.finalParamsHash).to.not.equal(resume.finalParamsHash);
    // Round 0 is before any restart: identical under both.
    expect(fresh.rows[0]).to.deep.equal(resume.rows[0]);
  });

  it("'fresh' is 'resume' when nobody ever restarts (every peer always present)", () => {
    const always = { availability: { kind: 'always' } } as const;
    expect(runSimulation(churned('fresh', always)).finalParamsHash).to.equal(runSimulation(churned('resume', always)).finalParamsHash);
  });

  it('refuses an unknown value, naming churn.restart', () => {
    let error: unknown;
    try {
      resolveSimConfig({ ...churned(), churn: { availability: { kind: 'always' }, restart: 'amnesia' as RestartSemantics } });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).key).to.equal('churn.restart');
  });
});
