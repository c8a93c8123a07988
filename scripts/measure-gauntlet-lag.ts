/**
 * Measures the lagged Gauntlet validator against the same-round oracle, no defence and the clean
 * undefended run on the `byzantine` experiment's settings (10 peers × 30 rounds, H = 5), for a few
 * attacks and seeds: final held-out loss and the attackers' share of the posted weights (mean over
 * the rounds that had weights). Prints one Markdown table. Not part of `npm test`.
 *
 *   npx tsx scripts/measure-gauntlet-lag.ts [seeds=1,2,3] [gatherPeers=6] [gatherReserves=2] [attacks=sign-flip,copycat,free-rider]
 */
import { BYZANTINE_ATTACKS } from '../experiments/catalog/byzantine.ts';
import { BASE } from '../experiments/catalog/common.ts';
import type { SimConfigInput } from '../sim/config.ts';
import type { DefenceConfig } from '../core/defence/config.ts';
import { runSimulation } from '../sim/run.ts';

const [seedArg = '1,2,3', gatherArg = '6', reservesArg = '2', attackArg = 'sign-flip,copycat,free-rider', fractionArg = '0.3'] = process.argv.slice(2);
const seeds = seedArg.split(',').map(Number);
const gather = { peers: Number(gatherArg), reserves: Number(reservesArg) };
const fraction = Number(fractionArg);
const attacks = attackArg.split(',').map((name) => {
  const found = BYZANTINE_ATTACKS.find(([n]) => n === name);
  if (found === undefined) throw new Error(`unknown attack ${name} (one of ${BYZANTINE_ATTACKS.map(([n]) => n).join(', ')})`);
  return found;
});
const defences: [string, DefenceConfig][] = [['none', { kind: 'none' }], ['gauntlet-oracle', { kind: 'gauntlet-oracle' }], ['gauntlet (lagged)', { kind: 'gauntlet' }]];

function run(seed: number, defence: DefenceConfig, adversaries: SimConfigInput['adversaries']) {
  const cfg = { ...BASE, peers: 10, rounds: 30, innerSteps: 5, seed, defence, adversaries, gather } as SimConfigInput;
  const r = runSimulation(cfg);
  const shares = r.rows.map((x) => x.rewardShareAttackers).filter((s): s is number => typeof s === 'number');
  const sum = (k: 'validatorBytesDown' | 'validatorTimeS' | 'validatorEvaluated') => r.rows.reduce((a, x) => a + (x[k] ?? 0), 0);
  return { loss: r.finalHeldoutLoss, share: shares.length === 0 ? null : shares.reduce((a, b) => a + b, 0) / shares.length, attackersIn: r.rows.reduce((a, x) => a + (x.attackersSelected ?? 0), 0), vBytes: sum('validatorBytesDown'), vTime: sum('validatorTimeS'), vEval: sum('validatorEvaluated') };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const fmt = (xs: number[]) => `${mean(xs).toFixed(4)} ± ${sd(xs).toFixed(4)}`;

const clean = seeds.map((s) => run(s, { kind: 'none' }, []));
console.log(`gather ${JSON.stringify(gather)}, ${Math.round(fraction * 100)} % attackers, seeds ${seeds.join(',')}`);
console.log(`clean undefended: final held-out loss ${fmt(clean.map((c) => c.loss))}`);
console.log('| attack | defence | final loss (mean ± sd) | ÷ clean | attackers\' weight share | attacker msgs aggregated | validator MB down | validator s | evaluated |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [name, attack] of attacks) {
  for (const [dname, defence] of defences) {
    const rs = seeds.map((s) => run(s, defence, [{ attack, fraction }]));
    const shares = rs.map((r) => r.share).filter((s): s is number => s !== null);
    console.log(`| ${name} | ${dname} | ${fmt(rs.map((r) => r.loss))} | ${(mean(rs.map((r) => r.loss)) / mean(clean.map((c) => c.loss))).toFixed(3)} | ${shares.length === 0 ? '—' : mean(shares).toFixed(3)} | ${mean(rs.map((r) => r.attackersIn)).toFixed(1)} | ${(mean(rs.map((r) => r.vBytes)) / 1e6).toFixed(3)} | ${mean(rs.map((r) => r.vTime)).toFixed(1)} | ${mean(rs.map((r) => r.vEval)).toFixed(1)} |`);
  }
}
