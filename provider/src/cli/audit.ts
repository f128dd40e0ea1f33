/**
 * The audit's wiring (`signgate serve --kubernetes`, `--audit-interval`, `--audit-qps`): k8s/'s Pod watch,
 * PolicyReport writer and Pod Event recorder handed to verify/'s audit loop, with the provider's executor, the current
 * configuration, the wall clock and the audit metrics. The first cycle runs once the Pods are listed (never on an
 * empty list that would delete every report). With a Lease (`--audit-lease`) only the replica holding it audits: the
 * audit starts when this replica takes the Lease and stops when it loses it (every replica keeps the Pods listed, so
 * a new leader starts at once); without one every replica audits.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ConfigSource } from '../config/types.js';
import type { KubeClient, KubeError } from '../k8s/index.js';
import { AuditMetrics, type ProviderMetrics } from '../server/index.js';
import { startAudit, type Audit, type AuditResult, type ProviderExecutor } from '../verify/index.js';

type K8s = typeof import('../k8s/index.js');

export interface PodAuditOptions {
  /** k8s/, loaded by serve.ts only with --kubernetes. */
  readonly k8s: K8s;
  readonly client: KubeClient;
  readonly executor: ProviderExecutor;
  readonly configSource: ConfigSource;
  readonly intervalMs: number;
  readonly qps: number;
  readonly clock: () => Date;
  readonly logger: Logger;
  readonly metrics: ProviderMetrics;
  readonly lease?: { readonly namespace: string; readonly name: string };
}

export interface RunningAudit {
  close(): Promise<void>;
}

/** What `kubectl describe pod` shows when an image that passed fails now. */
function transitionMessage(r: AuditResult, reportName: string): string {
  const why = r.reason !== undefined ? `${r.reason}: ${r.message}` : r.message;
  return (
    `image ${r.image} (${r.digest ?? 'digest not resolved'}) of container ${r.container} passed signature verification before and fails now: ${why} ` +
    `(traceID ${r.traceID}). The Pod keeps running: sign the image again or restore its trust, or replace the Pod; ` +
    `kubectl get policyreport ${reportName} -n ${r.pod.namespace} -o yaml lists every result`
  );
}

export function startPodAudit(options: PodAuditOptions): RunningAudit {
  const { k8s, client, logger, clock } = options;
  const auditMetrics = new AuditMetrics(options.metrics.registry);
  const warn = (e: KubeError): void => logger.warn({ code: e.code, audit: true }, e.message);
  let audit: Audit | undefined;
  let closed = false;
  let synced = false;
  let leading = options.lease === undefined;
  const pods = k8s.watchRunningPods({ client, onChange: () => audit?.changed(), onError: warn });
  const reports = k8s.createPolicyReportWriter({ client, onError: warn });
  const recorder = k8s.createPodEventRecorder({ client, component: 'signgate', instance: hostname() });
  const unsubscribe = options.configSource.subscribe(() => audit?.changed());

  const begin = (): void => {
    if (closed || !synced || !leading || audit !== undefined) return;
    audit = startAudit({
      pods: () => pods.pods(),
      config: () => options.configSource.current(),
      executor: options.executor,
      intervalMs: options.intervalMs,
      qps: options.qps,
      clock,
      sleep: k8s.defaultSleep,
      traceID: () => randomUUID(),
      sinks: {
        writeReports: (byNamespace) => reports.write(byNamespace),
        reportedResults: () => reports.reportedResults(),
        async imageFailed(r) {
          const message = transitionMessage(r, k8s.POLICY_REPORT_NAME);
          logger.warn({ audit: true, namespace: r.pod.namespace, pod: r.pod.name, container: r.container, image: r.image, digest: r.digest, reason: r.reason, traceID: r.traceID }, message);
          await recorder.warning(r.pod, 'ImageVerificationFailed', message, clock());
        },
      },
      events: {
        transition: (from, to) => auditMetrics.transition(from, to),
        cycle: (c) => {
          auditMetrics.cycle(c, clock());
          logger.info({ audit: true, seconds: c.seconds, verified: c.verified, pods: c.pods, ...c.results }, 'audit cycle done');
        },
        problem: (e) => logger.warn({ audit: true, code: (e as { code?: unknown }).code }, `audit: ${(e as Error).message}`),
      },
    });
  };
  let stopping: Promise<void> = Promise.resolve();
  const end = (): void => {
    const running = audit;
    audit = undefined;
    if (running !== undefined) stopping = stopping.then(() => running.close());
  };
  const elector =
    options.lease === undefined
      ? undefined
      : k8s.createLeaseElector({
          client,
          namespace: options.lease.namespace,
          name: options.lease.name,
          identity: hostname(),
          clock,
          onError: warn,
          onLeadership: (now) => {
            leading = now;
            const lease = `${options.lease?.namespace ?? ''}/${options.lease?.name ?? ''}`;
            logger.info({ audit: true, lease, leading: now }, now ? `audit: this replica holds Lease ${lease} and audits` : `audit: Lease ${lease} lost; another replica audits`);
            if (now) begin();
            else end();
          },
        });
  elector?.start();
  const starting = (async () => {
    while (!closed && !(await pods.waitForSync(60_000))) logger.warn({ audit: true }, 'audit: the running Pods are not listed yet (see the kubernetes lines); no PolicyReport is written until they are');
    synced = !closed;
    begin();
  })();

  return {
    async close() {
      closed = true;
      unsubscribe();
      await pods.close(); // ends a wait for the first list
      await starting;
      end();
      await stopping;
      await elector?.stop(); // releases the Lease: a standby takes over at its next look
    },
  };
}
