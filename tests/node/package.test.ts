// The package as npm would publish it: `npm pack --dry-run` (its prepack builds dist/lib) lists the
// files, and the two declaration files it holds are checked for what a published API may not have: an
// @internal member, an import of a module users do not have, a type a public signature names but the
// entry does not export. (tests/e2e/library.test.ts installs the real tarball and type-checks the
// README example against these files.)
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const DECLARATIONS = ['dist/lib/index.d.ts', 'dist/lib/node.d.ts'];

let files: string[];
const text: Record<string, string> = {};

beforeAll(async () => {
  // The build's log lines share stdout with the JSON report.
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, maxBuffer: 16 << 20 });
  const report = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as { files: { path: string }[] }[];
  files = report[0]!.files.map((f) => f.path).sort();
  for (const path of DECLARATIONS) text[path] = readFileSync(join(ROOT, path), 'utf8');
}, 120_000);

/** Top-level names a declaration file declares, and whether each is exported where it is declared. */
function declaredNames(dts: string): { name: string; exported: boolean }[] {
  const decl =
    /^(export )?(?:declare )?(?:abstract )?(?:interface|type|class|function|const|let|var|enum|namespace)\s+([\w$]+)/gm;
  return [...dts.matchAll(decl)].map((m) => ({ name: m[2]!, exported: m[1] !== undefined }));
}

/** `export { a, type B, c as d }` lists of a file: local name → exported name. */
function exportLists(source: string): Map<string, string> {
  const names = new Map<string, string>();
  const bare = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  for (const m of bare.matchAll(/^export (?:type )?\{([^}]*)\}/gm))
    for (const item of m[1]!.split(',')) {
      const [local, exported = local] = item
        .trim()
        .replace(/^type /, '')
        .split(/\s+as\s+/);
      if (local) names.set(local, exported!);
    }
  return names;
}

/** What a declaration file exports: its export lists and its `export declare ...` names. */
function publicNames(dts: string): Set<string> {
  const listed = [...exportLists(dts).values()];
  return new Set([...listed, ...declaredNames(dts).flatMap((d) => (d.exported ? [d.name] : []))]);
}

/** Names a declaration file declares but does not export: types a public signature uses that a user
 *  could not import (the bundle keeps only what the exports reach). */
function unexported(dts: string): string[] {
  const locals = new Set(exportLists(dts).keys());
  const names = declaredNames(dts).filter((d) => !d.exported && !locals.has(d.name));
  return [...new Set(names.map((d) => d.name))];
}

describe('published package', () => {
  // Test that the tarball holds one declaration file per entry beside its bundle, and nothing else of dist.
  it('packs the two bundles, their maps and one declaration file per entry', () => {
    expect(files).toEqual([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'dist/lib/index.d.ts',
      'dist/lib/index.js',
      'dist/lib/index.js.map',
      'dist/lib/node.d.ts',
      'dist/lib/node.js',
      'dist/lib/node.js.map',
      'package.json',
    ]);
  });

  // Test that package.json is publishable: licensed, not private, its entries' types the packed files.
  it('has a licence, is not private, and points each entry at its declaration file', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      license?: string;
      private?: boolean;
      types?: string;
      exports: Record<string, { types?: string }>;
    };
    expect(pkg.license).toBe('MIT');
    expect(pkg.private).toBeUndefined();
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 /);
    expect(pkg.types).toBe('./dist/lib/index.d.ts');
    expect(pkg.exports['.']?.types).toBe('./dist/lib/index.d.ts');
    expect(pkg.exports['./node']?.types).toBe('./dist/lib/node.d.ts');
  });

  // Test that no declaration is marked @internal and no declaration file reaches a module the user may
  // not have (a devDependency's types, an internal path): index.d.ts imports nothing, node.d.ts only it.
  it('declares nothing @internal and imports nothing but the main entry', () => {
    for (const path of DECLARATIONS) {
      expect(text[path], path).not.toMatch(/@internal/);
      expect(text[path], path).not.toMatch(/\/\/\/\s*<reference|import\(|declare (module|global)/);
    }
    expect(text['dist/lib/index.d.ts']).not.toMatch(/^import /m);
    const imports = [...text['dist/lib/node.d.ts']!.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['./index.js']);
    expect(text['dist/lib/node.d.ts']!.match(/^import /gm)).toHaveLength(1);
  });

  // Test that every type a public signature names is exported (the bundle keeps a declaration only
  // when an export reaches it, so one it does not export is a type the user cannot name).
  it('exports every type its public signatures use', () => {
    for (const path of DECLARATIONS) expect(unexported(text[path]!), path).toEqual([]);
  });

  // Test that index.d.ts exports exactly what src/index.ts does (node.d.ts's imports added none), and
  // node.d.ts takes only exported names from it.
  it("exports src/index.ts's names, and node.d.ts imports only those", () => {
    const index = publicNames(text['dist/lib/index.d.ts']!);
    const source = new Set(exportLists(readFileSync(join(ROOT, 'src/index.ts'), 'utf8')).values());
    expect([...index].sort()).toEqual([...source].sort());
    const node = text['dist/lib/node.d.ts']!;
    const taken = /^import \{([^}]*)\} from/m
      .exec(node)![1]!
      .split(',')
      .map((s) => s.trim());
    expect(taken.filter((name) => !index.has(name))).toEqual([]);
  });
});
