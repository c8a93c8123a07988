import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUNDLE_LIMIT_BYTES, isRuntimeBinary, packageOf, selectFiles } from '../../scripts/pack-gpu.ts';

describe('scripts/pack-gpu: which node_modules files the GPU bundle keeps', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'pack-gpu-test-'));
    const files = [
      'webgpu/package.json', 'webgpu/index.js', 'webgpu/README.md',
      'webgpu/dist/linux-x64/dawn.node', 'webgpu/dist/darwin-universal/dawn.node', 'webgpu/dist/win32-x64/dawn.node', 'webgpu/dist/linux-arm64/dawn.node',
      '@tensorflow/tfjs-backend-wasm/package.json', '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js', '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm', '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.js',
      '@esbuild/linux-x64/package.json', '@esbuild/linux-x64/bin/esbuild',
      'unused/package.json', 'unused/index.js',
      'hardhat/package.json', 'hardhat/dist/index.js', 'hardhat/node_modules/nested/package.json', 'hardhat/node_modules/nested/x.node',
    ];
    for (const f of files) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      writeFileSync(join(root, f), f);
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('names the package of a path (scoped, nested)', () => {
    expect(packageOf('webgpu/dist/linux-x64/dawn.node')).to.equal('webgpu');
    expect(packageOf('@tensorflow/tfjs-core/dist/index.js')).to.equal('@tensorflow/tfjs-core');
    expect(packageOf('hardhat/node_modules/@noble/curves/index.js')).to.equal('hardhat/node_modules/@noble/curves');
  });

  it("keeps this platform's native addons and wasm binaries only", () => {
    expect(isRuntimeBinary('dist/linux-x64/dawn.node')).to.equal(true);
    expect(isRuntimeBinary('dist/tfjs-backend-wasm-threaded-simd.wasm')).to.equal(true);
    expect(isRuntimeBinary('dist/darwin-universal/dawn.node')).to.equal(false);
    expect(isRuntimeBinary('dist/linux-arm64/dawn.node')).to.equal(false);
    expect(isRuntimeBinary('dist/index.js')).to.equal(false);
  });

  it('keeps traced files, their packages’ package.json and binaries, and whole packages asked for; drops the rest', () => {
    const files = selectFiles(root, ['webgpu/index.js', '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js', 'hardhat/dist/index.js'], ['@esbuild/linux-x64']);
    expect(files).to.deep.equal([
      '@esbuild/linux-x64/bin/esbuild',
      '@esbuild/linux-x64/package.json',
      '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js',
      '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      '@tensorflow/tfjs-backend-wasm/package.json',
      'hardhat/dist/index.js',
      'hardhat/package.json',
      'webgpu/dist/linux-x64/dawn.node',
      'webgpu/index.js',
      'webgpu/package.json',
    ]);
    expect(BUNDLE_LIMIT_BYTES).to.equal(64 * 2 ** 20);
  });
});
