/**
 * Start-up time and footprint of the built CLI (issue 17, item 5), measured on the built dist (`npm run build`):
 * - `signgate --help`, `signgate verify --help`, `signgate resolve --help`: wall time of a whole process, runs
 *   interleaved with `node -e 0` (the floor) in the same run; median of each; goal at most 3x the floor.
 * - an idle `signgate serve` on the embedded config: resident memory once it is idle after start-up, median of 3
 *   processes (goal <= 80 MB), beside its figure when it starts listening and an idle `node` for scale.
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
const SERVE_RUNS = 3;

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

interface Footprint {
  /** RSS once the process is ready. */
  readonly readyMb: number;
  /** RSS once it is idle. */
  readonly idleMb: number;
}

const IDLE_WAIT_MS = 60_000;

/**
 * Starts `args` and reads its RSS twice: when its stderr says `ready` (a bare node: after 500 ms), and when it is idle:
 * 1 s after its stdout logs `idle` (signgate serve's one collection once it is first idle after start-up,
 * provider/src/cli/idleCollection.ts; the second lets the freed pages go back) or, without `idle`, 3 s after ready.
 */
async function footprint(args: readonly string[], ready: RegExp | undefined, idle: RegExp | undefined): Promise<Footprint> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  const exited = new Promise<never>((_, fail) =>
    child.on('exit', (code) => fail(new Error(`node ${args.join(' ')} exited with ${String(code)}: ${stderr}`))),
  );
  const output = (stream: 'stdout' | 'stderr', pattern: RegExp): Promise<void> =>
    new Promise<void>((done) => {
      child[stream].on('data', (chunk: Buffer) => {
        if (stream === 'stdout') stdout += chunk.toString();
        else stderr += chunk.toString();
        if (pattern.test(stream === 'stdout' ? stdout : stderr)) done();
      });
    });
  const pause = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
  let idleTimer: NodeJS.Timeout | undefined;
  try {
    const idleLine = idle === undefined ? undefined : output('stdout', idle);
    await Promise.race([ready === undefined ? pause(500) : output('stderr', ready), exited]);
    const readyMb = rssMb(child.pid as number);
    if (idleLine === undefined) {
      await pause(3000);
    } else {
      const timeout = new Promise<never>((_, fail) => {
        idleTimer = setTimeout(() => fail(new Error(`node ${args.join(' ')} logged no line matching ${String(idle)} within ${IDLE_WAIT_MS} ms of being ready`)), IDLE_WAIT_MS);
      });
      await Promise.race([idleLine, exited, timeout]);
      await pause(1000);
    }
    return { readyMb, idleMb: rssMb(child.pid as number) };
  } finally {
    clearTimeout(idleTimer);
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
  const node = await footprint(['-e', 'setInterval(() => {}, 1000)'], undefined, undefined);
  const serves: Footprint[] = [];
  for (let i = 0; i < SERVE_RUNS; i++) {
    serves.push(await footprint([MAIN, 'serve', '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], /listening on/, /idle after start-up/));
  }
  const idle = serves.map((f) => f.idleMb);
  results.push({
    name:
      `idle signgate serve, embedded config (median of ${SERVE_RUNS} processes: ${idle.map((mb) => mb.toFixed(0)).join(', ')} MB; ` +
      `${median(serves.map((f) => f.readyMb)).toFixed(0)} MB when it starts listening; an idle node: ${node.idleMb.toFixed(0)} MB)`,
    value: median(idle),
    unit: 'MB RSS',
    limit: RSS_GOAL_MB,
  });
  return results;
}
