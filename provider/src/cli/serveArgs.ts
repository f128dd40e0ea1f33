/**
 * `signgate serve` settings: each flag also read from a SIGNGATE_* environment variable (the flag wins), validated into
 * one readonly value. Durations take `ms`/`s` suffixes or plain milliseconds.
 */
import { parseArgs } from 'node:util';
import { normalizeBooleanFlags, parseBoolean } from './booleanFlags.js';
import { SERVE_FLAGS } from './serveFlags.js';
import { UsageError } from './io.js';
import { DEFAULT_VERDICT_CACHE_BYTES, parseSharedCacheUrl, SharedCacheError } from '../verify/index.js';
import type { SharedCacheSettings } from './sharedCache.js';
import { OciError } from '../oci/index.js';
import { parsePrewarmScope, type PrewarmScope } from '../verify/index.js';
import { parseDuration } from './registryArgs.js';

// the flags and help text live in serveFlags.ts, which main.ts reads for --help without loading verify/ and oci/
export { SERVE_FLAGS, SERVE_HELP } from './serveFlags.js';

export interface ServeSettings {
  readonly configPaths: readonly string[];
  readonly address: string;
  readonly metricsAddress: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly clientCa?: string;
  readonly verifyTimeoutMs: number;
  readonly mutateTimeoutMs: number;
  /** On SIGTERM/SIGINT: how long requests in progress may take to finish before their connections are closed. */
  readonly shutdownTimeoutMs: number;
  /** Listener bounds (server/connectionLimits.ts) and the 503 bound on requests answered at once. */
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConcurrentRequests: number;
  /** YAML/JSON file of settings changeable without a restart (verifyTimeout, mutateTimeout); watched. */
  readonly settingsFile?: string;
  readonly verdictCacheSize: number;
  readonly verdictCacheTtlMs: number;
  /** Bytes of verdicts kept at most (verify/verdictCache.ts verdictBytes). */
  readonly verdictCacheBytes: number;
  /** The verdict cache shared by all replicas: a redis:// or rediss:// URL (checked), password and CA files. */
  readonly sharedCache?: SharedCacheSettings;
  readonly tagCacheSize: number;
  readonly contentCacheBytes: number;
  readonly dropTag: boolean;
  readonly devHosts: readonly string[];
  readonly logLevel: string;
  /** Read the configuration custom resources from the Kubernetes API instead of files. */
  readonly kubernetes: boolean;
  /** `namespace/name[/key]` of Gatekeeper's CA Secret, written to clientCa (with --kubernetes). */
  readonly gatekeeperCaSecret?: string;
  /** With --kubernetes: re-verify the running Pods' images every this many ms (0: no audit). */
  readonly auditIntervalMs: number;
  /** Audit verifications started per second at most. */
  readonly auditQps: number;
  /** `namespace/name` of the coordination.k8s.io Lease: only the replica holding it audits. */
  readonly auditLease?: { readonly namespace: string; readonly name: string };
  /** Revocation checking: on-disk CRL cache, and offline (no OCSP/CRL fetches; only Verifier CRL files). */
  readonly crlCacheDir?: string;
  readonly revocationOffline: boolean;
  /** Serve POST /v1/registry-events, checking this bearer-token file (re-read on change). */
  readonly eventsTokenFile?: string;
  /** Repositories whose pushed images are verified in the background (needs eventsTokenFile). */
  readonly prewarm: readonly PrewarmScope[];
}


/** --shared-cache with its key, password and CA files; the URL is checked here, so a typo stops the start (exit 2). */
function sharedCacheSettings(get: (name: string) => string | undefined): { sharedCache?: SharedCacheSettings } {
  const url = get('shared-cache');
  const passwordFile = get('shared-cache-password-file');
  const caFile = get('shared-cache-ca');
  const keyFile = get('shared-cache-key-file');
  if (url === undefined) {
    if (passwordFile !== undefined || caFile !== undefined || keyFile !== undefined) throw new UsageError('--shared-cache-key-file, --shared-cache-password-file and --shared-cache-ca need --shared-cache URL');
    return {};
  }
  if (keyFile === undefined) {
    throw new UsageError('--shared-cache needs --shared-cache-key-file FILE: a secret of at least 32 bytes, the same on every replica (e.g. head -c 32 /dev/urandom | base64 > key), without which anyone who can write to Redis could plant a passing verdict');
  }
  try {
    parseSharedCacheUrl(url);
  } catch (error) {
    if (error instanceof SharedCacheError) throw new UsageError(error.message);
    throw error;
  }
  return { sharedCache: { url, keyFile, ...(passwordFile !== undefined ? { passwordFile } : {}), ...(caFile !== undefined ? { caFile } : {}) } };
}

function duration(text: string, what: string): number {
  const m = /^(\d{1,9})(ms|s)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${what} must be a duration like 4900ms, 5s or 4900, got "${text}"`);
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  if (ms <= 0) throw new UsageError(`${what} must be more than 0, got "${text}"`);
  return ms;
}

function count(text: string, what: string): number {
  if (!/^\d{1,12}$/.test(text.trim())) throw new UsageError(`${what} must be a whole number, got "${text}"`);
  return Number(text.trim());
}

export function parseServeArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, defaultConfig: () => string): ServeSettings | 'help' {
  const options = Object.fromEntries(SERVE_FLAGS.map((f) => [f.name, f.name === 'config' || f.name === 'dev-host' || f.name === 'prewarm' ? { type: 'string' as const, multiple: true as const } : { type: 'string' as const }]));
  let parsed;
  try {
    const args = normalizeBooleanFlags(argv, SERVE_FLAGS.filter((f) => f.boolean).map((f) => f.name));
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean' } }, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (values.help === true) return 'help';
  const get = (name: string): string | undefined => {
    const flag = SERVE_FLAGS.find((f) => f.name === name);
    const v = values[name];
    if (typeof v === 'string') return v;
    const e = flag ? env[flag.env] : undefined;
    return e !== undefined && e !== '' ? e : undefined;
  };
  const list = (name: string, envName: string): string[] => {
    const v = values[name];
    if (Array.isArray(v) && v.length > 0) return v;
    return (env[envName] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  };
  const tlsCert = get('tls-cert');
  const tlsKey = get('tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together: give both, or neither for a development certificate');
  const clientCa = get('client-ca');
  const flag = (name: string): boolean => {
    const v = get(name);
    return v === undefined ? false : parseBoolean(v, `--${name}`);
  };
  const kubernetes = flag('kubernetes');
  const gatekeeperCaSecret = get('gatekeeper-ca-secret');
  if (gatekeeperCaSecret !== undefined && (!kubernetes || clientCa === undefined)) throw new UsageError('--gatekeeper-ca-secret needs --kubernetes and --client-ca (the file it writes the CA to)');
  const auditText = get('audit-interval') ?? '10m';
  const auditIntervalMs = auditText === '0' || auditText === 'off' ? 0 : parseDuration(auditText);
  if (auditIntervalMs === undefined || (auditIntervalMs > 0 && auditIntervalMs < 1000)) {
    throw new UsageError(`--audit-interval must be a duration of at least 1s such as 10m or 30s, or 0/off to turn the audit off, got "${auditText}"`);
  }
  const auditLeaseText = get('audit-lease');
  const auditLease = auditLeaseText === undefined ? undefined : /^([a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9](?:[-.a-z0-9]{0,251}[a-z0-9])?)$/.exec(auditLeaseText);
  if (auditLease === null) throw new UsageError(`--audit-lease must be NAMESPACE/NAME of a Lease (lowercase DNS names), got "${auditLeaseText ?? ''}"`);
  if (auditLease !== undefined && (!kubernetes || auditIntervalMs === 0)) throw new UsageError('--audit-lease needs --kubernetes and an --audit-interval other than off');
  const configPaths = list('config', 'SIGNGATE_CONFIG');
  const crlCacheDir = get('crl-cache-dir');
  const eventsTokenFile = get('events-token-file');
  const prewarm = list('prewarm', 'SIGNGATE_PREWARM').map((text) => {
    try {
      return parsePrewarmScope(text);
    } catch (error) {
      if (error instanceof OciError) throw new UsageError(`--prewarm: ${error.message}`);
      throw error;
    }
  });
  if (prewarm.length > 0 && eventsTokenFile === undefined) throw new UsageError('--prewarm needs --events-token-file: images are prewarmed when their push notification arrives');
  const settingsFile = get('settings');
  const num = (name: string, fallback: number): number => {
    const v = get(name);
    return v === undefined ? fallback : count(v, `--${name}`);
  };
  const positive = (name: string, fallback: number): number => {
    const n = num(name, fallback);
    if (n <= 0) throw new UsageError(`--${name} must be at least 1, got ${n}`);
    return n;
  };
  const dur = (name: string, fallback: number): number => {
    const v = get(name);
    return v === undefined ? fallback : duration(v, `--${name}`);
  };
  return {
    configPaths: configPaths.length > 0 ? configPaths : [defaultConfig()],
    address: get('address') ?? '127.0.0.1:6001',
    metricsAddress: get('metrics-address') ?? '127.0.0.1:8888',
    ...(tlsCert !== undefined && tlsKey !== undefined ? { tlsCert, tlsKey } : {}),
    ...(clientCa !== undefined ? { clientCa } : {}),
    verifyTimeoutMs: dur('verify-timeout', 4900),
    mutateTimeoutMs: dur('mutate-timeout', 1950),
    shutdownTimeoutMs: dur('shutdown-timeout', 10_000),
    headersTimeoutMs: dur('headers-timeout', 10_000),
    requestTimeoutMs: dur('request-timeout', 30_000),
    keepAliveTimeoutMs: dur('keep-alive-timeout', 120_000),
    maxConnections: positive('max-connections', 4096),
    maxConcurrentRequests: positive('max-concurrent-requests', 64),
    ...(settingsFile !== undefined ? { settingsFile } : {}),
    verdictCacheSize: num('verdict-cache-size', 10_000),
    verdictCacheTtlMs: dur('verdict-cache-ttl', 60_000),
    verdictCacheBytes: num('verdict-cache-bytes', DEFAULT_VERDICT_CACHE_BYTES),
    ...sharedCacheSettings(get),
    tagCacheSize: num('tag-cache-size', 10_000),
    contentCacheBytes: num('content-cache-bytes', 64 * 1024 * 1024),
    dropTag: flag('drop-tag'),
    devHosts: list('dev-host', 'SIGNGATE_DEV_HOSTS'),
    logLevel: get('log-level') ?? 'info',
    kubernetes,
    ...(gatekeeperCaSecret !== undefined ? { gatekeeperCaSecret } : {}),
    auditIntervalMs,
    auditQps: positive('audit-qps', 5),
    ...(auditLease !== undefined ? { auditLease: { namespace: auditLease[1] as string, name: auditLease[2] as string } } : {}),
    ...(crlCacheDir !== undefined ? { crlCacheDir } : {}),
    revocationOffline: flag('revocation-offline'),
    ...(eventsTokenFile !== undefined ? { eventsTokenFile } : {}),
    prewarm,
  };
}
