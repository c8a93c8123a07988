/**
 * `npm run check` (third part): fails when a module imports across a layer boundary it must not
 * cross. The layering, top to bottom: scripts/bench → experiments → cluster → sim → backends,
 * chain → core; sim/kernel imports nothing outside itself. The rules are data
 * ({@link IMPORT_RULES}): each is a "never" pair, from-glob → to-glob with a reason, so the next
 * layer adds one line.
 *
 * Imports are read with the TypeScript parser, not regexes: `import … from`, `import type`,
 * `export … from`, `import x = require(…)`, `require(…)`, dynamic `import(…)` and type-position
 * `import('…').T`; a specifier in a comment or a string is not an import. A dynamic import whose
 * specifier is not a string literal cannot be resolved here and is not checked (engine.ts loads
 * optional packages that way). A relative specifier is resolved to its repo path
 * ('backends/index.ts'); a package keeps its name ('@tensorflow/tfjs', 'node:fs').
 *
 * @example
 * npx tsx scripts/check-imports.ts
 * // sim/run.ts:30: import '../backends/tfjs/engine.ts' (backends/tfjs/engine.ts) breaks sim-backends-front-door: …
 */
import { readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ConfigError } from '../core/errors.ts';
import { sourceFiles } from './source-files.ts';

/** One "never" pair: no file matching `from` may import a target matching `to`, unless it matches `except`. */
export interface ImportRule {
  /** Short id printed with each violation. */
  readonly name: string;
  /** Glob over importing files' repo paths ('sim/**'). */
  readonly from: string;
  /** Glob over targets: repo paths of relative imports, package names of bare ones. */
  readonly to: string;
  /** Targets matching one of these globs are allowed after all (e.g. a front door). */
  readonly except?: readonly string[];
  readonly why: string;
}

/** The layering. Globs: `**` any path, `*` one path segment's characters, `{a,b}` alternatives. */
export const IMPORT_RULES: readonly ImportRule[] = Object.freeze([
  { name: 'core-is-bottom', from: 'core/**', to: '{sim,backends,chain,cluster,experiments,scripts,bench,test}/**', why: 'core/ is the pure maths every layer shares: it imports no other layer' },
  { name: 'kernel-is-domain-free', from: 'sim/kernel/**', to: '**', except: ['sim/kernel/**'], why: 'the event kernel knows nothing of peers, networks, chains or packages: it imports nothing outside sim/kernel' },
  { name: 'sim-backends-front-door', from: 'sim/**', to: 'backends/**', except: ['backends/index.ts', 'backends/backend.ts'], why: 'sim/ reaches backends/ only through its front door (backends/index.ts) and the TrainingBackend interface (backends/backend.ts)' },
  { name: 'sim-below-cluster', from: 'sim/**', to: '{cluster,experiments}/**', why: 'sim/ sits below the cluster runtime and the experiments that drive it' },
  { name: 'backends-below-sim', from: 'backends/**', to: '{sim,cluster,experiments}/**', why: 'backends/ are driven by sim/ and cluster/: they import neither, nor experiments/' },
  { name: 'chain-on-core-only', from: 'chain/**', to: '{sim,backends,cluster,experiments,scripts,bench,test}/**', why: 'chain/ coordinates: of the project it imports only core/' },
  { name: 'cluster-below-experiments', from: 'cluster/**', to: 'experiments/**', why: 'cluster/ is a runtime that experiments/ drives, not the other way round' },
  { name: 'sparseloco-below-baselines', from: 'core/sparseloco/**', to: 'core/baselines/**', why: 'core/baselines builds on core/sparseloco (DeMo, the method switch): the reverse would be a cycle; shared types live in core/communicator.ts' },
]);

/** The folders whose files are checked (tests may import any layer). */
export const CHECKED_ROOTS = ['core', 'sim', 'backends', 'chain', 'cluster', 'experiments', 'scripts', 'bench'] as const;

/** One import found in a file. */
export interface ImportRef {
  readonly file: string; // repo path, '/'-separated
  readonly line: number; // 1-based
  readonly specifier: string; // as written
  readonly target: string; // repo path for a relative specifier, else the specifier
}

export interface ImportViolation extends ImportRef {
  readonly rule: string;
  readonly why: string;
}

/** Every import in one source text (`file`: its repo path). */
export function findImports(file: string, source: string): ImportRef[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: ImportRef[] = [];
  const add = (node: ts.Node, literal: ts.Node | undefined): void => {
    if (literal === undefined || !ts.isStringLiteralLike(literal)) return; // non-literal: not resolvable here
    const specifier = literal.text;
    out.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, specifier, target: resolveTarget(file, specifier) });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal);
    else if (ts.isCallExpression(node) && isImportOrRequire(node.expression)) add(node, node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function isImportOrRequire(callee: ts.Expression): boolean {
  return callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require');
}

/** A relative specifier as a repo path ('sim/run.ts' + '../backends/index.ts' → 'backends/index.ts'); a package as it is. */
function resolveTarget(file: string, specifier: string): string {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return specifier;
  return posix.normalize(posix.join(posix.dirname(file), specifier));
}

/** The violations among `imports` (from any number of files). */
export function violationsOf(imports: readonly ImportRef[], rules: readonly ImportRule[] = IMPORT_RULES): ImportViolation[] {
  const compiled = rules.map((rule) => ({ rule, from: globRegExp(rule.from), to: globRegExp(rule.to), except: (rule.except ?? []).map(globRegExp) }));
  const out: ImportViolation[] = [];
  for (const ref of imports) {
    for (const { rule, from, to, except } of compiled) {
      if (from.test(ref.file) && to.test(ref.target) && !except.some((e) => e.test(ref.target))) out.push({ ...ref, rule: rule.name, why: rule.why });
    }
  }
  return out;
}

/**
 * Checks a set of source files given as (repo path → text): the real tree or a virtual one.
 *
 * @example
 * checkSources(new Map([['sim/x.ts', "import '../cluster/peer.ts';"]]))[0].rule; // 'sim-below-cluster'
 */
export function checkSources(files: ReadonlyMap<string, string>, rules: readonly ImportRule[] = IMPORT_RULES): ImportViolation[] {
  const imports: ImportRef[] = [];
  for (const [file, source] of files) imports.push(...findImports(file, source));
  return violationsOf(imports, rules);
}

/** Reads every .ts file under `roots` of `repoRoot` (repo paths '/'-separated). */
export function readSources(repoRoot: string, roots: readonly string[] = CHECKED_ROOTS): Map<string, string> {
  const files = new Map<string, string>();
  for (const root of roots) {
    for (const path of sourceFiles(join(repoRoot, root), /\.(ts|mts|cts)$/)) files.set(relative(repoRoot, path).split(sep).join('/'), readFileSync(path, 'utf8'));
  }
  return files;
}

/** Scans `roots` under `repoRoot` and returns every violation. */
export function scanRepository(repoRoot: string, roots: readonly string[] = CHECKED_ROOTS): ImportViolation[] {
  return checkSources(readSources(repoRoot, roots));
}

/** `**` any run of characters including '/', `*` any within one segment, `{a,b}` alternatives; anchored. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  let depth = 0; // inside how many {…}
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '{') {
      re += '(?:';
      depth++;
    } else if (c === '}' && depth > 0) {
      re += ')';
      depth--;
    } else if (c === ',' && depth > 0) re += '|';
    else re += c.replace(/[.+?^$()|[\]\\{}]/g, '\\$&');
  }
  if (depth !== 0) throw new ConfigError('import rule glob', glob, 'must close every "{"');
  return new RegExp(`^${re}$`);
}

/** The report line for one violation. */
export function formatViolation(v: ImportViolation): string {
  const resolved = v.target === v.specifier ? '' : ` (${v.target})`;
  return `${v.file}:${v.line}: import '${v.specifier}'${resolved} breaks ${v.rule}: ${v.why}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
  const files = readSources(repoRoot);
  const violations = checkSources(files);
  for (const v of violations) console.error(formatViolation(v));
  if (violations.length > 0) {
    console.error(`check-imports: ${violations.length} import(s) break the layering (rules: scripts/check-imports.ts)`);
    process.exit(1);
  }
  console.log(`check-imports: ${files.size} files under ${CHECKED_ROOTS.join(', ')} keep the ${IMPORT_RULES.length} layering rules`);
}
