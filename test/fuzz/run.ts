/**
 * `npm run fuzz -- [--seconds N] [--target NAME]... [--seed S]`: runs each fuzz target for N seconds (default 10)
 * and prints, per target, the cases run and the first failure with its seed and path (to replay it); the last line is
 * `N passed, M failed` over the targets. Exit 1 when any target failed, 2 for a usage error.
 */
import { parseArgs } from 'node:util';
import { TARGETS } from './targets/index.js';

function usage(message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: npm run fuzz -- [--seconds N] [--target NAME]... [--seed S]\ntargets: ${TARGETS.map((t) => t.name).join(', ')}\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, target: { type: 'string', multiple: true }, seed: { type: 'string' } }, strict: true });
  const seconds = Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0) usage(`--seconds must be a positive number, not "${values.seconds}"`);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  if (!Number.isSafeInteger(seed)) usage(`--seed must be an integer, not "${values.seed}"`);
  const unknown = (values.target ?? []).filter((n) => !TARGETS.some((t) => t.name === n));
  if (unknown.length > 0) usage(`unknown target ${unknown.join(', ')}`);
  const chosen = values.target === undefined ? TARGETS : TARGETS.filter((t) => values.target?.includes(t.name));

  let passed = 0;
  let failed = 0;
  for (const target of chosen) {
    await target.setup?.();
    const started = performance.now();
    const report = await target.property().check({ seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000 });
    const took = ((performance.now() - started) / 1000).toFixed(1);
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
    if (report.failed) {
      failed += 1;
      process.stdout.write(`${target.name}: FAILED after ${report.numRuns} cases in ${took} s (seed ${report.seed}, path ${report.path ?? '?'}): ${report.error.split('\n')[0]}\n`);
      process.stdout.write(`  counterexample: ${report.counterexample.slice(0, 2000)}\n`);
    } else {
      passed += 1;
      process.stdout.write(`${target.name}: ${report.numRuns} cases in ${took} s, no failure (seed ${seed}, rss ${rss} MiB) - ${target.what}\n`);
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
