/**
 * Prewarming (`signgate serve --prewarm SCOPE`): an image pushed with a tag into a repository a scope covers is
 * verified in the background, so that its first admission is a verdict-cache hit. It is verified as a key without
 * `[namespace]`, i.e. under the cluster-wide configuration: admissions of namespaces without Namespaced* resources
 * (which use the cluster-wide verdicts) hit; a namespace with its own configuration verifies on first admission.
 * Work is deduplicated by reference, bounded in concurrency and queue length (a full queue drops the newest: it
 * only costs a cold first admission), and never awaited by the notification that caused it.
 */
import { canonicalRegistry, formatRepository, OciError, parseRepositoryName } from '../oci/index.js';

/** A repository (`host/repo`) or every repository whose canonical name starts with a prefix (`host/prefix*`). */
export interface PrewarmScope {
  /** As given, for logs. */
  readonly text: string;
  /** Canonical `host/repo`, or the canonical prefix. */
  readonly name: string;
  readonly prefix: boolean;
}

/**
 * Reads `host/repo` or `host/prefix*` (the prefix in oci/reference's canonical form; `host/*` covers the registry).
 * Throws OciError REFERENCE_INVALID saying what is wrong.
 */
export function parsePrewarmScope(text: string): PrewarmScope {
  const prefix = text.endsWith('*');
  const body = prefix ? text.slice(0, -1) : text;
  if (body.includes('*')) throw new OciError('REFERENCE_INVALID', `prewarm scope "${text.slice(0, 200)}" may have "*" only at its end, for example registry.example.com/team/*`);
  if (!prefix) return { text, name: formatRepository(parseRepositoryName(body)), prefix };
  const separator = body.endsWith('/') ? '/' : '';
  const base = body.slice(0, body.length - separator.length);
  if (!base.includes('/')) {
    if (separator === '') throw new OciError('REFERENCE_INVALID', `prewarm scope "${text.slice(0, 200)}" names no repository; write host/* for a whole registry`);
    return { text, name: `${canonicalRegistry(base)}/`, prefix };
  }
  return { text, name: `${formatRepository(parseRepositoryName(base))}${separator}`, prefix };
}

export function scopeCovers(scope: PrewarmScope, repository: string): boolean {
  return scope.prefix ? repository.startsWith(scope.name) : repository === scope.name;
}

export interface PrewarmOptions {
  readonly scopes: readonly PrewarmScope[];
  /** Verifies one reference (the executor's verify under the cluster-wide configuration); resolves with its outcome. */
  readonly verify: (reference: string, traceID: string) => Promise<PrewarmOutcome>;
  /** Verifications at once (default 2). */
  readonly concurrency?: number;
  /** References waiting at most (default 1,000); more are dropped. */
  readonly maxPending?: number;
  readonly done?: (reference: string, outcome: PrewarmOutcome | 'dropped', traceID: string) => void;
}

export type PrewarmOutcome = 'pass' | 'fail' | 'error';

export interface Prewarm {
  /** Queues `reference` when a scope covers `repository`; false when no scope does or it is already queued. */
  offer(reference: string, repository: string, traceID: string): boolean;
  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void>;
  /** On shutdown: forgets what is queued and refuses later offers; what runs finishes under the executor's bound. */
  stop(): void;
}

export function createPrewarm(options: PrewarmOptions): Prewarm {
  const concurrency = options.concurrency ?? 2;
  const maxPending = options.maxPending ?? 1000;
  const pending = new Map<string, string>(); // reference -> traceID, in arrival order
  const running = new Set<string>();
  let waiters: (() => void)[] = [];
  let stopped = false;

  const settleIdle = (): void => {
    if (pending.size > 0 || running.size > 0) return;
    const ready = waiters;
    waiters = [];
    for (const w of ready) w();
  };

  const pump = (): void => {
    while (running.size < concurrency && pending.size > 0) {
      const [reference, traceID] = pending.entries().next().value as [string, string];
      pending.delete(reference);
      running.add(reference);
      options
        .verify(reference, traceID)
        .catch((): PrewarmOutcome => 'error')
        .then((outcome) => {
          running.delete(reference);
          options.done?.(reference, outcome, traceID);
          pump();
          settleIdle();
        });
    }
  };

  return {
    offer(reference, repository, traceID) {
      if (stopped || !options.scopes.some((s) => scopeCovers(s, repository))) return false;
      if (pending.has(reference)) return false; // a running one is queued again: the tag may name a new digest
      if (pending.size >= maxPending) {
        options.done?.(reference, 'dropped', traceID);
        return false;
      }
      pending.set(reference, traceID);
      pump();
      return true;
    },
    idle() {
      if (pending.size === 0 && running.size === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    stop() {
      stopped = true;
      pending.clear();
      settleIdle();
    },
  };
}
