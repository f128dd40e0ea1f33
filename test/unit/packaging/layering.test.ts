/**
 * DESIGN.md's layering, read from the source: every import of provider/src that loads code (static `import` /
 * `export ... from` that is not type-only, and dynamic `import()`) goes down the floors — rego/, oci/, notation/ ->
 * keys/, events/ -> config/ -> verify/, signing/ -> server/, k8s/, policytest/ -> cli/ — never up and never
 * sideways on one floor; rego/ and oci/ import nothing of the rest, notation/ nothing but oci/ (the one canonical
 * reference form, which trust policy scopes are compared in); and no module imports itself back through others.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(import.meta.dirname, '../../../provider/src');

const FLOOR: Readonly<Record<string, number>> = {
  '.': 0, // provider/src/*.ts: errors and JSON text helpers every layer may use
  rego: 1,
  oci: 1,
  notation: 1,
  keys: 2,
  events: 2,
  config: 3,
  verify: 4,
  signing: 4,
  server: 5,
  k8s: 5,
  policytest: 5,
  cli: 6,
};
/** Imports a floor-1 folder may make besides provider/src/*.ts. */
const FLOOR_ONE_ALLOWED: Readonly<Record<string, readonly string[]>> = { rego: [], oci: [], notation: ['oci'] };

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports that load code: `import x from`, `import {a, type B} from`, `export {..} from`, `import('..')`. */
function codeImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?\bfrom\s+'(\.[^']+)'/gm)) {
    if (m[2] === undefined && m[3] !== undefined) found.push(m[3]);
  }
  for (const m of text.matchAll(/^\s*import\s+'(\.[^']+)'/gm)) if (m[1] !== undefined) found.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*'(\.[^']+)'\s*\)/g)) if (m[1] !== undefined) found.push(m[1]);
  return found;
}

const folderOf = (file: string): string => {
  const parts = relative(SRC, file).split('/');
  return parts.length === 1 ? '.' : (parts[0] ?? '.');
};

const graph = new Map<string, string[]>();
for (const file of sources(SRC)) {
  graph.set(
    file,
    codeImports(readFileSync(file, 'utf8')).map((spec) => resolve(dirname(file), spec.replace(/\.js$/, '.ts'))),
  );
}

describe('provider/src layering (DESIGN.md "Rules that keep the house simple")', () => {
  it('reads every module and its imports (the check below is not vacuous)', () => {
    assert.ok(graph.size > 200, `only ${graph.size} modules found under ${SRC}`);
    const edges = [...graph.values()].reduce((n, deps) => n + deps.length, 0);
    assert.ok(edges > 500, `only ${edges} imports found`);
    assert.ok([...graph.keys()].every((f) => FLOOR[folderOf(f)] !== undefined), `a folder without a floor: ${[...new Set([...graph.keys()].map(folderOf))].filter((d) => FLOOR[d] === undefined).join(', ')}`);
  });

  it('every import goes to a lower floor (or within its own folder); rego/ and oci/ import none of the rest, notation/ only oci/', () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const from = folderOf(file);
      for (const dep of deps) {
        const to = folderOf(dep);
        if (to === from || to === '.') continue;
        const allowed = from in FLOOR_ONE_ALLOWED ? (FLOOR_ONE_ALLOWED[from] ?? []).includes(to) : (FLOOR[to] ?? 99) < (FLOOR[from] ?? 0);
        if (!allowed) wrong.push(`${relative(SRC, file)} imports ${relative(SRC, dep)} (${from}/ -> ${to}/)`);
      }
    }
    assert.deepEqual(wrong, [], `imports against the layering:\n${wrong.join('\n')}`);
  });

  it('provider/src/*.ts import no folder', () => {
    const wrong = [...graph].filter(([f]) => folderOf(f) === '.').flatMap(([f, deps]) => deps.filter((d) => folderOf(d) !== '.').map((d) => `${relative(SRC, f)} -> ${relative(SRC, d)}`));
    assert.deepEqual(wrong, []);
  });

  it('no module imports itself back through others (no import cycles)', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      state.set(file, 'open');
      for (const dep of graph.get(file) ?? []) {
        if (!graph.has(dep)) continue;
        if (state.get(dep) === 'open') cycles.push([...path.slice(path.indexOf(dep)), dep].map((f) => relative(SRC, f)).join(' -> '));
        else if (state.get(dep) === undefined) visit(dep, [...path, dep]);
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (state.get(file) === undefined) visit(file, [file]);
    assert.deepEqual(cycles, []);
  });
});
