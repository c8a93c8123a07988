// Loaded with `--import` (through NODE_OPTIONS, so forked peers and the validator load it too) by
// scripts/pack-gpu.ts while it exercises the GPU path: appends the URL of every module file this
// process loads (import and require, via module.registerHooks, Node ≥ 22.15) to $PACK_GPU_TRACE.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const out = process.env.PACK_GPU_TRACE;
const seen = new Set();
if (out) {
  registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith('file:') && !seen.has(url)) {
        seen.add(url);
        appendFileSync(out, `${url}\n`);
      }
      return nextLoad(url, context);
    },
  });
}
