// The codebase's shape, checked (npm run lint): files and functions short enough to read at once, and
// the layering — the app and the CLI reach the engine only through the package's public entries, and
// no lower layer imports an upper one. Prints every violation and exits 1 if there is any.
//
//   node scripts/lint-shape.mjs            check
//   node scripts/lint-shape.mjs --report   also list the longest files and functions
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAst } from 'rolldown/parseAst';

const MAX_FILE_LINES = 700;
const MAX_FUNCTION_LINES = 150;
const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** Public entries: what a user of the package imports (package.json "exports"). */
const PUBLIC = ['src/index.ts', 'src/node.ts'];
/** Front-ends: users of the public entries (and of their own folder). The CLI's bench command may also
 *  use src/bench, the benchmark it drives. */
const FRONT_ENDS = { 'src/app/': [], 'src/cli/': ['src/bench/'] };
/** Lower layers must not import these (an arrow upward). */
const UPPER = ['src/lib/', 'src/app/', 'src/cli/', 'src/bench/', 'src/index.ts', 'src/node.ts'];
const LOWER = [
  'src/gpu/',
  'src/train/',
  'src/reference/',
  'src/data/',
  'src/io/',
  'src/model.ts',
  'src/init.ts',
  'src/rng.ts',
  'src/check.ts',
  'src/errors.ts',
];

const GPU_FLAG_GLOBAL = /\b(GPUBufferUsage|GPUMapMode|GPUShaderStage)\./;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every function-like node with its name and first and last line. */
function functions(ast, lineOf) {
  const found = [];
  const visit = (node, name) => {
    if (!node || typeof node.type !== 'string') return;
    const fn = ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'].includes(node.type);
    if (fn) {
      const label = node.id?.name ?? name ?? '(anonymous)';
      found.push({ name: label, first: lineOf(node.start), last: lineOf(node.end) });
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'parent') continue;
      const childName =
        node.type === 'MethodDefinition' || node.type === 'PropertyDefinition' || node.type === 'Property'
          ? (node.key?.name ?? node.key?.value)
          : node.type === 'VariableDeclarator'
            ? node.id?.name
            : undefined;
      if (Array.isArray(value)) value.forEach((v) => visit(v, childName));
      else if (value && typeof value === 'object') visit(value, childName);
    }
  };
  visit(ast, undefined);
  return found;
}

function importsOf(ast) {
  const list = [];
  const visit = (node) => {
    if (!node || typeof node.type !== 'string') return;
    if (
      (node.type === 'ImportDeclaration' ||
        node.type === 'ExportNamedDeclaration' ||
        node.type === 'ExportAllDeclaration') &&
      node.source
    )
      list.push(node.source.value);
    if (node.type === 'ImportExpression' && node.source?.type === 'Literal') list.push(node.source.value);
    for (const [key, value] of Object.entries(node)) {
      if (key === 'parent') continue;
      if (Array.isArray(value)) value.forEach(visit);
      else if (value && typeof value === 'object') visit(value);
    }
  };
  visit(ast);
  return list;
}

const problems = [];
const sizes = [];
const longest = [];
for (const path of files(join(root, 'src'))) {
  const file = relative(root, path);
  const code = readFileSync(path, 'utf8');
  const starts = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === '\n') starts.push(i + 1);
  const lineOf = (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const lines = code.endsWith('\n') ? starts.length - 1 : starts.length;
  sizes.push({ file, lines });
  if (lines > MAX_FILE_LINES) problems.push(`${file}: ${lines} lines (at most ${MAX_FILE_LINES})`);
  let ast;
  try {
    ast = parseAst(code, { lang: 'ts' }, file);
  } catch (e) {
    problems.push(`${file}: does not parse: ${e instanceof Error ? e.message : String(e)}`);
    continue;
  }
  for (const f of functions(ast, lineOf)) {
    const n = f.last - f.first + 1;
    longest.push({ where: `${file}:${f.first}`, name: f.name, lines: n });
    if (n > MAX_FUNCTION_LINES)
      problems.push(`${file}:${f.first}: function ${f.name} is ${n} lines (at most ${MAX_FUNCTION_LINES})`);
  }
  for (const spec of importsOf(ast)) {
    if (!spec.startsWith('.')) continue;
    const target = relative(root, resolve(dirname(path), spec));
    for (const [front, extra] of Object.entries(FRONT_ENDS)) {
      if (!file.startsWith(front) || !target.startsWith('src/')) continue;
      const allowed = target.startsWith(front) || PUBLIC.includes(target) || extra.some((e) => target.startsWith(e));
      if (!allowed)
        problems.push(`${file}: imports ${target}; a front-end uses the public entries (${PUBLIC.join(', ')})`);
    }
    if (LOWER.some((l) => file.startsWith(l)) && UPPER.some((u) => target.startsWith(u))) {
      problems.push(`${file}: imports ${target}, a layer above it`);
    }
  }
  // Dawn in Node installs no GPU flag globals: the library's own copies (src/gpu/flags.ts) must be imported.
  const flag = GPU_FLAG_GLOBAL.exec(code);
  if (flag && file !== 'src/gpu/flags.ts' && !importsOf(ast).some((s) => s.endsWith('/flags.ts')))
    problems.push(
      `${file}: reads the global ${flag[1]}; import it from src/gpu/flags.ts (Dawn in Node has no such global)`,
    );
}

if (process.argv.includes('--report')) {
  console.log('longest files:');
  for (const s of sizes.sort((a, b) => b.lines - a.lines).slice(0, 10))
    console.log(`  ${String(s.lines).padStart(5)}  ${s.file}`);
  console.log('longest functions:');
  for (const f of longest.sort((a, b) => b.lines - a.lines).slice(0, 15))
    console.log(`  ${String(f.lines).padStart(5)}  ${f.name} (${f.where})`);
}
for (const p of problems) console.log(p);
console.log(`lint-shape: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${sizes.length} files`);
process.exit(problems.length > 0 ? 1 : 0);
