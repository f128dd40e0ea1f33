/**
 * Start-up time and footprint of the built CLI (issue 17, item 5), measured on the built dist (`npm run build`):
 * - `signgate --help`, `signgate verify --help`, `signgate resolve --help`: wall time of a whole process, runs
 *   interleaved with `node -e 0` (the floor) in the same run; median of each; goal at most 3x the floor.
 * - an idle `signgate serve` on the embedded config: resident memory once it listens and has settled (goal <= 80 MB),
 *   beside an idle `node` for scale.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchResult } from './measure.js';

const ROOT = resolve(import.meta.dirname, '..');
const MAIN = join(ROOT, 'dist/provider/src/cli/main.js');
const RUNS = 15;
const START_UP_GOAL = 3;
const RSS_GOAL_MB = 80;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function timeRun(args: readonly string[]): number {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${String(r.status)}`);
  return performance.now() - start;
}

/** Resident set size of a process in MB, from /proc (Linux). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/** Starts `args`, waits until its stderr says `ready` (or it has run a moment), lets it settle, reads its RSS, stops it. */
async function idleRss(args: readonly string[], ready: RegExp | undefined): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  try {
    await new Promise<void>((done, fail) => {
      if (ready === undefined) setTimeout(done, 500);
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (ready?.test(stderr)) done();
      });
      child.on('exit', (code) => fail(new Error(`node ${args.join(' ')} exited with ${String(code)}: ${stderr}`)));
    });
    await new Promise((settled) => setTimeout(settled, 3000));
    return rssMb(child.pid as number);
  } finally {
    child.kill('SIGTERM');
  }
}

export async function benchStartup(): Promise<BenchResult[]> {
  if (!existsSync(MAIN)) {
    process.stdout.write('start-up and footprint: skipped (no dist/: run npm run build first)\n');
    return [];
  }
  if (statSync(MAIN).mtimeMs < statSync(join(ROOT, 'provider/src/cli/main.ts')).mtimeMs) {
    process.stdout.write('start-up and footprint: dist/ is older than provider/src/cli/main.ts; run npm run build for current figures\n');
  }
  const commands: readonly (readonly string[])[] = [['--help'], ['verify', '--help'], ['resolve', '--help']];
  const floor: number[] = [];
  const times = commands.map(() => [] as number[]);
  timeRun(['-e', '0']);
  for (let i = 0; i < RUNS; i++) {
    floor.push(timeRun(['-e', '0']));
    commands.forEach((argv, c) => times[c]?.push(timeRun([MAIN, ...argv])));
  }
  const floorMs = median(floor);
  const results: BenchResult[] = commands.map((argv, c) => {
    const ms = median(times[c] ?? []);
    return {
      name: `signgate ${argv.join(' ')} (median of ${RUNS} processes)`,
      value: ms,
      unit: 'ms',
      floor: floorMs,
      floorName: 'node -e 0',
      ratio: ms / floorMs,
      goal: START_UP_GOAL,
    };
  });
  const nodeIdle = await idleRss(['-e', 'setInterval(() => {}, 1000)'], undefined);
  const serveIdle = await idleRss([MAIN, 'serve', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], /listening on/);
  results.push({
    name: `idle signgate serve, embedded config (an idle node: ${nodeIdle.toFixed(0)} MB)`,
    value: serveIdle,
    unit: 'MB RSS',
    limit: RSS_GOAL_MB,
  });
  return results;
}
