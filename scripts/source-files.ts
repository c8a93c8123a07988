/**
 * The source files under a folder, for the repository checks run by `npm run check`
 * (check-determinism.ts, check-imports.ts): one walker, so both see the same files.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under `dir` (recursively) whose name matches `pattern`; nothing for a missing `dir`. */
export function* sourceFiles(dir: string, pattern: RegExp = /\.(ts|js|mjs)$/): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // a root that does not exist yet has nothing to check
    throw err;
  }
  for (const name of entries.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path, pattern);
    else if (pattern.test(name)) yield path;
  }
}
