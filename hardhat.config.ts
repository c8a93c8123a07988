/**
 * Hardhat 3 configuration. Compiles fully offline: Hardhat's own compiler download cannot reach its
 * server from a sandboxed machine, so the compiler is the npm `solc` package (solcjs, the
 * emscripten build). A `path` that is not a native binary is loaded as solcjs by Hardhat.
 * The toolbox plugin wires hardhat-ethers, the chai matchers and the network helpers, so a plain
 * mocha test can `await network.getOrCreate()` and get an in-process EDR chain with `ethers`,
 * `networkHelpers` and the chai matchers (`emit`, `revertedWithCustomError`, ...).
 */
import { createRequire } from 'node:module';
import hardhatToolboxMochaEthersPlugin from '@nomicfoundation/hardhat-toolbox-mocha-ethers';
import { defineConfig } from 'hardhat/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatToolboxMochaEthersPlugin],
  solidity: {
    version: '0.8.28',
    path: require.resolve('solc/soljson.js'),
  },
  // Tests use ethers' dynamic contracts; no generated `types/` folder to keep in sync.
  typechain: { dontOverrideCompile: true },
  paths: {
    sources: './contracts',
  },
});
