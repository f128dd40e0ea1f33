/**
 * Starts Debian's docker-registry (CNCF distribution 2.8, /usr/bin/docker-registry) for integration tests: on port 0
 * of loopback (the registry picks a free port and logs it, so no other process can take it in between), storage in a
 * temp dir, optionally TLS, htpasswd Basic auth or `auth: token`. Installed by .ci/deps; tests call
 * `requireComponent(this, 'docker-registry')` (support/requirements.ts) first, which fails under CI when it is absent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { componentPath } from './requirements.js';

/**
 * user `signgate`, password `test-password`: a bcrypt hash made once with a throwaway password (distribution only reads
 * bcrypt). It protects nothing outside the test registry.
 */
export const HTPASSWD_USER = 'signgate';
export const HTPASSWD_PASSWORD = 'test-password';
const HTPASSWD_LINE = 'signgate:$2b$10$L3sVtSWCE5aEg14RoSQP1uzHk7sc.N4Xb4BbZ4PW2T45qSlr5OFke';

export interface RegistryStartOptions {
  /** PEM certificate (chain) and key for TLS; the certificate must name 127.0.0.1. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  readonly htpasswd?: boolean;
  /** `auth: token`: realm URL, service, issuer and the PEM bundle that verifies the token signatures. */
  readonly token?: { readonly realm: string; readonly service: string; readonly issuer: string; readonly rootCertBundlePem: string };
  /**
   * An origin (e.g. http://127.0.0.2:PORT) that blob downloads are redirected to with a 307, by distribution's own
   * `redirect` storage middleware; the redirect's path is the blob's storage path, a file under `<dir>/data`.
   */
  readonly redirectBlobsTo?: string;
  /**
   * `notifications` endpoints: distribution POSTs its event envelopes to each `url` with its headers (e.g.
   * Authorization), each endpoint on its own queue, and retries each until a 2xx/3xx answer; blob events are left
   * out (`ignoredmediatypes`).
   */
  readonly notifications?: NotificationEndpoint | readonly NotificationEndpoint[];
  /** `storage.delete.enabled` (default true); false: DELETE of a manifest answers 405 UNSUPPORTED. */
  readonly deleteEnabled?: boolean;
  /** PEM CA bundle the registry trusts for https:// notification endpoints (its SSL_CERT_FILE, which Go reads). */
  readonly notificationsCaPem?: string;
  /** `http.relativeurls`: Location headers without scheme and host, so that a proxy in front keeps the client's origin. */
  readonly relativeUrls?: boolean;
}

export interface NotificationEndpoint {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RunningRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  readonly host: string;
  readonly origin: string;
  readonly dir: string;
  stop(): Promise<void>;
}

/** A loopback port that nothing listens on right now: for "registry is down" tests only, never to start a server on. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** docker-registry logs `msg="listening on 127.0.0.1:PORT"` (", tls" with TLS) once its listener is bound. */
const LISTENING = /msg="listening on 127\.0\.0\.1:(\d+)/;
const START_TIMEOUT_MS = 15_000;

/** Resolves with the port the registry bound, from its log; fails naming the log when it exits or stays silent. */
function listeningPort(child: ChildProcess, log: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    const onData = (): void => {
      const match = LISTENING.exec(log());
      if (match?.[1] === undefined) return;
      done();
      resolve(Number(match[1]));
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`docker-registry exited with ${code} before listening: ${log()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`docker-registry did not report a listening port within ${START_TIMEOUT_MS} ms: ${log()}`));
    }, START_TIMEOUT_MS);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
  });
}

export async function startRegistry(options: RegistryStartOptions = {}): Promise<RunningRegistry> {
  const binary = componentPath('docker-registry');
  if (binary === undefined) throw new Error('docker-registry is not installed: run .ci/deps (apt-get install docker-registry)');
  const dir = await mkdtemp(join(tmpdir(), 'signgate-registry-'));
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info', // the "listening on" line that names the port is an info line
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    `    enabled: ${options.deleteEnabled ?? true}`,
    'http:',
    '  addr: 127.0.0.1:0',
    `  secret: ${randomBytes(16).toString('hex')}`,
    ...(options.relativeUrls ? ['  relativeurls: true'] : []),
  ];
  if (options.tls) {
    await writeFile(join(dir, 'tls.crt'), options.tls.certPem);
    await writeFile(join(dir, 'tls.key'), options.tls.keyPem, { mode: 0o600 });
    lines.push('  tls:', `    certificate: ${join(dir, 'tls.crt')}`, `    key: ${join(dir, 'tls.key')}`);
  }
  if (options.htpasswd) {
    await writeFile(join(dir, 'htpasswd'), `${HTPASSWD_LINE}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: signgate-test', `    path: ${join(dir, 'htpasswd')}`);
  } else if (options.token) {
    await writeFile(join(dir, 'token-roots.pem'), options.token.rootCertBundlePem);
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${options.token.realm}`,
      `    service: ${options.token.service}`,
      `    issuer: ${options.token.issuer}`,
      `    rootcertbundle: ${join(dir, 'token-roots.pem')}`,
    );
  }
  if (options.redirectBlobsTo !== undefined) {
    lines.push('middleware:', '  storage:', '    - name: redirect', '      options:', `        baseurl: ${options.redirectBlobsTo}`);
  }
  if (options.notifications !== undefined) {
    const endpoints: readonly NotificationEndpoint[] = 'url' in options.notifications ? [options.notifications] : options.notifications;
    lines.push('notifications:', '  endpoints:');
    endpoints.forEach((endpoint, i) => {
      const headers = Object.entries(endpoint.headers ?? {}).map(([name, value]) => `          ${name}: [${JSON.stringify(value)}]`);
      lines.push(
        `    - name: test${i === 0 ? '' : `-${i}`}`,
        `      url: ${endpoint.url}`,
        ...(headers.length > 0 ? ['      headers:', ...headers] : []),
        '      timeout: 5s',
        '      threshold: 10',
        '      backoff: 200ms',
        '      ignoredmediatypes: [application/octet-stream]',
      );
    });
  }
  await writeFile(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const env = { ...process.env };
  if (options.notificationsCaPem !== undefined) {
    await writeFile(join(dir, 'notifications-ca.pem'), options.notificationsCaPem);
    env.SSL_CERT_FILE = join(dir, 'notifications-ca.pem');
  }
  const child = spawn(binary, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000);
  });
  let port: number;
  try {
    port = await listeningPort(child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const host = `127.0.0.1:${port}`;
  return {
    host,
    origin: `${options.tls ? 'https' : 'http'}://${host}`,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
