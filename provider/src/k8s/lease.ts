/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's `tools/leaderelection` semantics: one holder at a
 * time, every write guarded by the Lease's resourceVersion (a 409 means another replica wrote first), and expiry judged
 * by when THIS replica last saw the record change (its own clock only, so clock skew between nodes does not matter).
 *
 * Timing (defaults): the leader renews every 2 s and gives up leading when it has not renewed for 8 s (renew deadline);
 * a standby looks every 1 s and takes a Lease over when its record has not changed for 12 s (leaseDurationSeconds).
 * The leader always stops before a standby may start (8 s < 12 s), and a standby takes over at most
 * 1 s (seeing the last renewal) + 12 s + 1 s (its next look) = 14 s after the leader's last renewal. `stop()` releases
 * the Lease (holderIdentity emptied), so a standby takes over at its next look.
 *
 * With `pod`, the leader sets the label `signgate.dev/signer-leader: "true"` on its own Pod and removes it when it stops
 * leading (the chart's Service selects it, so registry events reach the leader only). Every step runs through
 * `tryAcquireOrRenew()`; the loop of `start()` only calls it and sleeps, so tests drive it with their own clock.
 */
import type { KubeClient } from './client.js';
import { KubeError, kubeErrorWhile } from './errors.js';
import { defaultSleep, type Sleep } from './informer.js';
import { record } from './status.js';

export const LEADER_LABEL = 'signgate.dev/signer-leader';

export interface LeaseTiming {
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineMs: number;
  readonly renewPeriodMs: number;
  readonly retryPeriodMs: number;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = Object.freeze({ leaseDurationSeconds: 12, renewDeadlineMs: 8000, renewPeriodMs: 2000, retryPeriodMs: 1000 });

export interface LeaseElectorOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  /** The Lease's name (RBAC grants get/update on this name). */
  readonly name: string;
  /** holderIdentity: the Pod's name. */
  readonly identity: string;
  /** The own Pod, labelled while leading; undefined leaves Pods alone (outside a cluster). */
  readonly pod?: { readonly namespace: string; readonly name: string };
  readonly timing?: Partial<LeaseTiming>;
  readonly clock: () => Date;
  readonly sleep?: Sleep;
  /** Called when this replica starts or stops leading. */
  readonly onLeadership?: (leading: boolean) => void;
  readonly onError?: (error: KubeError) => void;
}

export interface LeaseElector {
  isLeader(): boolean;
  /** One look at the Lease: acquire, renew or wait; then the Pod label. Resolves whether this replica leads. */
  tryAcquireOrRenew(): Promise<boolean>;
  /** Runs tryAcquireOrRenew every renew (leader) or retry (standby) period until stop(). */
  start(): void;
  /** Stops the loop and, when leading, releases the Lease and removes the Pod label. */
  stop(): Promise<void>;
}

interface LeaseRecord {
  readonly resourceVersion: string;
  readonly holderIdentity: string;
  readonly leaseTransitions: number;
  readonly acquireTime: string | undefined;
  /** The spec as JSON: a change of it is a sign of life of the holder. */
  readonly fingerprint: string;
}

/** The fields of a Lease the election reads; throws KubeError KUBE_RESPONSE when it is not a Lease. */
export function parseLease(value: unknown, what: string): LeaseRecord {
  const meta = record(record(value).metadata);
  const spec = record(record(value).spec);
  if (typeof meta.resourceVersion !== 'string' || meta.resourceVersion === '') throw new KubeError('KUBE_RESPONSE', `${what} has no metadata.resourceVersion`);
  const holder = spec.holderIdentity;
  const transitions = spec.leaseTransitions;
  if (holder !== undefined && holder !== null && typeof holder !== 'string') throw new KubeError('KUBE_RESPONSE', `${what}: spec.holderIdentity is not a string`);
  if (transitions !== undefined && (typeof transitions !== 'number' || !Number.isSafeInteger(transitions) || transitions < 0)) throw new KubeError('KUBE_RESPONSE', `${what}: spec.leaseTransitions is not a whole number`);
  return {
    resourceVersion: meta.resourceVersion,
    holderIdentity: typeof holder === 'string' ? holder : '',
    leaseTransitions: typeof transitions === 'number' ? transitions : 0,
    acquireTime: typeof spec.acquireTime === 'string' ? spec.acquireTime : undefined,
    fingerprint: JSON.stringify(spec),
  };
}

/** MicroTime as the API server writes it: RFC 3339 with microseconds. */
function microTime(at: Date): string {
  return at.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function createLeaseElector(options: LeaseElectorOptions): LeaseElector {
  const timing: LeaseTiming = { ...DEFAULT_LEASE_TIMING, ...options.timing };
  if (timing.renewDeadlineMs >= timing.leaseDurationSeconds * 1000) {
    throw new KubeError('KUBE_CONFIG', `the Lease renew deadline (${timing.renewDeadlineMs} ms) must be shorter than leaseDurationSeconds (${timing.leaseDurationSeconds} s), or two replicas could lead at once`);
  }
  const { client, clock } = options;
  const sleep = options.sleep ?? defaultSleep;
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(options.namespace)}/leases`;
  const path = `${base}/${encodeURIComponent(options.name)}`;
  const what = `Lease ${options.namespace}/${options.name}`;
  let leading = false;
  let lastRenewal = 0;
  let observed: { fingerprint: string; at: number } | undefined;
  /** The label the Pod carries as far as this replica knows; undefined: unknown (set it at the first look). */
  let labelled: boolean | undefined;
  const abort = new AbortController();
  let loop: Promise<void> | undefined;

  function spec(now: Date, previous: LeaseRecord | undefined): Record<string, unknown> {
    const mine = previous?.holderIdentity === options.identity;
    return {
      holderIdentity: options.identity,
      leaseDurationSeconds: timing.leaseDurationSeconds,
      acquireTime: mine && previous?.acquireTime !== undefined ? previous.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: previous === undefined ? 0 : previous.leaseTransitions + (mine || previous.holderIdentity === '' ? 0 : 1),
    };
  }

  function setLeading(value: boolean): void {
    if (leading === value) return;
    leading = value;
    options.onLeadership?.(value);
  }

  function report(error: unknown, doing: string): void {
    options.onError?.(kubeErrorWhile(doing, error));
  }

  /** Reads the Lease; undefined when it does not exist. */
  async function read(): Promise<LeaseRecord | undefined> {
    try {
      return parseLease(await client.request('GET', path), what);
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Writes the Lease (create or replace at `previous`'s resourceVersion); false on 409 (someone wrote first). */
  async function write(previous: LeaseRecord | undefined, now: Date): Promise<boolean> {
    const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: options.name, namespace: options.namespace, ...(previous ? { resourceVersion: previous.resourceVersion } : {}) }, spec: spec(now, previous) };
    try {
      const written = parseLease(previous === undefined ? await client.request('POST', base, { body }) : await client.request('PUT', path, { body }), what);
      observed = { fingerprint: written.fingerprint, at: now.getTime() };
      return true;
    } catch (error) {
      if (error instanceof KubeError && error.status === 409) return false;
      throw error;
    }
  }

  async function attempt(): Promise<boolean> {
    const now = clock();
    const current = await read();
    if (current !== undefined && current.fingerprint !== observed?.fingerprint) observed = { fingerprint: current.fingerprint, at: now.getTime() };
    const held = current !== undefined && current.holderIdentity !== '' && current.holderIdentity !== options.identity;
    const expired = observed === undefined || now.getTime() >= observed.at + timing.leaseDurationSeconds * 1000;
    if (held && !expired) return false;
    if (!(await write(current, now))) return false;
    lastRenewal = now.getTime();
    return true;
  }

  async function syncLabel(): Promise<void> {
    if (options.pod === undefined || labelled === leading) return;
    const podPath = `/api/v1/namespaces/${encodeURIComponent(options.pod.namespace)}/pods/${encodeURIComponent(options.pod.name)}`;
    try {
      await client.request('PATCH', podPath, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { [LEADER_LABEL]: leading ? 'true' : null } } } });
      labelled = leading;
    } catch (error) {
      report(error, `${leading ? 'set' : 'remove'} the label ${LEADER_LABEL} on Pod ${options.pod.namespace}/${options.pod.name} (retried at the next look; RBAC needs pods patch)`);
    }
  }

  async function tryAcquireOrRenew(): Promise<boolean> {
    try {
      setLeading(await attempt());
    } catch (error) {
      report(error, `acquire or renew ${what}`);
      // a leader that cannot renew keeps leading only until its renew deadline: a standby may take over after that
      if (leading && clock().getTime() - lastRenewal >= timing.renewDeadlineMs) setLeading(false);
    }
    await syncLabel();
    return leading;
  }

  async function release(): Promise<void> {
    if (!leading) return;
    setLeading(false);
    try {
      const current = await read();
      if (current?.holderIdentity === options.identity) {
        const now = clock();
        await client.request('PUT', path, {
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: options.name, namespace: options.namespace, resourceVersion: current.resourceVersion }, spec: { ...spec(now, current), holderIdentity: '', leaseDurationSeconds: 1 } },
        });
      }
    } catch (error) {
      report(error, `release ${what} (a standby takes over when it expires)`);
    }
    await syncLabel();
  }

  return {
    isLeader: () => leading,
    tryAcquireOrRenew,
    start() {
      if (loop !== undefined) return;
      loop = (async () => {
        while (!abort.signal.aborted) {
          await tryAcquireOrRenew();
          await sleep(leading ? timing.renewPeriodMs : timing.retryPeriodMs, abort.signal);
        }
      })();
    },
    async stop() {
      abort.abort();
      await loop;
      await release();
    },
  };
}
