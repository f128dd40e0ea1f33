/**
 * `signgate signer serve --kubernetes`: the SigningRules are custom resources (k8s/signingRules.ts), baselines live in
 * ConfigMaps (k8s/baselineConfigMap.ts), and replicas elect one leader on a Lease (k8s/lease.ts). Only the leader
 * signs: it answers registry events (a standby answers 503), resyncs, writes the rules' status and finalizers, and
 * carries the Pod label the chart's Service selects. A replica that becomes leader resyncs at once, so the tags
 * pushed while no one led are signed. Wired here because signing/ never imports k8s/: the service gets the
 * ConfigMap store as its BaselineStore, and the Lease only decides who calls it.
 */
import { hostname } from 'node:os';
import type { SigningRuleConfig } from '../config/index.js';
import { configMapBaselineStore, createLeaseElector, defaultKubeClient, startSigningRuleController, type KubeClient, type LeaseElector, type SigningRuleController } from '../k8s/index.js';
import type { SigningLogEvent, SigningMetrics, SigningService } from '../signing/index.js';
import { UsageError } from './io.js';
import { RuleResources, signingServiceOf, type PluginArgs } from './signerSetup.js';

/** The Lease of the signers (the chart names it after the release: --lease-name). */
export const DEFAULT_LEASE_NAME = 'signgate-signer';

export interface KubernetesSignerOptions {
  /** --namespace, else POD_NAMESPACE (downward API). */
  readonly namespace: string | undefined;
  readonly leaseName: string;
  readonly env: NodeJS.ProcessEnv;
  readonly plugins: PluginArgs;
  readonly clock: () => Date;
  readonly log: (event: SigningLogEvent) => void;
  readonly metrics?: SigningMetrics;
  readonly concurrency: number;
  readonly keyTimeoutMs: number;
  /** Default: the in-cluster ServiceAccount or KUBECONFIG. */
  readonly client?: KubeClient;
  /** Lease timing and status refresh (tests shorten them). */
  readonly leaseTiming?: Parameters<typeof createLeaseElector>[0]['timing'];
  readonly statusIntervalMs?: number;
}

export interface KubernetesSigner {
  readonly service: SigningService;
  readonly identity: string;
  isLeader(): boolean;
  /** Why this replica takes no events (it is a standby), or undefined when it leads. */
  standby(): string | undefined;
  rules(): readonly SigningRuleConfig[];
  /** Stops leading (the Lease is released and the Pod label removed), the watches, and closes the keys. */
  close(): Promise<void>;
}

const same = (a: SigningRuleConfig, b: SigningRuleConfig): boolean => JSON.stringify(a) === JSON.stringify(b);

export async function startKubernetesSigner(options: KubernetesSignerOptions): Promise<KubernetesSigner> {
  const { env, clock, log } = options;
  const namespace = options.namespace ?? env['POD_NAMESPACE'];
  if (namespace === undefined || namespace === '') {
    throw new UsageError('--kubernetes needs the signer\'s namespace (its Lease, baseline ConfigMaps and key Secrets): give --namespace NS, or set POD_NAMESPACE from the downward API');
  }
  const podName = env['POD_NAME'];
  const identity = podName !== undefined && podName !== '' ? podName : hostname();
  const client = options.client ?? defaultKubeClient();
  const logAs = (level: SigningLogEvent['level'], msg: string, rule?: string): void => log({ level, msg, ...(rule === undefined ? {} : { rule }) });

  const resources = new RuleResources({
    plugins: options.plugins,
    env,
    clock,
    keyTimeoutMs: options.keyTimeoutMs,
    // called only once the controller below has listed the rules
    readKeySecret: (name, entries) => controller.readKeySecret(name, entries),
  });
  const baselines = configMapBaselineStore({ client, namespace, labels: { 'app.kubernetes.io/name': 'signgate', 'app.kubernetes.io/component': 'signer' } });
  const service = signingServiceOf([], resources, baselines, options);
  const election: { elector?: LeaseElector } = {};
  const leading = (): boolean => election.elector?.isLeader() === true;
  let versions = new Map<string, string>();

  /** The rules in effect changed: drop the changed ones, (re)open keys, swap the set in; see signerReload.ts for files. */
  async function applyRules(rules: readonly SigningRuleConfig[], secretVersions: ReadonlyMap<string, string>): Promise<ReadonlyMap<string, Error>> {
    const rotated = new Set(rules.filter((r) => versions.has(r.name) && versions.get(r.name) !== secretVersions.get(r.name)).map((r) => r.name));
    versions = new Map(secretVersions);
    service.replaceRules(service.rules.filter((o) => !rotated.has(o.name) && rules.some((r) => same(o, r))));
    // a rotated key Secret: the rule's key is closed first, so that the second update opens it again
    if (rotated.size > 0) await resources.update(rules.filter((r) => !rotated.has(r.name)));
    const { usable, failed } = await resources.update(rules);
    for (const [name, error] of failed) logAs('error', `SigningRule ${name} signs nothing: its key cannot be opened (${error.message})`, name);
    service.replaceRules(usable);
    logAs('info', `SigningRules in effect: ${usable.map((r) => r.name).join(', ') || '(none)'}`);
    if (leading()) void service.resync();
    return failed;
  }

  const controller: SigningRuleController = startSigningRuleController({
    client,
    namespace,
    isLeader: leading,
    applyRules,
    counts: () => service.ruleStatuses(),
    removeSignatures: async (rule) => {
      const s = await service.removeSignatures(rule);
      return `removed ${s.removed.length} of its signatures from ${s.scope} (${s.images} images, ${s.kept} signatures of other signers kept)`;
    },
    clock,
    log: logAs,
    ...(options.statusIntervalMs === undefined ? {} : { statusIntervalMs: options.statusIntervalMs }),
  });
  // a timer that holds the process: the informers' own timers do not, and nothing else runs before the listener
  let hold: NodeJS.Timeout | undefined;
  const synced = await Promise.race([controller.waitForSync(10_000), new Promise<false>((resolve) => (hold = setTimeout(resolve, 10_000, false)))]);
  clearTimeout(hold);
  if (!synced) logAs('warn', 'the SigningRules could not be listed yet; the signer keeps trying (see the errors above) and signs once they are');
  const elector = createLeaseElector({
    client,
    namespace,
    name: options.leaseName,
    identity,
    ...(podName !== undefined && podName !== '' ? { pod: { namespace, name: podName } } : {}),
    clock,
    ...(options.leaseTiming === undefined ? {} : { timing: options.leaseTiming }),
    onLeadership: (isLeader) => {
      logAs(isLeader ? 'info' : 'warn', isLeader ? `${identity} leads (Lease ${namespace}/${options.leaseName}): resyncing` : `${identity} no longer leads (Lease ${namespace}/${options.leaseName}): standby`);
      if (!isLeader) return;
      void controller.reconcile();
      void service.resync();
    },
    onError: (error) => logAs('warn', error.message),
  });
  election.elector = elector;
  elector.start();
  return {
    service,
    identity,
    isLeader: leading,
    standby: () => (leading() ? undefined : `${identity} does not hold the Lease ${namespace}/${options.leaseName}`),
    rules: () => controller.rules(),
    async close() {
      await elector.stop();
      await controller.close();
      await resources.close();
    },
  };
}
