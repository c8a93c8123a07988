/**
 * The shaped network (cluster/netns.ts) on this machine's kernel: namespaces reach each other over
 * the bridge, tbf holds a TCP transfer to its rate in each direction, and nothing named `sl-*` /
 * `sl<id>*` is left afterwards, also after a failed creation. Needs root and `ip netns`; where the
 * machine has neither, every case is skipped at run time with the reason printed.
 */
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigError } from '../../core/errors.ts';
import { createShapedNetwork, leftoverNetworkObjects, netnsSupport } from '../../cluster/netns.ts';
import type { ShapedNetwork } from '../../cluster/netns.ts';

const execFileAsync = promisify(execFile);

/** A one-shot TCP sink in `ns` and a sender of `bytes` from `from`; returns the receiver's seconds. */
async function timedTransfer(net: ShapedNetwork, from: string, to: string, bytes: number): Promise<number> {
  const address = net.node(to).address;
  const sink = `const s=require('net').createServer(c=>{let n=0,t0=0;c.on('data',d=>{if(!t0)t0=performance.now();n+=d.length});c.on('end',()=>{console.log(JSON.stringify({n,s:(performance.now()-t0)/1000}));process.exit(0)})}).listen(5001,'${address}',()=>console.error('listening'))`;
  const [cmd, ...args] = net.execPrefix(to);
  const receiver = execFileAsync(cmd!, [...args, process.execPath, '-e', sink]);
  await new Promise((r) => setTimeout(r, 400)); // node's start-up, then it listens
  const send = `const c=require('net').connect(5001,'${address}',()=>c.end(Buffer.alloc(${bytes})))`;
  const [cmd2, ...args2] = net.execPrefix(from);
  await execFileAsync(cmd2!, [...args2, process.execPath, '-e', send]);
  const out = JSON.parse((await receiver).stdout) as { n: number; s: number };
  expect(out.n).to.equal(bytes);
  return out.s;
}

describe('cluster/netns: shaped links between namespaces', function () {
  this.timeout(60_000);
  const support = netnsSupport();
  before(function () {
    if (!support.ok) {
      console.log(`    skipped: ${support.reason}`);
      this.skip();
    }
  });
  afterEach(() => {
    expect(leftoverNetworkObjects()).to.deep.equal([]);
  });

  it('holds a 2 MB transfer to 20 Mbit/s up and 8 Mbit/s down (within 8% of bytes / rate, never faster)', async () => {
    const net = createShapedNetwork({ nodes: ['a', 'b'] });
    try {
      net.shape('a', { upMbps: 20, downMbps: 8 });
      const bytes = 2_000_000;
      const up = await timedTransfer(net, 'a', 'b', bytes); // a's uplink binds (b is unshaped)
      const down = await timedTransfer(net, 'b', 'a', bytes); // a's downlink binds
      const ideal = (mbps: number): number => (bytes * 8) / (mbps * 1e6);
      // tbf counts Ethernet/IP/TCP headers too (≈ 4.4% at MTU 1500); its 32 KB bucket lets a little through at once.
      expect(up / ideal(20)).to.be.within(0.97, 1.08);
      expect(down / ideal(8)).to.be.within(0.97, 1.08);
    } finally {
      net.close();
    }
  });

  it('reaches every node from the root namespace and removes everything on close, twice without error', () => {
    const net = createShapedNetwork({ nodes: ['store', 'peer-0', 'peer-1'] });
    try {
      for (const n of net.nodes) {
        const [cmd, ...args] = net.execPrefix(n.name);
        // Each namespace sees its own address on its veth, in the run's subnet beside the root's.
        const addrs = execFileSyncText(cmd!, [...args, 'ip', '-4', '-o', 'addr', 'show', 'dev', n.device]);
        expect(addrs).to.contain(`inet ${n.address}/24`);
        expect(n.address.split('.').slice(0, 3)).to.deep.equal(net.hostAddress.split('.').slice(0, 3));
      }
      expect(leftoverNetworkObjects().filter((n) => n.includes(net.id)).length).to.equal(3 + 1 + 1); // 3 nodes' namespaces + the hub's + the root's veth end
    } finally {
      net.close();
      net.close();
    }
  });

  it('refuses bad node names and rates, naming the value', () => {
    expect(() => createShapedNetwork({ nodes: ['Peer 0'] })).to.throw(ConfigError, /Peer 0/);
    expect(() => createShapedNetwork({ nodes: ['a', 'a'] })).to.throw(ConfigError, /named twice/);
    const net = createShapedNetwork({ nodes: ['a'] });
    try {
      expect(() => net.shape('a', { upMbps: 0, downMbps: 1 })).to.throw(ConfigError, /upMbps \(0\)/);
      expect(() => net.shape('z', { upMbps: 1, downMbps: 1 })).to.throw(ConfigError, /node \("z"\) is not in this network/);
    } finally {
      net.close();
    }
  });
});

function execFileSyncText(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, [...args], { encoding: 'utf8' });
}
