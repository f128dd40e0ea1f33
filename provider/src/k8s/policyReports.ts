/**
 * The PolicyReport writer of the audit: one `wgpolicyk8s.io/v1alpha2` PolicyReport per namespace (the format of the
 * Policy working group, read by Kyverno's tools and policy-reporter), named `signgate-images` and labelled
 * `app.kubernetes.io/managed-by: signgate`, with one result per Pod container image. Reports are created, replaced
 * with the resourceVersion they were read at (a conflict is read again and retried once), left alone when nothing
 * changed, and deleted when their namespace has no running Pod left.
 */
import type { KubeClient } from './client.js';
import { KubeError, kubeErrorWhile } from './errors.js';
import type { ContainerKind } from './pods.js';

const POLICY_REPORT_API_VERSION = 'wgpolicyk8s.io/v1alpha2';
export const POLICY_REPORT_NAME = 'signgate-images';
const POLICY_NAME = 'signgate-image-signature';
const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
const COLLECTION = '/apis/wgpolicyk8s.io/v1alpha2';
/** Results per report at most: an object must stay well below etcd's 1.5 MiB; failures and errors are kept first. */
const MAX_RESULTS_PER_REPORT = 1000;
const MAX_MESSAGE_LENGTH = 1024;

/** The audit's finding on one container image of one Pod. */
export interface PodImageResult {
  readonly pod: { readonly namespace: string; readonly name: string; readonly uid: string };
  readonly container: string;
  readonly containerKind: ContainerKind;
  /** The image as the Pod names it. */
  readonly image: string;
  /** The digest verified (`sha256:…`), when one was reached. */
  readonly digest?: string;
  /** pass: verified; fail: a decided failure; error: could not decide. */
  readonly result: 'pass' | 'fail' | 'error';
  /** The error code of a fail or error (a failing report's errorReason, or the item error's code). */
  readonly reason?: string;
  readonly message: string;
  readonly traceID: string;
  /** When the verdict was decided (or, for an error, when it was tried). */
  readonly at: Date;
}

/** A result as the reports hold it now: which Pod container image, and its outcome. */
export interface ReportedResult {
  readonly podUid: string;
  readonly container: string;
  readonly result: PodImageResult['result'];
}

export interface PolicyReportWriter {
  /** Makes the reports match `byNamespace` (every namespace with results; reports of others are deleted). */
  write(byNamespace: ReadonlyMap<string, readonly PodImageResult[]>): Promise<void>;
  /** The results our reports hold now (written by this or an earlier process); throws KubeError. */
  reportedResults(): Promise<readonly ReportedResult[]>;
}

type Json = Record<string, unknown>;

const ORDER = { fail: 0, error: 1, pass: 2 } as const;

/** Plain code-unit order, not the locale's: every replica writes its results in the same order whatever its LANG. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function timestamp(at: Date): { seconds: number; nanos: number } {
  const ms = at.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (((ms % 1000) + 1000) % 1000) * 1_000_000 };
}

function resultOf(r: PodImageResult): Json {
  return {
    source: 'signgate',
    policy: POLICY_NAME,
    rule: 'verify-image-signature',
    category: 'Supply Chain Security',
    result: r.result,
    scored: true,
    message: r.message.length > MAX_MESSAGE_LENGTH ? `${r.message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : r.message,
    resources: [{ apiVersion: 'v1', kind: 'Pod', name: r.pod.name, namespace: r.pod.namespace, uid: r.pod.uid }],
    properties: {
      container: r.container,
      containerType: r.containerKind,
      image: r.image,
      ...(r.digest !== undefined ? { digest: r.digest } : {}),
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      traceID: r.traceID,
    },
    timestamp: timestamp(r.at),
  };
}

/** The report of one namespace (without metadata.resourceVersion). */
function policyReportOf(namespace: string, results: readonly PodImageResult[]): Json {
  const sorted = [...results].sort(
    (a, b) => ORDER[a.result] - ORDER[b.result] || byCodeUnits(a.pod.name, b.pod.name) || byCodeUnits(a.container, b.container),
  );
  const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
  for (const r of results) summary[r.result] += 1;
  return {
    apiVersion: POLICY_REPORT_API_VERSION,
    kind: 'PolicyReport',
    metadata: { name: POLICY_REPORT_NAME, namespace, labels: { [MANAGED_BY_LABEL]: 'signgate' } },
    summary,
    results: sorted.slice(0, MAX_RESULTS_PER_REPORT).map(resultOf),
  };
}

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function itemPath(namespace: string): string {
  return `${COLLECTION}/namespaces/${encodeURIComponent(namespace)}/policyreports/${POLICY_REPORT_NAME}`;
}

function explain(error: unknown, what: string): KubeError {
  const notInstalled = error instanceof KubeError && error.status === 404;
  return kubeErrorWhile(what, error, notInstalled ? '; is the PolicyReport CRD (policyreports.wgpolicyk8s.io, v1alpha2) installed? The chart installs it with audit.policyReportCRD.install=true' : '');
}

/**
 * A report's summary and results as JSON with sorted object keys: the API server answers custom resources with their
 * keys sorted, so only a change of content, not of key order, makes a report differ.
 */
function contentOf(report: Json): string {
  const sorted = (_key: string, value: unknown): unknown =>
    typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : value;
  return JSON.stringify([report.summary, report.results], sorted);
}

interface OurReport {
  readonly resourceVersion: string;
  /** summary and results as JSON: unchanged content is not written again. */
  readonly body: string;
  readonly results: readonly unknown[];
}

/** Our reports now, by namespace. */
async function listOurs(client: KubeClient): Promise<Map<string, OurReport>> {
  const answer = record(await client.request('GET', `${COLLECTION}/policyreports`, { query: { labelSelector: `${MANAGED_BY_LABEL}=signgate` } }));
  const items = answer?.items;
  if (!Array.isArray(items)) throw new KubeError('KUBE_RESPONSE', 'the PolicyReport list has no items');
  const out = new Map<string, OurReport>();
  for (const item of items) {
    const o = record(item);
    const m = record(o?.metadata);
    const labels = record(m?.labels);
    if (!o || !m || m.name !== POLICY_REPORT_NAME || labels?.[MANAGED_BY_LABEL] !== 'signgate') continue;
    if (typeof m.namespace !== 'string' || typeof m.resourceVersion !== 'string') continue;
    out.set(m.namespace, { resourceVersion: m.resourceVersion, body: contentOf(o), results: Array.isArray(o.results) ? o.results : [] });
  }
  return out;
}

export function createPolicyReportWriter(options: { readonly client: KubeClient; readonly onError: (error: KubeError) => void }): PolicyReportWriter {
  const { client } = options;

  /** Replaces the report at `resourceVersion` (read first when unknown); a conflict is read again and retried once. */
  async function replace(namespace: string, report: Json, resourceVersion: string | undefined): Promise<void> {
    const latest = async (): Promise<string> => {
      const rv = record(record(await client.request('GET', itemPath(namespace)))?.metadata)?.resourceVersion;
      if (typeof rv !== 'string') throw new KubeError('KUBE_RESPONSE', `PolicyReport ${namespace}/${POLICY_REPORT_NAME} has no metadata.resourceVersion`);
      return rv;
    };
    const put = (rv: string): Promise<unknown> =>
      client.request('PUT', itemPath(namespace), { body: { ...report, metadata: { ...(report.metadata as Json), resourceVersion: rv } } });
    try {
      await put(resourceVersion ?? (await latest()));
    } catch (error) {
      if (!(error instanceof KubeError) || error.status !== 409) throw error;
      await put(await latest()); // changed since it was read: once more (the next cycle writes anyway)
    }
  }

  async function create(namespace: string, report: Json): Promise<void> {
    try {
      await client.request('POST', `${COLLECTION}/namespaces/${encodeURIComponent(namespace)}/policyreports`, { body: report });
    } catch (error) {
      if (!(error instanceof KubeError) || error.status !== 409) throw error;
      await replace(namespace, report, undefined); // created by another writer meanwhile
    }
  }

  return {
    async reportedResults() {
      let ours: Map<string, OurReport>;
      try {
        ours = await listOurs(client);
      } catch (error) {
        throw explain(error, 'read the PolicyReports written before');
      }
      const out: ReportedResult[] = [];
      for (const { results } of ours.values()) {
        for (const item of results) {
          const r = record(item);
          const resources = r?.resources;
          const podUid = Array.isArray(resources) ? record(resources[0])?.uid : undefined;
          const container = record(r?.properties)?.container;
          const result = r?.result;
          if (typeof podUid !== 'string' || typeof container !== 'string' || (result !== 'pass' && result !== 'fail' && result !== 'error')) continue;
          out.push({ podUid, container, result });
        }
      }
      return out;
    },

    async write(byNamespace) {
      let existing: Map<string, OurReport>;
      try {
        existing = await listOurs(client);
      } catch (error) {
        options.onError(explain(error, 'list the PolicyReports'));
        return;
      }
      for (const [namespace, results] of byNamespace) {
        const report = policyReportOf(namespace, results);
        const old = existing.get(namespace);
        try {
          if (old === undefined) await create(namespace, report);
          else if (old.body !== contentOf(report)) await replace(namespace, report, old.resourceVersion);
        } catch (error) {
          options.onError(explain(error, `write PolicyReport ${namespace}/${POLICY_REPORT_NAME}`));
        }
      }
      for (const namespace of existing.keys()) {
        if (byNamespace.has(namespace)) continue;
        try {
          await client.request('DELETE', itemPath(namespace));
        } catch (error) {
          if (!(error instanceof KubeError && error.status === 404)) options.onError(explain(error, `delete PolicyReport ${namespace}/${POLICY_REPORT_NAME} (no running Pod is left there)`));
        }
      }
    },
  };
}
