/**
 * `npm run check` (second part): fails when code under core/ or sim/ reads the wall clock or the
 * global RNG. Those layers must replay bit-identically from (config, seed); randomness comes only
 * from an injected `Rng` (core/rng.ts), time only from the simulation clock.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceFiles } from './source-files.ts';

export const DETERMINISTIC_ROOTS = ['core', 'sim'] as const;

const FORBIDDEN: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /\bMath\.random\s*\(/, why: 'global RNG: fork a stream from the injected Rng instead' },
  { pattern: /\bDate\.now\s*\(/, why: 'wall clock: use the simulation clock' },
  { pattern: /\bnew Date\s*\(/, why: 'wall clock: use the simulation clock' },
  { pattern: /\bperformance\.now\s*\(/, why: 'wall clock: use the simulation clock' },
  { pattern: /\bprocess\.hrtime\b/, why: 'wall clock: use the simulation clock' },
  { pattern: /\bcrypto\.getRandomValues\b|\brandomBytes\s*\(|\brandomUUID\s*\(/, why: 'OS randomness: fork a stream from the injected Rng instead' },
];

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly why: string;
}

/** Violations in one source text; line comments are ignored so a comment may name the rule. */
export function findViolations(file: string, source: string): Violation[] {
  const out: Violation[] = [];
  source.split('\n').forEach((raw, i) => {
    const code = raw.replace(/\/\/.*$/, '');
    for (const { pattern, why } of FORBIDDEN) {
      if (pattern.test(code)) out.push({ file, line: i + 1, text: raw.trim(), why });
    }
  });
  return out;
}

/** Scans `roots` under `repoRoot` and returns every violation. */
export function scanRepository(repoRoot: string, roots: readonly string[] = DETERMINISTIC_ROOTS): Violation[] {
  const all: Violation[] = [];
  for (const root of roots) {
    for (const file of sourceFiles(join(repoRoot, root))) {
      all.push(...findViolations(relative(repoRoot, file), readFileSync(file, 'utf8')));
    }
  }
  return all;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const repoRoot = join(fileURLToPath(import.meta.url), '..', '..');
  const violations = scanRepository(repoRoot);
  for (const v of violations) console.error(`${v.file}:${v.line}: ${v.text}\n  → ${v.why}`);
  if (violations.length > 0) {
    console.error(`check-determinism: ${violations.length} violation(s) under ${DETERMINISTIC_ROOTS.join(', ')}`);
    process.exit(1);
  }
  console.log(`check-determinism: ${DETERMINISTIC_ROOTS.join(', ')} are free of wall-clock and global-RNG calls`);
}
