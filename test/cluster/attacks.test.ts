/**
 * Attackers as peer processes (cluster/attacks.ts): the simulator's `adversaries` config run by
 * real peers, against the validator's defences. Each arm must agree with the simulator bit for
 * bit — contributors per round, held-out loss, final params, on-chain rewards per uid — and
 * Gauntlet must pay the attacker less than an honest peer.
 */
import { expect } from 'chai';
import { startHardhatNode } from '../../chain/devnet.ts';
import type { LocalNode } from '../../chain/devnet.ts';
import { attackRoster } from '../../cluster/attacks.ts';
import { runCluster } from '../../cluster/orchestrator.ts';
import type { DefenceConfig } from '../../core/defence/config.ts';
import { ConfigError } from '../../core/errors.ts';
import type { AttackConfig } from '../../sim/adversaries.ts';
import { resolveSimConfig } from '../../sim/config.ts';
import type { SimConfigInput } from '../../sim/config.ts';
import { runSimulation } from '../../sim/run.ts';

const FAST = { blockTimeMs: 100, roundLength: 80 } as const;

function config(attack: AttackConfig, defence: DefenceConfig): SimConfigInput {
  return {
    seed: 5,
    peers: 4,
    rounds: 3,
    innerSteps: 3,
    windowS: 60,
    closeWhenComplete: true,
    optim: { method: 'sparseloco' },
    adversaries: [{ attack, fraction: 0.25 }],
    defence,
    net: {
      uplinkMbps: { kind: 'fixed', value: 100 },
      downlinkMbps: { kind: 'fixed', value: 100 },
      latencyMs: { kind: 'fixed', value: 10 },
      store: { ingressMbps: 10_000, egressMbps: 10_000, latencyMs: 5 },
    },
  };
}

describe('cluster: attackers as peer processes', function () {
  this.timeout(240_000);
  let node: LocalNode;
  before(async () => {
    node = await startHardhatNode();
  });
  after(async () => {
    await node.close();
  });

  const ARMS: readonly [AttackConfig, DefenceConfig][] = [
    [{ kind: 'sign-flip' }, { kind: 'none' }],
    [{ kind: 'free-rider' }, { kind: 'gauntlet-oracle', gauntlet: { gatherPeerCount: 3 } }],
    [{ kind: 'copycat' }, { kind: 'gauntlet-oracle', gauntlet: { gatherPeerCount: 3 } }],
  ];
  for (const [attack, defence] of ARMS) {
    it(`${attack.kind} vs ${defence.kind}: the simulator's roster, rows, params and on-chain rewards`, async () => {
      const cfg = config(attack, defence);
      const [attacker] = [...attackRoster(resolveSimConfig(cfg)).keys()];
      const sim = runSimulation(cfg);
      const cluster = await runCluster(cfg, { ...FAST, rpcUrl: node.url });
      expect(cluster.rows.map((r) => r.contributors), 'contributors').to.deep.equal(sim.rows.map((r) => r.contributors));
      expect(cluster.rows.map((r) => r.heldoutLoss), 'held-out loss').to.deep.equal(sim.rows.map((r) => r.heldoutLoss));
      expect(cluster.finalParamsHash).to.equal(sim.finalParamsHash);
      expect(cluster.chain.rewardsByUid).to.deep.equal(sim.chain!.rewardsByUid);
      if (defence.kind === 'gauntlet-oracle') {
        const rewards = cluster.chain.rewardsByUid!;
        const honest = Object.keys(rewards).map(Number).filter((u) => u !== attacker);
        for (const u of honest) expect(BigInt(rewards[attacker!]!), `attacker ${attacker} vs honest ${u}`).to.be.lessThan(BigInt(rewards[u]!));
      }
    });
  }

  it('refuses an attack the peers do not run, naming it', async () => {
    let error: unknown;
    try {
      await runCluster(config({ kind: 'sybil' }, { kind: 'none' }), { ...FAST, rpcUrl: node.url });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).key).to.equal('adversaries[0].attack.kind');
  });
});
