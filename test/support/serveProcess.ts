/**
 * `signgate serve` as its own process (the CLI entry point run through tsx, or the built one), for tests of what only a process shows:
 * its argument parsing as a manifest spells it, signals, exit codes. stdout (pino JSON) is collected as parsed lines,
 * stderr as text; waits are bounded and driven by the output, never by sleeping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'provider', 'src', 'cli', 'main.ts');
/** The built CLI (`npm run build`), what an image runs: for measurements where tsx's own memory would be counted. */
export const BUILT_MAIN = join(ROOT, 'dist', 'provider', 'src', 'cli', 'main.js');

export type LogLine = Record<string, unknown> & { readonly level: number; readonly msg: string };

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly lines: readonly LogLine[];
  stderr(): string;
  /** The first log line `match` accepts (already written or coming), within `ms`. */
  waitForLog(match: (line: LogLine) => boolean, what: string, ms?: number): Promise<LogLine>;
  /** The first match of `pattern` in stderr, within `ms`. */
  waitForStderr(pattern: RegExp, what: string, ms?: number): Promise<RegExpExecArray>;
  /** The exit code (or the signal's name), within `ms`. */
  exit(ms?: number): Promise<number | string>;
  /** SIGKILL if still running (test clean-up). */
  kill(): void;
}

/**
 * Starts `signgate serve ARGS` with exactly `env` (plus PATH, and HOME when not given): nothing of the test runner's
 * environment, so no SIGNGATE_* variable leaks in. `command` replaces the words before ARGS (default `serve`), e.g.
 * with what an image's ENTRYPOINT puts after the CLI's main.js.
 */
export function startServeProcess(args: readonly string[], env: Readonly<Record<string, string>>, command: readonly string[] = ['serve'], options: { readonly built?: boolean } = {}): ServeProcess {
  const entry = options.built ? [BUILT_MAIN] : ['--import', 'tsx', MAIN];
  const child = spawn(process.execPath, [...entry, ...command, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stdoutRest = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const l of [...listeners]) l();
  };
  child.stdout?.on('data', (d: Buffer) => {
    const parts = (stdoutRest + d.toString()).split('\n');
    stdoutRest = parts.pop() ?? '';
    for (const p of parts) {
      try {
        lines.push(JSON.parse(p) as LogLine);
      } catch {
        lines.push({ level: 0, msg: p });
      }
    }
    changed();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    changed();
  });
  let exitValue: number | string | undefined;
  child.on('exit', (code, signal) => {
    exitValue = code ?? signal ?? 'unknown';
    changed();
  });
  const describe = (): string => `stderr:\n${stderr}\nlog:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`;

  function waitUntil<T>(check: () => T | undefined, what: string, ms: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        listeners.delete(poll);
        clearTimeout(timer);
      };
      const poll = (): void => {
        const v = check();
        if (v !== undefined) {
          done();
          resolve(v);
        } else if (exitValue !== undefined && what !== 'exit') {
          done();
          reject(new Error(`signgate serve exited (${String(exitValue)}) before ${what}\n${describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${ms} ms\n${describe()}`));
      }, ms);
      listeners.add(poll);
      poll();
    });
  }

  return {
    child,
    lines,
    stderr: () => stderr,
    waitForLog: (match, what, ms = 60_000) => waitUntil(() => lines.find(match), what, ms),
    waitForStderr: (pattern, what, ms = 60_000) => waitUntil(() => pattern.exec(stderr) ?? undefined, what, ms),
    exit: (ms = 60_000) => waitUntil(() => exitValue, 'exit', ms),
    kill() {
      if (exitValue === undefined) child.kill('SIGKILL');
    },
  };
}
