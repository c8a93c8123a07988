/**
 * Hardhat 3 configuration. Compiles fully offline: Hardhat's own compiler download cannot reach its
 * server from a sandboxed machine, so the compiler is the npm `solc` package (solcjs, the
 * emscripten build). A `path` that is not a native binary is loaded as solcjs by Hardhat.
 * The contracts themselves (registry, stake, commitments, validator weights) land with the chain issue.
 */
import { createRequire } from 'node:module';
import { defineConfig } from 'hardhat/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  solidity: {
    version: '0.8.28',
    path: require.resolve('solc/soljson.js'),
  },
  paths: {
    sources: './contracts',
  },
});
