/**
 * The container image installs production dependencies only (`npm ci --omit=dev`, see Dockerfile), so everything under
 * provider/src must import nothing but Node built-ins and package.json `dependencies`; a devDependency imported at run
 * time would build fine here and crash in the image.
 */
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** Installed with --omit=dev too; an optional one (a native addon that may fail to build) must be loaded on use. */
const runtime = { ...pkg.dependencies, ...(pkg.optionalDependencies ?? {}) };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The package a bare specifier names: `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

describe('packaging: runtime code imports production dependencies only', () => {
  const builtins = new Set(builtinModules);
  const files = sources(join(ROOT, 'provider', 'src'));

  it('finds the runtime sources', () => {
    assert.ok(files.length > 100, `only ${files.length} files under provider/src`);
  });

  it('every bare import under provider/src is a Node built-in or a package.json dependency', () => {
    const bad: string[] = [];
    const importRe = /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(importRe)) {
        const spec = m[1] ?? m[2] ?? m[3] ?? '';
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = packageOf(spec);
        if (!(name in runtime)) {
          bad.push(`${relative(ROOT, file)} imports "${spec}" (${name in pkg.devDependencies ? 'a devDependency' : 'not in package.json'})`);
        }
      }
    }
    assert.deepEqual(bad, []);
  });

  it('no production dependency is left unused by the runtime code', () => {
    const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    const unused = Object.keys(runtime).filter((name) => !text.includes(`'${name}`) && !text.includes(`"${name}`));
    assert.deepEqual(unused, [], 'move these to devDependencies or drop them');
  });

});
