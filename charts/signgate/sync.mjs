#!/usr/bin/env node
// Copies the chart's files from their top-level sources: crds/*.yaml -> charts/signgate/crds/, and the policies the
// chart installs -> charts/signgate/files/policies/. `node charts/signgate/sync.mjs` writes them;
// `node charts/signgate/sync.mjs --check` only compares and exits 1 listing every drifted file (a test runs that).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const chart = dirname(fileURLToPath(import.meta.url));
const root = join(chart, '..', '..');

export const POLICY_FILES = [
  'verification/template.yaml',
  'verification/constraints/warn.yaml',
  'mutation/assign-image-digest.yaml',
];

/** [source, copy] pairs, plus the copy folders (files in them that have no source are drift too). */
export function copies() {
  const pairs = [];
  const crds = join(root, 'crds');
  for (const name of readdirSync(crds).filter((n) => n.endsWith('.yaml')).sort()) pairs.push([join(crds, name), join(chart, 'crds', name)]);
  for (const file of POLICY_FILES) pairs.push([join(root, 'policies', file), join(chart, 'files', 'policies', file)]);
  return { pairs, folders: [join(chart, 'crds'), join(chart, 'files', 'policies')] };
}

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Every drifted copy: missing, different, or without a source. */
export function drift() {
  const { pairs, folders } = copies();
  const problems = [];
  for (const [source, copy] of pairs) {
    if (!existsSync(copy)) problems.push(`${relative(root, copy)} is missing (source ${relative(root, source)})`);
    else if (!readFileSync(copy).equals(readFileSync(source))) problems.push(`${relative(root, copy)} differs from ${relative(root, source)}`);
  }
  const expected = new Set(pairs.map(([, copy]) => copy));
  for (const folder of folders) for (const f of listFiles(folder)) if (!expected.has(f)) problems.push(`${relative(root, f)} has no source`);
  return problems;
}

function write() {
  const { pairs, folders } = copies();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  for (const [source, copy] of pairs) {
    mkdirSync(dirname(copy), { recursive: true });
    writeFileSync(copy, readFileSync(source));
  }
  console.log(`synced ${pairs.length} files into ${relative(root, chart)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const problems = drift();
    for (const p of problems) console.error(p);
    if (problems.length > 0) console.error('run: node charts/signgate/sync.mjs');
    process.exit(problems.length > 0 ? 1 : 0);
  } else {
    write();
  }
}
