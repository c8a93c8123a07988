import { expect } from 'chai';
import { ConfigError } from '../../core/errors.ts';
import { COVENANT_72B, llamaLayout, SCALED_1T } from '../../core/model-layout.ts';
import { bandwidthForUtilisation, roundCost } from '../../core/round-cost.ts';
import type { CostedMethod } from '../../core/round-cost.ts';
import { encodedBytes } from '../../core/wire-size.ts';

describe('core/round-cost', () => {
  it('the bandwidth solved for utilisation u gives exactly u back, every method, size and u', () => {
    let cases = 0;
    for (const arch of [COVENANT_72B, SCALED_1T]) {
      const layout = llamaLayout(arch);
      for (const method of ['sparseloco', 'diloco-ring', 'ddp-ring'] as CostedMethod[]) {
        for (const u of [0.9, 0.95, 0.99]) {
          const base = { layout, method, innerSteps: 30, computeS: 715, gather: 20, peers: 20 };
          const mbps = bandwidthForUtilisation(base, u);
          expect(roundCost({ ...base, uplinkMbps: mbps, downlinkMbps: mbps }).utilisation).to.be.closeTo(u, 1e-12);
          cases++;
        }
      }
    }
    expect(cases).to.equal(18);
  });

  it("SparseLoCo's bytes are wire-size's message: one up, gather-G down", () => {
    const layout = llamaLayout(COVENANT_72B);
    const c = roundCost({ layout, method: 'sparseloco', innerSteps: 30, computeS: 715, uplinkMbps: 1000, downlinkMbps: 10_000, gather: 20, peers: 20 });
    const msg = encodedBytes(layout, {}).bytes;
    expect(c.bytesUpPerPeer).to.equal(msg);
    expect(c.bytesDownPerPeer).to.equal(20 * msg);
    expect(c.commS).to.be.closeTo((8 * msg) / 1e9 + (8 * 20 * msg) / 1e10, 1e-9);
  });

  it('rejects bad inputs with a ConfigError naming them', () => {
    const layout = llamaLayout(COVENANT_72B);
    expect(() => bandwidthForUtilisation({ layout, method: 'sparseloco', innerSteps: 30, computeS: 715, gather: 20, peers: 20 }, 1)).to.throw(ConfigError, /utilisation/);
    expect(() => roundCost({ layout, method: 'ddp-ring', innerSteps: 30, computeS: 715, uplinkMbps: 0, downlinkMbps: 1, gather: 20, peers: 20 })).to.throw(ConfigError, /uplinkMbps/);
  });
});
