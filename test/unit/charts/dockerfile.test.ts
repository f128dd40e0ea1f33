/**
 * The Dockerfile's structure (no docker engine exists here, so the image is never built by the tests): stages, npm ci
 * and the build, production dependencies only in the runtime, a numeric non-root USER, no shell form, the entrypoint.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly lines: string[];
}

function stages(text: string): Stage[] {
  const out: { from: string; name: string | undefined; lines: string[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) out.push({ from: from[1] as string, name: from[2], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

describe('Dockerfile (structure only: docker build is not run here)', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const all = stages(text);
  const runtime = all.at(-1) as Stage;

  it('builds with npm ci and the TypeScript build in a build stage', () => {
    assert.ok(all.length >= 2);
    const build = all.find((s) => s.lines.some((l) => /npm run build/.test(l)));
    assert.ok(build, 'a stage runs npm run build');
    assert.ok(build.lines.some((l) => /^RUN npm ci\b/.test(l)));
  });

  it('runs with production dependencies only: node_modules come from an npm ci --omit=dev stage', () => {
    const deps = all.find((s) => s.lines.some((l) => /npm ci .*--omit=dev/.test(l)));
    assert.ok(deps?.name);
    const copies = runtime.lines.filter((l) => l.startsWith('COPY --from='));
    const nodeModules = copies.find((l) => /node_modules/.test(l));
    assert.ok(nodeModules?.startsWith(`COPY --from=${deps.name} `), 'node_modules from the production-only stage');
    assert.ok(!runtime.lines.some((l) => /^RUN\b/.test(l)), 'no RUN in the runtime stage (no shell needed)');
    assert.ok(runtime.lines.some((l) => /^COPY crds\b/.test(l)), 'crds/ (the runtime schemas) is in the image');
  });

  it('runs as a numeric non-root user', () => {
    const user = runtime.lines.filter((l) => l.startsWith('USER ')).at(-1);
    const m = /^USER (\d+)(?::(\d+))?$/.exec(user ?? '');
    assert.ok(m, `USER must be numeric, got ${user}`);
    assert.notEqual(Number(m[1]), 0);
  });

  it('has `signgate serve` as its exec-form entrypoint', () => {
    const entry = runtime.lines.find((l) => l.startsWith('ENTRYPOINT '));
    const argv = JSON.parse((entry ?? '').slice('ENTRYPOINT '.length)) as string[];
    assert.ok(argv.some((a) => a.endsWith('dist/provider/src/cli/main.js')));
    assert.equal(argv.at(-1), 'serve');
  });

  it('.dockerignore keeps node_modules, dist, tests and .git out of the context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', 'test', '.git']) assert.ok(ignored.includes(entry), entry);
  });

  it('.dockerignore keeps every folder the embedded default config reads (config/certs/ holds only a README)', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    // *.md is ignored, so without this exception config/certs/ would be missing from the image and the default
    // configuration would be rejected ("spec.parameters.paths[0]: does not exist").
    if (ignored.includes('*.md')) assert.ok(ignored.includes('!config/certs/README.md'));
    assert.ok(readFileSync(join(ROOT, 'config', 'default.yaml'), 'utf8').includes('paths: [certs]'));
  });
});
