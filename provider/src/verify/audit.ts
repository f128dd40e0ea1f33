/**
 * The audit: admission is a moment, trust changes. Every `intervalMs` the images of the running Pods are verified again
 * against the current configuration, through the provider's executor (its verdict cache is honoured, but no verdict
 * older than the interval is used), at most `qps` verifications per second (an answer from the cache gives its slot
 * back: the bound is on the registries' load); each distinct image is verified once per
 * configuration scope (a namespace with its own configuration, or the cluster-wide one). The results go to the
 * reports (one result per Pod container image), and an image of a Pod that passed and now fails is reported as a
 * transition (the Kubernetes Event). A change of Pods or configuration starts a cycle soon (after `settleMs`) that
 * verifies only what the last cycle did not decide under the current configuration.
 *
 * Kubernetes is not known here: Pods come in, reports and events go out, through the small interfaces below that
 * cli/ wires to k8s/. No wall clock, no timers of its own: `clock` and `sleep` are parameters.
 */
import { formatReference, OciError, parseReference } from '../oci/index.js';
import type { Config } from '../config/types.js';
import { scopeNameOf, type ItemResult, type ProviderExecutor } from './provider.js';
import type { Verdict } from './verdict.js';

export type ContainerKind = 'container' | 'initContainer' | 'ephemeralContainer';

export interface AuditPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly images: readonly {
    readonly container: string;
    readonly kind: ContainerKind;
    /** As the Pod spec names it. */
    readonly image: string;
    /** `sha256:…` the container runs (from its status), when known: preferred over resolving the spec's tag. */
    readonly imageDigest?: string;
  }[];
}

/** pass: verified; fail: a decided failure; error: could not decide (never a pass). */
export type AuditOutcome = 'pass' | 'fail' | 'error';

export interface AuditResult {
  readonly pod: { readonly namespace: string; readonly name: string; readonly uid: string };
  readonly container: string;
  readonly containerKind: ContainerKind;
  readonly image: string;
  readonly digest?: string;
  readonly result: AuditOutcome;
  /** The error code of a fail (the failing report's errorReason) or an error (the item error's code). */
  readonly reason?: string;
  readonly message: string;
  readonly traceID: string;
  /** When the verdict was decided (for an error: when it was tried). */
  readonly at: Date;
}

export interface AuditSinks {
  /** Every result of a cycle, by namespace; a namespace without running Pods is absent. */
  writeReports(byNamespace: ReadonlyMap<string, readonly AuditResult[]>): Promise<void>;
  /** A Pod's image that passed in the last cycle fails now. */
  imageFailed(result: AuditResult): Promise<void>;
  /**
   * The outcomes the reports hold from before this audit started (another replica, an earlier process): read once,
   * at the first cycle, so a change across a restart or a change of leader is still a transition.
   */
  reportedResults?(): Promise<readonly { readonly podUid: string; readonly container: string; readonly result: AuditOutcome }[]>;
}

export interface AuditCycle {
  readonly seconds: number;
  /** Executor calls made (distinct images not reused from the last cycle). */
  readonly verified: number;
  readonly pods: number;
  readonly results: Readonly<Record<AuditOutcome, number>>;
}

export interface AuditEvents {
  transition?(from: AuditOutcome, to: AuditOutcome): void;
  cycle?(cycle: AuditCycle): void;
  /** A report or event could not be written, or a cycle failed; the audit goes on. */
  problem?(error: unknown): void;
}

export interface AuditOptions {
  readonly pods: () => readonly AuditPod[];
  readonly config: () => Config | undefined;
  readonly executor: Pick<ProviderExecutor, 'verify'>;
  readonly sinks: AuditSinks;
  readonly intervalMs: number;
  /** Verifications started per second at most. */
  readonly qps: number;
  readonly clock: () => Date;
  /** Waits `ms`, or less when `signal` aborts; never rejects. */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly traceID: () => string;
  readonly events?: AuditEvents;
  /** Verifications in flight at most (default 4). */
  readonly concurrency?: number;
  /** Delay between a change of Pods or configuration and the cycle it starts (default 1,000 ms). */
  readonly settleMs?: number;
}

export interface AuditCycles {
  /**
   * One cycle: `full` verifies every image again (a scheduled cycle), else only what the last cycle did not decide
   * under the current configuration. Undefined when no configuration is loaded (nothing is written then) or `signal`
   * aborted it.
   */
  runCycle(full: boolean, signal?: AbortSignal): Promise<AuditCycle | undefined>;
}

export interface Audit {
  /** Pods or configuration changed: a cycle follows soon. */
  changed(): void;
  close(): Promise<void>;
}

/** What a verification found, shared by every Pod container running that image in that scope. */
type Finding = Omit<AuditResult, 'pod' | 'container' | 'containerKind' | 'image'>;

interface Decided {
  readonly finding: Finding;
  /** The configuration generation it was decided under. */
  readonly generation: number;
}

interface Planned {
  readonly pod: AuditPod;
  readonly image: AuditPod['images'][number];
  /** Scope and reference of the verification, or why the image cannot be verified. */
  readonly target: { readonly scoped: string; readonly key: string } | { readonly invalid: string };
}

/** The reference verified for an image: its repository at the digest the container runs, or the spec's reference. */
function targetOf(config: Config, pod: AuditPod, image: AuditPod['images'][number]): Planned['target'] {
  let reference;
  try {
    reference = parseReference(image.image);
  } catch (error) {
    if (!(error instanceof OciError)) throw error;
    return { invalid: `the image "${image.image.slice(0, 200)}" of container ${image.container} cannot be verified: ${error.message}; correct the Pod's image` };
  }
  const ref = formatReference(image.imageDigest !== undefined ? { registry: reference.registry, repository: reference.repository, digest: image.imageDigest } : reference);
  return { scoped: `${scopeNameOf(config, pod.namespace)}\u0000${ref}`, key: `[${pod.namespace}]${ref}` };
}

function deciding(verdict: Verdict): Verdict['verifierReports'][number] | undefined {
  return verdict.verifierReports.find((r) => r.isSuccess === verdict.isSuccess) ?? verdict.verifierReports[0];
}

/** The digest of a canonical `host/repo@digest` subject; undefined for a tag or anything unparsable. */
function digestOf(subject: string | undefined): string | undefined {
  if (subject === undefined) return undefined;
  try {
    return parseReference(subject).digest;
  } catch {
    return undefined;
  }
}

function decidedOf(answer: ItemResult<Verdict>, generation: number, traceID: string, tried: Date): Decided {
  if ('error' in answer) {
    const digest = digestOf(answer.subject);
    return { finding: { result: 'error', ...(answer.code !== undefined ? { reason: answer.code } : {}), ...(digest !== undefined ? { digest } : {}), message: answer.error, traceID, at: tried }, generation };
  }
  const verdict = answer.value;
  const report = deciding(verdict);
  const digest = digestOf(report?.subject);
  const finding: Finding = {
    result: verdict.isSuccess ? 'pass' : 'fail',
    ...(!verdict.isSuccess && report !== undefined && report.errorReason !== '' ? { reason: report.errorReason } : {}),
    ...(digest !== undefined ? { digest } : {}),
    message: report?.message ?? (verdict.isSuccess ? 'verified' : 'not verified'),
    traceID: verdict.traceID,
    at: new Date(Date.parse(verdict.timestamp)),
  };
  return { finding, generation };
}

/** The cycles, without a schedule (tests drive them one by one). */
export function createAudit(options: AuditOptions): AuditCycles {
  const { clock, sleep, events = {} } = options;
  if (!(options.qps > 0) || !(options.intervalMs > 0)) throw new RangeError(`audit qps and interval must be positive, got ${options.qps} and ${options.intervalMs}`);
  const concurrency = options.concurrency ?? 4;
  /** The last cycle's decision per verification target, and outcome per Pod container (uid, container). */
  let decided = new Map<string, Decided>();
  let outcomes = new Map<string, AuditOutcome>();
  /** When the next verification may start: kept across cycles, so back-to-back cycles share the qps bound. */
  let nextSlot = Number.NEGATIVE_INFINITY;
  let seeded = options.sinks.reportedResults === undefined;

  /** Verifies `targets` (scoped -> key), starting at most qps per second, `concurrency` at once. */
  async function verifyAll(config: Config, targets: ReadonlyMap<string, string>, signal: AbortSignal): Promise<Map<string, Decided>> {
    const queue = [...targets];
    const out = new Map<string, Decided>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < queue.length && !signal.aborted) {
        const [scoped, key] = queue[next++] as [string, string];
        const slot = Math.max(nextSlot, clock().getTime());
        nextSlot = slot + 1000 / options.qps;
        const wait = slot - clock().getTime();
        if (wait > 0) await sleep(wait, signal);
        if (signal.aborted) return;
        const tried = clock();
        const traceID = options.traceID();
        const answer = await options.executor.verify(key, { config, traceID, maxAgeMs: options.intervalMs });
        // a verdict the cache answered cost the registries nothing: its slot goes to the next image (never banked)
        if ('value' in answer && answer.cacheHit === true) nextSlot = Math.max(clock().getTime(), nextSlot - 1000 / options.qps);
        out.set(scoped, decidedOf(answer, config.generation, traceID, tried));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    return out;
  }

  async function transitions(results: readonly AuditResult[]): Promise<void> {
    const now = new Map<string, AuditOutcome>();
    for (const r of results) {
      const id = `${r.pod.uid}\u0000${r.container}`;
      now.set(id, r.result);
      const before = outcomes.get(id);
      if (before === undefined || before === r.result) continue;
      events.transition?.(before, r.result);
      if (before === 'pass' && r.result === 'fail') await options.sinks.imageFailed(r).catch((e: unknown) => events.problem?.(e));
    }
    outcomes = now;
  }

  async function runCycle(full: boolean, signal: AbortSignal = new AbortController().signal): Promise<AuditCycle | undefined> {
    const config = options.config();
    if (config === undefined) return undefined; // nothing to verify against yet: no report rather than all errors
    const started = clock().getTime();
    const pods = options.pods();
    const planned: Planned[] = pods.flatMap((pod) => pod.images.map((image) => ({ pod, image, target: targetOf(config, pod, image) })));
    const targets = new Map<string, string>();
    for (const { target } of planned) {
      if (!('key' in target) || targets.has(target.scoped)) continue;
      const last = decided.get(target.scoped);
      if (full || last === undefined || last.generation !== config.generation) targets.set(target.scoped, target.key);
    }
    const fresh = await verifyAll(config, targets, signal);
    if (signal.aborted) return undefined;
    const byNamespace = new Map<string, AuditResult[]>();
    const results: AuditResult[] = [];
    const kept = new Map<string, Decided>();
    for (const { pod, image, target } of planned) {
      const base = { pod: { namespace: pod.namespace, name: pod.name, uid: pod.uid }, container: image.container, containerKind: image.kind, image: image.image };
      let result: AuditResult;
      if ('invalid' in target) {
        result = { ...base, result: 'error', reason: 'KEY_INVALID', message: target.invalid, traceID: '', at: new Date(started) };
      } else {
        const d = fresh.get(target.scoped) ?? decided.get(target.scoped);
        if (d === undefined) continue; // cannot happen: every target not decided before was verified above
        kept.set(target.scoped, d);
        result = { ...base, ...d.finding };
      }
      results.push(result);
      const inNamespace = byNamespace.get(pod.namespace);
      if (inNamespace) inNamespace.push(result);
      else byNamespace.set(pod.namespace, [result]);
    }
    decided = kept;
    if (!seeded) {
      seeded = true; // once: a report that cannot be read now is no reason to read it every cycle
      try {
        for (const r of await (options.sinks.reportedResults?.() ?? [])) outcomes.set(`${r.podUid}\u0000${r.container}`, r.result);
      } catch (error) {
        events.problem?.(error);
      }
    }
    await options.sinks.writeReports(byNamespace).catch((e: unknown) => events.problem?.(e));
    await transitions(results);
    const counts = { pass: 0, fail: 0, error: 0 };
    for (const r of results) counts[r.result] += 1;
    const cycle = { seconds: (clock().getTime() - started) / 1000, verified: fresh.size, pods: pods.length, results: counts };
    events.cycle?.(cycle);
    return cycle;
  }

  return { runCycle };
}

/** Cycles every `intervalMs` (the first at once), and `settleMs` after each change, until closed. */
export function startAudit(options: AuditOptions): Audit {
  const { clock, sleep, events = {} } = options;
  const cycles = createAudit(options);
  const settleMs = options.settleMs ?? 1000;
  const closing = new AbortController();
  let wake = new AbortController();
  let pending = false;

  async function loop(): Promise<void> {
    let dueAt = clock().getTime();
    while (!closing.signal.aborted) {
      const full = clock().getTime() >= dueAt;
      if (full) dueAt = clock().getTime() + options.intervalMs;
      pending = false;
      try {
        await cycles.runCycle(full, closing.signal);
      } catch (error) {
        events.problem?.(error);
      }
      if (!pending) {
        wake = new AbortController();
        await sleep(dueAt - clock().getTime(), AbortSignal.any([closing.signal, wake.signal]));
      }
      if (pending) await sleep(settleMs, closing.signal);
    }
  }

  const running = loop();
  return {
    changed() {
      pending = true;
      wake.abort();
    },
    async close() {
      closing.abort();
      await running;
    },
  };
}
