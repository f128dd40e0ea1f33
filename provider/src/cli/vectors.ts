/**
 * The vector runner: `npm run --silent vectors -- FILE` runs every case of a signgate-notation-vectors/v1 file
 * (format: ../shared/vectors/notation/FORMAT.md) and prints `ok <id>` or `FAIL <id>: expected <x>, got <y> (<why>)`
 * per case and, last, `N passed, M failed`. Exit 0 only when nothing failed.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseVectorFile, runVectorCase, type VectorOutcome } from './vectorCase.js';

function describe(o: { result: string; validation?: string }): string {
  return o.validation ? `${o.result}/${o.validation}` : o.result;
}

export async function runVectors(file: string, out: (line: string) => void): Promise<{ passed: number; failed: number }> {
  const doc = parseVectorFile(JSON.parse(await readFile(file, 'utf8')) as unknown, file);
  const corpus = dirname(file);
  let passed = 0;
  let failed = 0;
  for (const c of doc.cases) {
    let got: VectorOutcome;
    try {
      got = await runVectorCase(c, corpus);
    } catch (err) {
      got = { result: 'error', message: err instanceof Error ? err.message : String(err) };
    }
    const want = c.expected;
    const same = got.result === want.result && (want.validation === undefined || got.validation === want.validation);
    if (same) {
      passed++;
      out(`ok ${c.id}`);
    } else {
      failed++;
      out(`FAIL ${c.id}: expected ${describe(want)}, got ${describe(got)}${got.message ? ` (${got.message})` : ''}`);
    }
  }
  out(`${passed} passed, ${failed} failed`);
  return { passed, failed };
}

async function main(argv: readonly string[]): Promise<number> {
  const file = argv[0];
  if (!file || argv.length !== 1) {
    process.stderr.write('usage: npm run --silent vectors -- FILE (a signgate-notation-vectors/v1 cases.json)\n');
    return 2;
  }
  try {
    const { failed } = await runVectors(file, (line) => process.stdout.write(`${line}\n`));
    return failed === 0 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`vectors: cannot run ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
