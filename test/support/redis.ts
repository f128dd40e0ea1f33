/**
 * Starts Debian's redis-server (the shared verdict cache's real component) for integration tests: on a loopback port,
 * no persistence, its files in a temp dir, optionally with a password. redis-server cannot pick its own port (`--port
 * 0` turns TCP off), so a free port is chosen and the start retried when another process took it in between. The
 * handle can SIGKILL the server (Redis gone) or SIGSTOP/SIGCONT it (Redis connected but not answering). Installed by
 * .ci/deps; tests call `requireComponent(this, 'redis-server')` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './registry.js';
import { componentPath } from './requirements.js';

export interface RunningRedis {
  readonly port: number;
  /** redis://[:password@]127.0.0.1:PORT/0 */
  readonly url: string;
  /** SIGKILL: every connection drops and nothing answers any more. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open but nothing is answered until resumed. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

function started(child: ChildProcess, log: () => string): Promise<'ready' | 'port taken'> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    const onData = (): void => {
      if (!/Ready to accept connections/.test(log())) return;
      done();
      resolve('ready');
    };
    const onExit = (code: number | null): void => {
      done();
      if (/Address already in use/.test(log())) resolve('port taken');
      else reject(new Error(`redis-server exited with ${code} before it was ready: ${log()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`redis-server was not ready within ${START_TIMEOUT_MS} ms: ${log()}`));
    }, START_TIMEOUT_MS);
    child.stdout?.on('data', onData);
    child.on('exit', onExit);
  });
}

export async function startRedis(options: { readonly password?: string } = {}): Promise<RunningRedis> {
  const binary = componentPath('redis-server');
  if (binary === undefined) throw new Error('redis-server is not installed: run .ci/deps (apt-get install redis-server)');
  const dir = await mkdtemp(join(tmpdir(), 'signgate-redis-'));
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'notice'];
    if (options.password !== undefined) args.push('--requirepass', options.password);
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const state = await started(child, () => log);
    if (state === 'port taken') {
      if (attempt < 5) continue;
      throw new Error(`redis-server found no free port in 5 attempts: ${log}`);
    }
    const exited = new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    const killWith = async (signal: NodeJS.Signals): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT'); // a paused server cannot exit on SIGTERM
        child.kill(signal);
      }
      await exited;
    };
    const auth = options.password !== undefined ? `:${encodeURIComponent(options.password)}@` : '';
    return {
      port,
      url: `redis://${auth}127.0.0.1:${port}/0`,
      kill: () => killWith('SIGKILL'),
      pause: () => void child.kill('SIGSTOP'),
      resume: () => void child.kill('SIGCONT'),
      async stop() {
        await killWith('SIGTERM');
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}
