/**
 * The flags of `signgate serve` and its help text, in a module that imports nothing but help.ts: `signgate --help`,
 * `verify --help` and `resolve --help` (main.ts) and `serve --help` print them without loading the layers the flags'
 * parsers need (serveArgs.ts imports verify/ and oci/).
 */
import { wrapHelp } from './help.js';

export interface ServeFlag {
  readonly name: string;
  readonly env: string;
  readonly value: string;
  readonly help: string;
  readonly fallback?: string;
  /** A boolean flag: bare, `--name=true|false` or `--name true|false` (booleanFlags.ts). */
  readonly boolean?: true;
}

export const SERVE_FLAGS: readonly ServeFlag[] = [
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
  {
    name: 'shared-cache-key-file',
    env: 'SIGNGATE_SHARED_CACHE_KEY_FILE',
    value: 'FILE',
    help: 'required with --shared-cache: a secret of at least 32 bytes, the same on every replica, that seals each shared verdict (HMAC-SHA256), so that whoever can write to Redis cannot plant one',
  },
  { name: 'tag-cache-size', env: 'SIGNGATE_TAG_CACHE_SIZE', value: 'N', help: 'tag resolutions and referrer lists kept per registry client (TTL: the Store ttl)', fallback: '10000' },
  { name: 'content-cache-bytes', env: 'SIGNGATE_CONTENT_CACHE_BYTES', value: 'N', help: 'bytes of verified manifests and signatures kept', fallback: '67108864' },
  { name: 'drop-tag', env: 'SIGNGATE_DROP_TAG', value: '[true|false]', boolean: true, help: 'mutate answers host/repo@digest instead of host/repo:tag@digest', fallback: 'false' },
  { name: 'dev-host', env: 'SIGNGATE_DEV_HOSTS', value: 'NAME', help: 'extra DNS name or IP in the development certificate (repeatable; env: comma-separated)' },
  { name: 'kubernetes', env: 'SIGNGATE_KUBERNETES', value: '[true|false]', boolean: true, help: 'read config.signgate.dev custom resources through the Kubernetes API (in-cluster or KUBECONFIG) instead of --config', fallback: 'false' },
  { name: 'gatekeeper-ca-secret', env: 'SIGNGATE_GATEKEEPER_CA_SECRET', value: 'NS/NAME[/KEY]', help: "with --kubernetes: read Gatekeeper's CA from this Secret (key ca.crt), write it to --client-ca, re-read on rotation" },
  { name: 'audit-interval', env: 'SIGNGATE_AUDIT_INTERVAL', value: 'DURATION', help: 'with --kubernetes: verify the images of all running Pods again this often and write PolicyReports (wgpolicyk8s.io/v1alpha2) and Warning Events; e.g. 10m, 30s; 0 or off: no audit', fallback: '10m' },
  { name: 'audit-qps', env: 'SIGNGATE_AUDIT_QPS', value: 'N', help: 'audit verifications started per second at most (answers from the verdict cache do not count)', fallback: '5' },
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
