// Loaded with `--import` (through NODE_OPTIONS, so forked peers and the validator load it too) by
// scripts/pack-gpu.ts while it exercises the GPU path: appends the path of every module file this
// process loads to $PACK_GPU_TRACE, as it loads (peers end by SIGKILL: no exit handler would run).
// Three taps, because none sees everything: module.registerHooks (Node ≥ 22.15) for ESM and most
// require()s; CommonJS's per-extension loaders (until tsx replaces them); and, at a normal exit,
// CommonJS's module cache, which holds the require()s inside CommonJS packages that ESM imported
// (e.g. tfjs's require('long')) whichever loader ran them.
import { appendFileSync } from 'node:fs';
import Module, { registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';

const out = process.env.PACK_GPU_TRACE;
const seen = new Set();
const record = (url) => {
  if (url.startsWith('file:') && !seen.has(url)) {
    seen.add(url);
    appendFileSync(out, `${url}\n`);
  }
};
if (out) {
  registerHooks({
    load(url, context, nextLoad) {
      record(url);
      return nextLoad(url, context);
    },
  });
  process.on('exit', () => {
    for (const filename of Object.keys(Module._cache)) record(pathToFileURL(filename).href);
  });
  for (const ext of ['.js', '.cjs', '.json', '.node']) {
    const original = Module._extensions[ext];
    if (typeof original !== 'function') continue;
    Module._extensions[ext] = function (module, filename) {
      record(pathToFileURL(filename).href);
      return original.call(this, module, filename);
    };
  }
}
