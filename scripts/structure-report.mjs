/**
 * Structure report for packages/<name>/src (`pnpm lint:structure`): source files
 * per folder, the 10 largest source files, the 10 longest functions and the
 * import cycles. A picture to compare before and after a restructuring, not a
 * check: the limits are enforced by `pnpm lint` (scripts/lint/).
 *
 * Lines are physical lines, blank lines and comments included (as `wc -l`
 * and the max-lines rule count them). A function's length runs from the line
 * its declaration starts on to the line it ends on; function-like nodes are
 * found with the TypeScript compiler API (declarations, expressions, arrow
 * functions, methods, accessors, constructors). Cycles follow the relative
 * imports and re-exports between source files, `import type` included (as
 * scripts/lint/dependency-cruiser.cjs counts them).
 *
 * Usage: node scripts/structure-report.mjs [repository root]
 * Tooling: implements no SPEC.md section.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const TOP = 10;

/** Every .ts file under packages/<name>/src, as absolute paths. */
function sourceFiles() {
  const packages = join(root, 'packages');
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) found.push(path);
    }
  };
  for (const name of readdirSync(packages).sort()) {
    const src = join(packages, name, 'src');
    if (existsSync(src) && statSync(src).isDirectory()) walk(src);
  }
  return found.sort();
}

const rel = (path) => relative(root, path).split('\\').join('/');
const lineCount = (text) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

/** A readable name for a function-like node: its own, or the binding or key it is assigned to. */
function functionName(node) {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))) {
    return parent.name.getText();
  }
  if (parent && ts.isPropertyDeclaration(parent)) return parent.name.getText();
  return '<anonymous>';
}

/** Every function-like node of one file with its first line and its length in lines. */
function functionsOf(path, text) {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({
        name: functionName(node),
        where: `${rel(path)}:${start + 1}`,
        lines: end - start + 1,
      });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The source files one file imports or re-exports by relative path (`./x.js` -> `x.ts`). */
function relativeImports(path, text, known) {
  const targets = new Set();
  for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const base = resolve(dirname(path), fileName).replace(/\.(?:js|mjs|ts)$/, '');
    const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => known.has(candidate));
    if (target) targets.add(target);
  }
  return [...targets];
}

/** Strongly connected components with more than one file (or a file importing itself). Tarjan. */
function cyclicGroups(graph) {
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const groups = [];
  const connect = (v) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const group = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || graph.get(v).includes(v)) groups.push(group.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return groups;
}

/** The elementary cycles inside one group, each listed once from its smallest file. */
function cyclesIn(group, graph) {
  const members = new Set(group);
  const cycles = [];
  for (const start of group) {
    const walk = (v, path) => {
      for (const w of graph.get(v)) {
        if (w === start) cycles.push([...path]);
        else if (members.has(w) && w > start && !path.includes(w)) walk(w, [...path, w]);
      }
    };
    walk(start, [start]);
  }
  return cycles;
}

function report() {
  const files = sourceFiles();
  const texts = new Map(files.map((path) => [path, readFileSync(path, 'utf8')]));
  const perFolder = new Map();
  for (const path of files) {
    const folder = rel(dirname(path));
    perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1);
  }
  const sizes = files.map((path) => ({ where: rel(path), lines: lineCount(texts.get(path)) }));
  const functions = files.flatMap((path) => functionsOf(path, texts.get(path)));
  const known = new Set(files);
  const graph = new Map(files.map((path) => [path, relativeImports(path, texts.get(path), known)]));
  const groups = cyclicGroups(graph);
  const cycles = groups.flatMap((group) => cyclesIn(group, graph));

  const out = [];
  const pad = (value, width) => String(value).padStart(width);
  out.push(`Structure of packages/*/src (${files.length} source files)`, '');
  out.push('Source files per folder:');
  for (const [folder, count] of [...perFolder].sort()) out.push(`${pad(count, 5)}  ${folder}`);
  out.push('', `The ${TOP} largest source files (lines):`);
  for (const { where, lines } of sizes.sort((a, b) => b.lines - a.lines).slice(0, TOP)) {
    out.push(`${pad(lines, 5)}  ${where}`);
  }
  out.push('', `The ${TOP} longest functions (lines, first to last):`);
  const longest = functions.sort((a, b) => b.lines - a.lines || a.where.localeCompare(b.where));
  for (const { name, where, lines } of longest.slice(0, TOP)) {
    out.push(`${pad(lines, 5)}  ${name}  ${where}`);
  }
  out.push('', `Import cycles: ${cycles.length} (in ${groups.length} groups of files)`);
  for (const cycle of cycles) out.push(`  ${[...cycle, cycle[0]].map(rel).join(' -> ')}`);
  return out.join('\n');
}

console.log(report());
