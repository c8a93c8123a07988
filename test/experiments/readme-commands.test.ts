/**
 * Every command the READMEs show runs as written: each `npm run experiment …` line in README.md
 * and the folder READMEs is parsed and resolved by the CLI's own `resolveCommand` (experiment
 * exists, every flag known, every --set key valid for the arms it reaches, every arm resolves),
 * without running anything. `npm run cluster…` lines get the checks that need no cluster: the
 * script exists, the experiment exists, its --set keys resolve; `npm run bench` lines: the script
 * exists (bench/run.ts does not export its argument parser).
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError } from '../../core/errors.ts';
import { EXPERIMENTS } from '../../experiments/catalog/index.ts';
import { resolveCommand } from '../../experiments/cli.ts';
import { armConfig } from '../../experiments/define.ts';
import { parseSetFlags } from '../../experiments/overrides.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SKIP_DIRS = new Set(['node_modules', '.node22', '.git', 'results', 'cache', 'artifacts']);

interface ReadmeCommand {
  readonly file: string;
  readonly line: number;
  /** The npm script (`experiment`, `bench`, `cluster`, `cluster:compare`). */
  readonly script: string;
  /** The words npm passes to the script (the first `--` dropped). */
  readonly argv: readonly string[];
  readonly text: string;
}

function readmeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !SKIP_DIRS.has(entry.name)) out.push(...readmeFiles(join(dir, entry.name)));
    else if (entry.isFile() && entry.name === 'README.md') out.push(join(dir, entry.name));
  }
  return out.sort();
}

/** Shell words of a command line: single and double quotes group, nothing else is special. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: string | null = null;
  for (const ch of line) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== null) words.push(word);
      word = null;
    } else word = (word ?? '') + ch;
  }
  if (quote !== null) throw new Error(`unclosed ${quote} in: ${line}`);
  if (word !== null) words.push(word);
  return words;
}

/**
 * `npm run <script> …` command lines of a Markdown text: whole lines inside fenced code blocks
 * (a trailing `# comment` dropped, `\` continuations joined) and inline `code` spans elsewhere.
 */
function extractCommands(markdown: string, file: string): ReadmeCommand[] {
  const found: { line: number; text: string }[] = [];
  const lines = markdown.split('\n');
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trimStart().startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (fenced) {
      let text = raw.replace(/\s+#.*$/, '').trim();
      const start = i;
      while (text.endsWith('\\') && i + 1 < lines.length) text = `${text.slice(0, -1).trim()} ${lines[++i]!.replace(/\s+#.*$/, '').trim()}`;
      if (text.startsWith('npm run ')) found.push({ line: start + 1, text });
    } else {
      for (const span of raw.matchAll(/`([^`]+)`/g)) if (span[1]!.startsWith('npm run ')) found.push({ line: i + 1, text: span[1]!.trim() });
    }
  }
  return found.map(({ line, text }) => {
    const [, , script, ...rest] = shellWords(text);
    const dash = rest.indexOf('--');
    const argv = dash < 0 ? rest : [...rest.slice(0, dash), ...rest.slice(dash + 1)];
    return { file, line, script: script!, argv, text };
  });
}

const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Throws unless the command would start as written (see the file header for what is checked per script). */
async function checkCommand(command: ReadmeCommand): Promise<void> {
  if (!Object.hasOwn(SCRIPTS, command.script)) throw new ConfigError('npm script', command.script, 'is not a script in package.json');
  if (command.script === 'experiment') {
    await resolveCommand(command.argv);
  } else if (command.script === 'cluster' || command.script === 'cluster:compare') {
    const id = command.argv.find((w) => !w.startsWith('-')) ?? 'fidelity';
    const exp = EXPERIMENTS.get(id);
    if (exp === undefined) throw new ConfigError('experiment', id, 'is not a known experiment');
    const sets = command.argv.flatMap((w, i) => (w === '--set' ? [command.argv[i + 1]!] : []));
    armConfig(exp, exp.arms[0]!, exp.seeds[0]!, parseSetFlags(sets));
  }
}

describe('README commands', () => {
  const commands = readmeFiles(ROOT).flatMap((path) => extractCommands(readFileSync(path, 'utf8'), relative(ROOT, path)));

  it('finds the commands: fenced lines and inline spans, in README.md and the folder READMEs', () => {
    expect(commands.length).to.be.greaterThan(0);
    const texts = commands.map((c) => c.text);
    expect(texts).to.include('npm run experiment churn-30pct'); // a fenced line with its comment dropped
    expect(texts).to.include('npm run experiment -- --list'); // an inline span
    expect(new Set(commands.map((c) => c.file))).to.include.members(['README.md', 'experiments/README.md', 'cluster/README.md']);
  });

  it('parses and resolves every one of them without running it', async function () {
    this.timeout(60_000);
    const failures: string[] = [];
    let checked = 0;
    for (const command of commands) {
      try {
        await checkCommand(command);
        checked++;
      } catch (error) {
        failures.push(`${command.file}:${command.line}: ${command.text}\n    ${(error as Error).message}`);
      }
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect(checked).to.equal(commands.length);
    const experimentCommands = commands.filter((c) => c.script === 'experiment').length;
    expect(experimentCommands).to.be.greaterThan(10);
    console.log(`      ${checked} README commands checked (${experimentCommands} npm run experiment)`);
  });

  it('rejects a command that would not run: unknown experiment, unknown flag, bad --set, unknown script', async () => {
    const bad = extractCommands(
      [
        '`npm run experiment churn30`',
        '```bash',
        'npm run experiment churn-30pct -- --sed 3   # a typo of --seeds',
        "npm run experiment churn-30pct -- --set 'churn.availability={\"kind\":\"bernoulli\",\"dropout\":0.9}'",
        'npm run experiment baselines -- \\',
        '  --set optim.topK=32',
        'npm run experimnt churn-30pct',
        '```',
      ].join('\n'),
      'fake.md',
    );
    expect(bad.map((c) => c.line)).to.deep.equal([1, 3, 4, 5, 7]);
    expect(bad[3]!.argv).to.deep.equal(['baselines', '--set', 'optim.topK=32']);
    const messages: string[] = [];
    for (const command of bad) {
      try {
        await checkCommand(command);
      } catch (error) {
        messages.push((error as Error).message);
      }
    }
    expect(messages).to.have.length(bad.length);
    expect(messages[0]).to.match(/experiment \("churn30"\) is not a known experiment; did you mean "churn-30pct"/);
    expect(messages[1]).to.match(/Unknown argument: sed/);
    expect(messages[2]).to.match(/in arm "no churn"/);
    expect(messages[3]).to.match(/in arm "SparseLoCo \(top-64, 2-bit\)"/);
    expect(messages[4]).to.match(/npm script \("experimnt"\) is not a script/);
  });
});
