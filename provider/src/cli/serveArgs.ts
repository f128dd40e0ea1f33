/**
 * `signgate serve` settings: each flag also read from a SIGNGATE_* environment variable (the flag wins), validated into
 * one readonly value. Durations take `ms`/`s` suffixes or plain milliseconds.
 */
import { parseArgs } from 'node:util';
import { normalizeBooleanFlags, parseBoolean } from './booleanFlags.js';
import { wrapHelp } from './help.js';
import { UsageError } from './io.js';
import { DEFAULT_VERDICT_CACHE_BYTES, parseSharedCacheUrl, SharedCacheError } from '../verify/index.js';
import type { SharedCacheSettings } from './sharedCache.js';
import { OciError } from '../oci/index.js';
import { parsePrewarmScope, type PrewarmScope } from '../verify/index.js';
import { parseDuration } from './registryArgs.js';

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

interface Flag {
  readonly name: string;
  readonly env: string;
  readonly value: string;
  readonly help: string;
  readonly fallback?: string;
  /** A boolean flag: bare, `--name=true|false` or `--name true|false` (booleanFlags.ts). */
  readonly boolean?: true;
}

export const SERVE_FLAGS: readonly Flag[] = [
  { name: 'config', env: 'SIGNGATE_CONFIG', value: 'PATH', help: 'config file or folder of custom resources (repeatable; env: comma-separated)', fallback: 'the embedded config/default.yaml' },
  { name: 'address', env: 'SIGNGATE_ADDRESS', value: 'HOST:PORT', help: 'HTTPS listener for the external data routes', fallback: '127.0.0.1:6001' },
  { name: 'metrics-address', env: 'SIGNGATE_METRICS_ADDRESS', value: 'HOST:PORT', help: 'plain-HTTP listener for /metrics, /healthz, /readyz', fallback: '127.0.0.1:8888' },
  { name: 'tls-cert', env: 'SIGNGATE_TLS_CERT', value: 'FILE', help: 'PEM certificate (chain); re-read when it changes', fallback: 'a generated development certificate' },
  { name: 'tls-key', env: 'SIGNGATE_TLS_KEY', value: 'FILE', help: 'PEM private key of --tls-cert' },
  { name: 'client-ca', env: 'SIGNGATE_CLIENT_CA', value: 'FILE', help: "require client certificates issued by this CA (Gatekeeper's)", fallback: 'off' },
  { name: 'verify-timeout', env: 'SIGNGATE_VERIFY_TIMEOUT', value: 'DURATION', help: 'deadline of a verify request', fallback: '4900ms' },
  { name: 'mutate-timeout', env: 'SIGNGATE_MUTATE_TIMEOUT', value: 'DURATION', help: 'deadline of a mutate request', fallback: '1950ms' },
  {
    name: 'shutdown-timeout',
    env: 'SIGNGATE_SHUTDOWN_TIMEOUT',
    value: 'DURATION',
    help: 'on SIGTERM or SIGINT, stop accepting and give requests in progress this long to finish, then exit 0 (keep it below the pod\'s terminationGracePeriodSeconds)',
    fallback: '10s',
  },
  { name: 'headers-timeout', env: 'SIGNGATE_HEADERS_TIMEOUT', value: 'DURATION', help: "a client's TLS handshake, then its request headers, must each arrive within this, or the connection is closed (both listeners)", fallback: '10s' },
  { name: 'request-timeout', env: 'SIGNGATE_REQUEST_TIMEOUT', value: 'DURATION', help: 'a whole request (headers and body) must arrive within this, or it is answered 408 and closed; an answer the client stops reading for this long is cut', fallback: '30s' },
  { name: 'keep-alive-timeout', env: 'SIGNGATE_KEEP_ALIVE_TIMEOUT', value: 'DURATION', help: "an idle keep-alive connection is closed after this; keep it above Gatekeeper's idle timeout (Go: 90s) so that Gatekeeper closes first", fallback: '120s' },
  { name: 'max-connections', env: 'SIGNGATE_MAX_CONNECTIONS', value: 'N', help: 'open connections per listener at most; more are closed as they arrive (keep it below the open-file limit)', fallback: '4096' },
  {
    name: 'max-concurrent-requests',
    env: 'SIGNGATE_MAX_CONCURRENT_REQUESTS',
    value: 'N',
    help: 'external data requests read or answered at once at most; more are answered 503 with Retry-After: 1 (counted in signgate_rejected_requests_total{code="OVERLOADED"})',
    fallback: '64',
  },
  {
    name: 'settings',
    env: 'SIGNGATE_SETTINGS',
    value: 'FILE',
    help: 'YAML/JSON file of settings changeable without a restart (see "settings file" below)',
    fallback: 'none',
  },
  { name: 'verdict-cache-size', env: 'SIGNGATE_VERDICT_CACHE_SIZE', value: 'N', help: 'verdicts kept (0 disables)', fallback: '10000' },
  { name: 'verdict-cache-ttl', env: 'SIGNGATE_VERDICT_CACHE_TTL', value: 'DURATION', help: 'how long a decided verdict (a pass, or a fail such as "no signatures found") is reused; a newly signed image is seen after at most the Store ttl + this', fallback: '60s' },
  { name: 'verdict-cache-bytes', env: 'SIGNGATE_VERDICT_CACHE_BYTES', value: 'N', help: 'bytes of verdicts kept at most, counted as their JSON size (0 disables); the least recently used go first', fallback: '67108864 (64 MiB)' },
  {
    name: 'shared-cache',
    env: 'SIGNGATE_SHARED_CACHE',
    value: 'URL',
    help: 'share decided verdicts with the other replicas through Redis: redis://[user:password@]host:port/db, or rediss://... for TLS; every Redis call is bounded (50ms), and without Redis each replica answers from its own cache',
    fallback: 'off',
  },
  { name: 'shared-cache-password-file', env: 'SIGNGATE_SHARED_CACHE_PASSWORD_FILE', value: 'FILE', help: 'the Redis password, read from this file (e.g. a mounted Secret) instead of the URL' },
  { name: 'shared-cache-ca', env: 'SIGNGATE_SHARED_CACHE_CA', value: 'FILE', help: 'PEM CA bundle that verifies a rediss:// server', fallback: 'the system CAs' },
  { name: 'tag-cache-size', env: 'SIGNGATE_TAG_CACHE_SIZE', value: 'N', help: 'tag resolutions and referrer lists kept per registry client (TTL: the Store ttl)', fallback: '10000' },
  { name: 'content-cache-bytes', env: 'SIGNGATE_CONTENT_CACHE_BYTES', value: 'N', help: 'bytes of verified manifests and signatures kept', fallback: '67108864' },
  { name: 'drop-tag', env: 'SIGNGATE_DROP_TAG', value: '[true|false]', boolean: true, help: 'mutate answers host/repo@digest instead of host/repo:tag@digest', fallback: 'false' },
  { name: 'dev-host', env: 'SIGNGATE_DEV_HOSTS', value: 'NAME', help: 'extra DNS name or IP in the development certificate (repeatable; env: comma-separated)' },
  { name: 'kubernetes', env: 'SIGNGATE_KUBERNETES', value: '[true|false]', boolean: true, help: 'read config.signgate.dev custom resources through the Kubernetes API (in-cluster or KUBECONFIG) instead of --config', fallback: 'false' },
  { name: 'gatekeeper-ca-secret', env: 'SIGNGATE_GATEKEEPER_CA_SECRET', value: 'NS/NAME[/KEY]', help: "with --kubernetes: read Gatekeeper's CA from this Secret (key ca.crt), write it to --client-ca, re-read on rotation" },
  { name: 'audit-interval', env: 'SIGNGATE_AUDIT_INTERVAL', value: 'DURATION', help: 'with --kubernetes: verify the images of all running Pods again this often and write PolicyReports (wgpolicyk8s.io/v1alpha2) and Warning Events; e.g. 10m, 30s; 0 or off: no audit', fallback: '10m' },
  { name: 'audit-qps', env: 'SIGNGATE_AUDIT_QPS', value: 'N', help: 'audit verifications started per second at most', fallback: '5' },
  { name: 'audit-lease', env: 'SIGNGATE_AUDIT_LEASE', value: 'NS/NAME', help: 'with several replicas: only the replica holding this coordination.k8s.io Lease audits (identity: the host name, which is the Pod name)', fallback: 'every replica audits' },
  { name: 'crl-cache-dir', env: 'SIGNGATE_CRL_CACHE_DIR', value: 'DIR', help: 'also keep downloaded CRLs here (written atomically, verified again when read) so that a restart does not download them again', fallback: 'memory only' },
  { name: 'revocation-offline', env: 'SIGNGATE_REVOCATION_OFFLINE', value: '[true|false]', boolean: true, help: 'never contact OCSP responders or CRL distribution points: only the CRL files of a Verifier (spec.parameters.revocation.crlFiles) decide, for air-gapped clusters', fallback: 'false' },
  {
    name: 'events-token-file',
    env: 'SIGNGATE_EVENTS_TOKEN_FILE',
    value: 'FILE',
    help: 'accept registry notifications (docker-registry, Harbor) at POST /v1/registry-events with this bearer token (re-read when it changes): a signature pushed or deleted drops the cached verdicts of its image at once, a pushed tag its cached digest',
    fallback: 'off (the route answers 404)',
  },
  {
    name: 'prewarm',
    env: 'SIGNGATE_PREWARM',
    value: 'SCOPE',
    help: 'verify images pushed with a tag into host/repo, or into any repository starting with host/prefix*, in the background under the cluster-wide configuration, so their first admission is a cache hit (repeatable; env: comma-separated; needs --events-token-file)',
    fallback: 'none',
  },
  { name: 'log-level', env: 'SIGNGATE_LOG_LEVEL', value: 'LEVEL', help: 'pino level: fatal, error, warn, info, debug, trace, silent', fallback: 'info' },
];

export const SERVE_HELP = wrapHelp(`usage: signgate serve [options]

Serves the Gatekeeper external data provider: POST /ratify/gatekeeper/v1/verify and /mutate (also /v1/...) over HTTPS (TLS 1.3), with /metrics on a separate plain-HTTP listener. Every option can also be set by its environment variable; the flag wins.

options:
${SERVE_FLAGS.map((f) => {
  const flag = `  --${f.name} ${f.value}`;
  // at least two spaces before the description, which is where wrapHelp continues a wrapped description
  const left = flag.length <= 34 ? flag.padEnd(36) : `${flag}\n${' '.repeat(36)}`;
  return `${left}${f.help}${f.fallback ? ` (default: ${f.fallback})` : ''}\n${' '.repeat(36)}env ${f.env}`;
}).join('\n')}
  --help                            show this help

settings file (--settings): a YAML or JSON mapping, for example a key of a ConfigMap mounted as a volume:
  verifyTimeout: 4900ms   # overrides --verify-timeout
  mutateTimeout: 2s       # overrides --mutate-timeout
Durations need a unit (ms or s), 1ms to 600s; other fields are errors. The flags give the start values; a field in the file overrides its flag, a field removed from the file returns to the flag. The file is watched (its folder, so ConfigMap updates are seen) and re-read on change; each change is logged. A missing or invalid file stops the start; later, an invalid file is logged and the last good values stay.
`);

/** --shared-cache with its password and CA files; the URL is checked here, so a typo stops the start (exit 2). */
function sharedCacheSettings(get: (name: string) => string | undefined): { sharedCache?: SharedCacheSettings } {
  const url = get('shared-cache');
  const passwordFile = get('shared-cache-password-file');
  const caFile = get('shared-cache-ca');
  if (url === undefined) {
    if (passwordFile !== undefined || caFile !== undefined) throw new UsageError('--shared-cache-password-file and --shared-cache-ca need --shared-cache URL');
    return {};
  }
  try {
    parseSharedCacheUrl(url);
  } catch (error) {
    if (error instanceof SharedCacheError) throw new UsageError(error.message);
    throw error;
  }
  return { sharedCache: { url, ...(passwordFile !== undefined ? { passwordFile } : {}), ...(caFile !== undefined ? { caFile } : {}) } };
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
