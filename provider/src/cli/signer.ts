/**
 * `signgate signer serve | backfill | status`: the sign-on-push service (see ../signing/README.md). serve listens
 * for registry notifications over HTTPS (or plain HTTP on a loopback address with --insecure-listen, for a registry
 * on the same host), resyncs at start and every --resync-interval; backfill signs a rule's baseline too; status lists
 * each tag's signing state from the registry.
 */
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { ConfigError } from '../config/index.js';
import { fileTokenCheck } from '../events/index.js';
import { KeyError } from '../keys/index.js';
import { parseRepositoryName } from '../oci/index.js';
import {
  createSignerApp,
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_REQUEST_LIMIT,
  loopbackAddress,
  ServerError,
  SignerMetrics,
  startServer,
  type ConnectionLimits,
  type RequestLimitOptions,
  type RunningServer,
} from '../server/index.js';
import { SigningError, type BackfillSummary, type SigningLogEvent, type TagStatus } from '../signing/index.js';
import { exitCodeFor } from './failure.js';
import { UsageError, type CommandIO } from './io.js';
import { parseDuration } from './registryArgs.js';
import { SIGNER_HELP } from './signerHelp.js';
import { watchSigningRules } from './signerReload.js';
import { DEFAULT_LEASE_NAME, startKubernetesSigner } from './signerKubernetes.js';
import { defaultStateDir, setUpSigner, type PluginArgs } from './signerSetup.js';

const OPTIONS = {
  config: { type: 'string', multiple: true },
  'token-file': { type: 'string' },
  'state-dir': { type: 'string' },
  listen: { type: 'string' },
  'insecure-listen': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'headers-timeout': { type: 'string' },
  'request-timeout': { type: 'string' },
  'keep-alive-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-concurrent-requests': { type: 'string' },
  'resync-interval': { type: 'string' },
  concurrency: { type: 'string' },
  'log-level': { type: 'string' },
  'plugin-dir': { type: 'string' },
  'plugin-env': { type: 'string', multiple: true },
  kubernetes: { type: 'boolean' },
  namespace: { type: 'string' },
  'lease-name': { type: 'string' },
  'dry-run': { type: 'boolean' },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(argv: readonly string[]): ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>> {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function positiveInteger(text: string | undefined, flag: string, fallback: number, max = 64): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} must be a whole number from 1 to ${max}, not "${text}"`);
  return n;
}

function durationFlag(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text);
  if (ms === undefined || !Number.isSafeInteger(ms)) throw new UsageError(`${flag} "${text}" is not a whole number of milliseconds or seconds, such as 10s or 500ms`);
  return ms;
}

/** The listener bounds of `signgate serve` (server/connectionLimits.ts, requestLimit.ts), from the same flags. */
function listenerBounds(values: Values): { connectionLimits: ConnectionLimits; requestLimit: RequestLimitOptions } {
  const d = DEFAULT_CONNECTION_LIMITS;
  const requestTimeoutMs = durationFlag(values['request-timeout'], '--request-timeout', d.requestTimeoutMs);
  return {
    connectionLimits: {
      headersTimeoutMs: durationFlag(values['headers-timeout'], '--headers-timeout', d.headersTimeoutMs),
      requestTimeoutMs,
      keepAliveTimeoutMs: durationFlag(values['keep-alive-timeout'], '--keep-alive-timeout', d.keepAliveTimeoutMs),
      maxConnections: positiveInteger(values['max-connections'], '--max-connections', d.maxConnections, 1_000_000),
    },
    requestLimit: {
      ...DEFAULT_REQUEST_LIMIT,
      maxConcurrentRequests: positiveInteger(values['max-concurrent-requests'], '--max-concurrent-requests', DEFAULT_REQUEST_LIMIT.maxConcurrentRequests, 100_000),
      answerTimeoutMs: requestTimeoutMs,
    },
  };
}

function pluginArgsOf(values: Values): PluginArgs {
  return { ...(values['plugin-dir'] === undefined ? {} : { 'plugin-dir': values['plugin-dir'] }), ...(values['plugin-env'] === undefined ? {} : { 'plugin-env': values['plugin-env'] }) };
}

function common(values: Values, env: NodeJS.ProcessEnv): { configPaths: string[]; stateDir: string; plugins: PluginArgs } {
  if (!values.config || values.config.length === 0) throw new UsageError('--config PATH is required: the files or folders with the SigningRules');
  return { configPaths: values.config, stateDir: values['state-dir'] ?? defaultStateDir(env), plugins: pluginArgsOf(values) };
}

/** `--kubernetes` takes its rules, baselines and leadership from the cluster: none of the file-mode flags. */
function checkMode(values: Values): boolean {
  const kubernetes = values.kubernetes === true;
  if (kubernetes && (values.config !== undefined || values['state-dir'] !== undefined)) {
    throw new UsageError('--kubernetes reads the SigningRules from the cluster and keeps baselines in ConfigMaps: it takes no --config or --state-dir');
  }
  if (!kubernetes && (values.namespace !== undefined || values['lease-name'] !== undefined)) throw new UsageError('--namespace and --lease-name apply only with --kubernetes');
  return kubernetes;
}

function logTo(logger: Logger): (event: SigningLogEvent) => void {
  return ({ level, msg, ...rest }) => logger[level](rest, msg);
}

async function serve(values: Values, io: CommandIO, env: NodeJS.ProcessEnv): Promise<number> {
  const kubernetes = checkMode(values);
  const { configPaths, stateDir, plugins } = kubernetes ? { configPaths: [], stateDir: '', plugins: pluginArgsOf(values) } : common(values, env);
  if (!values['token-file']) throw new UsageError('--token-file FILE is required: the bearer token registries send with their notifications');
  const resyncMs = values['resync-interval'] === undefined ? 600_000 : parseDuration(values['resync-interval']);
  if (resyncMs === undefined || resyncMs < 1000) throw new UsageError(`--resync-interval "${values['resync-interval'] ?? ''}" is not a duration of at least 1s, such as 10m`);
  const insecure = values['insecure-listen'];
  if (insecure !== undefined) loopbackAddress(insecure, '--insecure-listen');
  if (insecure !== undefined && (values.listen !== undefined || values['tls-cert'] !== undefined || values['tls-key'] !== undefined)) {
    throw new UsageError('--insecure-listen serves plain HTTP: it takes no --listen, --tls-cert or --tls-key; give either --insecure-listen or --listen with TLS');
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together: give both, or neither for a development certificate');
  const bounds = listenerBounds(values);
  const logger = pino({ level: values['log-level'] ?? 'info', base: { service: 'signgate-signer' } }, pino.destination({ dest: 1, sync: false }));
  const metrics = new SignerMetrics();
  const clock = (): Date => new Date();
  const signing = { env, plugins, clock, log: logTo(logger), metrics, concurrency: positiveInteger(values.concurrency, '--concurrency', 4), keyTimeoutMs: 30_000 };
  const kube = kubernetes ? await startKubernetesSigner({ ...signing, namespace: values.namespace, leaseName: values['lease-name'] ?? DEFAULT_LEASE_NAME }) : undefined;
  const setup = kube === undefined ? await setUpSigner({ ...signing, configPaths, stateDir }) : undefined;
  const service = kube?.service ?? (setup as NonNullable<typeof setup>).service;
  const close = async (): Promise<void> => {
    await kube?.close();
    await setup?.close();
  };
  const app = createSignerApp({ service, tokens: fileTokenCheck(values['token-file']), logger, metrics, requestLimit: bounds.requestLimit, ...(kube === undefined ? {} : { standby: () => kube.standby() }) });
  let running: RunningServer;
  try {
    running = await startServer({
      handler: app.callback(),
      address: insecure ?? values.listen ?? '0.0.0.0:6443',
      ...(insecure !== undefined ? { plainHttp: true } : {}),
      ...(values['tls-cert'] !== undefined && values['tls-key'] !== undefined ? { tls: { certFile: values['tls-cert'], keyFile: values['tls-key'] } } : {}),
      connectionLimits: bounds.connectionLimits,
      logger,
      clock,
    });
  } catch (err) {
    await close();
    throw err;
  }
  const { url } = running;
  const keys = { plugins, env, clock, keyTimeoutMs: 30_000 };
  const ruleWatch = setup === undefined ? undefined : await watchSigningRules({ configPaths, service: setup.service, resources: setup.resources, configured: setup.configured, keys, logger });
  const rules = kube?.rules() ?? setup?.rules ?? [];
  logger.info({ url, rules: rules.map((r) => r.name), ...(kube === undefined ? {} : { identity: kube.identity, leader: kube.isLeader() }) }, 'signer listening');
  io.stderr.write(`signgate signer: listening on ${url}, ${rules.length} SigningRule(s)${kube === undefined ? '' : ` from the cluster, ${kube.isLeader() ? 'leader' : 'standby'}`}\n`);
  // only the Lease holder resyncs; a replica that becomes leader resyncs at once (signerKubernetes.ts)
  const resync = (): void => {
    if (kube === undefined || kube.isLeader()) void service.resync();
  };
  resync();
  const timer = setInterval(resync, resyncMs);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'signer stopping');
  clearInterval(timer);
  await running.close();
  await ruleWatch?.close();
  await close();
  return 0;
}

function summaryText(s: BackfillSummary, dryRun: boolean): string {
  const lines = [
    `backfill ${s.rule}: ${s.total} tags; ${dryRun ? `${s.wouldSign} would be signed` : `${s.signed} signed`}, ${s.covered} already signed, ${s.skipped} skipped, ${s.failed.length} failed`,
    ...s.failed.map((f) => `  failed ${f.image}: ${f.reason}`),
  ];
  return `${lines.join('\n')}\n`;
}

async function backfill(values: Values, positionals: readonly string[], io: CommandIO, env: NodeJS.ProcessEnv): Promise<number> {
  const [name] = positionals;
  if (name === undefined || positionals.length !== 1) throw new UsageError('expected exactly one SigningRule name, e.g. signgate signer backfill team-a --config rules/');
  const { configPaths, stateDir, plugins } = common(values, env);
  const dryRun = values['dry-run'] === true;
  const setup = await setUpSigner({ configPaths, stateDir, plugins, env, clock: () => new Date(), log: () => undefined, only: (r) => r.name === name && r.enabled, concurrency: positiveInteger(values.concurrency, '--concurrency', 4), keyTimeoutMs: 30_000 });
  try {
    if (setup.rules.length === 0) {
      const disabled = setup.configured.some((r) => r.name === name);
      const problem = disabled ? `SigningRule "${name}" is disabled (spec.enabled: false); enable it to backfill` : `no SigningRule "${name}" in ${configPaths.join(', ')}; the rules are: ${setup.configured.map((r) => r.name).join(', ')}`;
      throw new SigningError('RULE_NOT_FOUND', problem);
    }
    const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
    const summary = await setup.service.backfill(name, {
      dryRun,
      onProgress: (done, total) => {
        if (tty) io.stderr.write(`\r${name}: [${'#'.repeat(Math.round((done / total) * 30)).padEnd(30)}] ${done}/${total}${done === total ? '\n' : ''}`);
      },
    });
    io.stdout.write(summaryText(summary, dryRun));
    return summary.failed.length > 0 ? 1 : 0;
  } finally {
    await setup.close();
  }
}

function statusTable(rows: readonly TagStatus[]): string {
  const cells = rows.map((r) => [`${r.repository}:${r.tag}`, r.digest ?? '-', r.state, r.state === 'signed' ? `${r.rule} ${r.thumbprint ?? ''}`.trim() : (r.reason ?? '')]);
  const head = ['TAG', 'DIGEST', 'STATE', 'DETAIL'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  return [head, ...cells].map((c) => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

async function status(values: Values, positionals: readonly string[], io: CommandIO, env: NodeJS.ProcessEnv): Promise<number> {
  const [scope] = positionals;
  if (scope === undefined || positionals.length !== 1) throw new UsageError('expected exactly one REGISTRY/NAMESPACE[/REPO], e.g. signgate signer status registry.example.com/team-a --config rules/');
  if (values.output !== undefined && values.output !== 'json') throw new UsageError(`--output must be json, not "${values.output}"`);
  const { registry, repository } = parseRepositoryName(scope);
  const { configPaths, stateDir, plugins } = common(values, env);
  const setup = await setUpSigner({ configPaths, stateDir, plugins, env, clock: () => new Date(), log: () => undefined, only: () => true, concurrency: 4, keyTimeoutMs: 30_000 });
  try {
    const rows = await setup.service.status(registry, repository);
    io.stdout.write(values.output === 'json' ? `${JSON.stringify({ scope: `${registry}/${repository}`, tags: rows }, null, 2)}\n` : statusTable(rows));
    return 0;
  } finally {
    await setup.close();
  }
}

/** `signgate signer SUB ...`. */
export async function signerCommand(argv: readonly string[], io: CommandIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    const { values, positionals } = parse(rest);
    if (values.help === true || sub === undefined || sub === '--help' || sub === '-h') {
      (sub === undefined ? io.stderr : io.stdout).write(SIGNER_HELP);
      return sub === undefined ? 2 : 0;
    }
    if (sub === 'serve') {
      if (positionals.length > 0) throw new UsageError(`signer serve takes no arguments, got "${positionals[0] ?? ''}"`);
      return await serve(values, io, env);
    }
    if (values.kubernetes === true || values.namespace !== undefined || values['lease-name'] !== undefined) {
      throw new UsageError(`--kubernetes, --namespace and --lease-name apply to signer serve only; ${sub} reads rule files (--config)`);
    }
    if (sub === 'backfill') return await backfill(values, positionals, io, env);
    if (sub === 'status') return await status(values, positionals, io, env);
    throw new UsageError(`unknown sub-command "${sub}"; one of serve, backfill, status`);
  } catch (err) {
    io.stderr.write(`signgate signer${sub === undefined ? '' : ` ${sub}`}: ${(err as Error).message}\n`);
    const usage = err instanceof ConfigError || err instanceof UsageError || (err instanceof SigningError && err.code === 'RULE_NOT_FOUND') || (err instanceof ServerError && err.code === 'SETTINGS_INVALID');
    if (usage) return 2;
    return err instanceof KeyError ? (err.isConfiguration ? 2 : 3) : exitCodeFor(err);
  }
}
