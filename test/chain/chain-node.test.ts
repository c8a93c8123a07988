/**
 * scripts/chain-node.ts end to end: the script starts a Hardhat node on 127.0.0.1 (a free port),
 * deploys, writes the deployment file and serves until SIGINT; a client built from the file alone
 * reads the deployed config; SIGINT stops the process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { readDeployment } from '../../chain/deploy.ts';
import { devWallets, HARDHAT_MNEMONIC } from '../../chain/devnet.ts';
import { createEvmChainClient } from '../../chain/evm-client.ts';
import { httpTransport } from '../../chain/transport.ts';

describe('scripts/chain-node.ts', function () {
  this.timeout(60_000);

  it('starts a node, deploys, writes deployments/<network>.json and stops on SIGINT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chain-node-'));
    const out = join(dir, 'localhost.json');
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/chain-node.ts', '--port', '0', '--round-length', '7', '--out', out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout.on('data', (chunk) => {
          text += chunk;
          const match = /ready: (\S+)/.exec(text);
          if (match) resolve(match[1]);
        });
        child.stderr.on('data', (chunk) => (text += chunk));
        child.once('exit', (code) => reject(new Error(`chain-node exited with ${code}: ${text}`)));
      });
      const deployment = readDeployment(out);
      expect(deployment.network).to.equal('localhost');
      expect(deployment.chainId).to.equal(31337n);
      const [, validator] = devWallets(HARDHAT_MNEMONIC, 2);
      expect(deployment.validators).to.deep.equal([validator.address]);
      const client = createEvmChainClient({ transport: httpTransport(url), address: deployment.address, wallet: validator });
      expect((await client.config()).roundLength).to.equal(7n);
      expect(await client.genesisBlock()).to.equal(deployment.deployBlock);
      expect(await client.isValidator({ account: validator.address })).to.equal(true);
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
    expect(child.exitCode).to.equal(0);
  });
});
