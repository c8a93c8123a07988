/**
 * `npm run figures [-- --only <name> …] [-- --list]`: regenerates every figure in README.md by
 * running the commands listed in scripts/figure-list.ts, each figure in its own scratch folder;
 * the figure (and its raw rows) are copied into the repository only when all its commands succeed,
 * so a failed run never leaves a half-written figure (its scratch folder is kept to look at).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, SparseLocoError } from '../core/errors.ts';
import { FIGURES, type FigureCommand, type FigureRecipe } from './figure-list.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The recipes named by `--only` (all of them when none is named), in the list's order. */
export function selectFigures(only: readonly string[], figures: readonly FigureRecipe[] = FIGURES): FigureRecipe[] {
  const known = figures.map((f) => f.name);
  for (const name of only) {
    if (!known.includes(name)) throw new ConfigError('--only', name, `is not a figure; figures: ${known.join(', ')}`);
  }
  return only.length === 0 ? [...figures] : figures.filter((f) => only.includes(f.name));
}

/** Puts the scratch folder in place of `{work}`. */
export function inWork(text: string, work: string): string {
  return text.replaceAll('{work}', work);
}

/** The argv of `npm run -s <script> -- <args>` for one command. */
export function npmArgv(command: FigureCommand, work: string): string[] {
  const [script, ...args] = command.npm;
  return ['run', '-s', script, '--', ...args.map((a) => inWork(a, work))];
}

function runCommand(command: FigureCommand, work: string): void {
  const argv = npmArgv(command, work);
  const shown = `npm ${argv.join(' ')}`;
  console.error(`figures: ${shown}`);
  const stdout = command.stdoutTo === undefined ? 'inherit' : openSync(inWork(command.stdoutTo, work), 'w');
  try {
    const r = spawnSync('npm', argv, { cwd: root, stdio: ['ignore', stdout, 'inherit'] });
    if (r.error !== undefined) throw new SparseLocoError(`figures: could not start \`${shown}\``, { cause: r.error });
    if (r.status !== 0) throw new SparseLocoError(`figures: \`${shown}\` failed (exit ${r.status ?? r.signal})`);
  } finally {
    if (typeof stdout === 'number') closeSync(stdout);
  }
}

function regenerate(recipe: FigureRecipe): void {
  const work = mkdtempSync(join(tmpdir(), `figure-${recipe.name}-`));
  try {
    for (const command of recipe.commands) runCommand(command, work);
  } catch (error) {
    console.error(`figures: kept ${work} (what the failed command left) for a look`);
    throw error;
  }
  const outputs = [{ from: recipe.from, to: recipe.figure }, ...(recipe.data ? [recipe.data] : [])];
  for (const { from, to } of outputs) {
    mkdirSync(dirname(join(root, to)), { recursive: true });
    copyFileSync(inWork(from, work), join(root, to));
    console.error(`figures: wrote ${to}`);
  }
  rmSync(work, { recursive: true, force: true });
}

function main(): void {
  const { values } = parseArgs({ strict: true, options: { only: { type: 'string', multiple: true, default: [] }, list: { type: 'boolean', default: false } } });
  if (values.list) {
    for (const f of FIGURES) console.log(`${f.name.padEnd(16)} ${f.figure}  (≈ ${f.approxWallS} s)`);
    return;
  }
  for (const recipe of selectFigures(values.only)) regenerate(recipe);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error: unknown) {
    // A bad flag (node:util parseArgs) or a bad figure name is the user's to fix: the message alone.
    const usage = error instanceof SparseLocoError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    console.error(usage ? `error: ${(error as Error).message}` : error);
    process.exitCode = 2;
  }
}
