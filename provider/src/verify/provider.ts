/**
 * The provider's executor: external data keys in, item results out. It resolves each key to its subject digest, serves
 * decided verdicts from the verdict cache, runs identical in-flight work once, and turns every "could not decide"
 * (unparsable key, no configuration, registry errors) into an item error that is never cached. Work runs under its
 * own bound (workTimeoutMs), not the caller's deadline, so that late work still warms the cache.
 */
import { formatReference, formatRepository, isTransientOciError, OciError, parseReference, parseRepositoryName, type OciErrorCode, type Registry } from '../oci/index.js';
import type { Config, ScopeConfig, StoreConfig } from '../config/types.js';
import type { RevocationChecker } from '../notation/index.js';
import { KeyError, parseKey, type ProviderKey } from './key.js';
import { resolveSubject } from './registrySource.js';
import { missingCertificates, verifySubject } from './subject.js';
import { InFlight, keyInRepository, VerdictCache, verdictKey, withinAge, type VerdictCacheOptions, type VerdictCacheStats } from './verdictCache.js';
import type { Verdict } from './verdict.js';
import { stampVerdict } from './verdictJson.js';
import type { SharedLookup, SharedVerdictCache } from './sharedCache.js';
import { keyTag, requestedTag } from './tagBinding.js';

/** Why a key could not be decided (the decision log's reason); registry failures keep their OciError code. */
export type ItemErrorCode = 'KEY_INVALID' | 'NO_CONFIGURATION' | 'NO_VERIFIER' | 'TOO_MANY_IN_FLIGHT' | 'INTERNAL' | OciErrorCode;

/**
 * One key's answer. Beside what Gatekeeper gets (`value` or `error`), what the decision log records: whether the
 * verdict came from the verdict cache, and for an error its code and the canonical reference the key names.
 */
export type ItemResult<T> =
  | { readonly value: T; readonly cacheHit?: boolean }
  | { readonly error: string; readonly code?: ItemErrorCode; readonly subject?: string };

export interface ItemContext {
  /** The configuration current when the request arrived (undefined until one has loaded). */
  readonly config: Config | undefined;
  readonly traceID: string;
  /**
   * A cached verdict decided longer ago than this is not used: the key is verified again (the audit passes its
   * interval, so that no report rests on an older verdict). Absent: the verdict cache's TTL alone decides.
   */
  readonly maxAgeMs?: number;
}

export type VerificationOutcomeLabel = 'pass' | 'fail' | 'error';

export interface ExecutorEvents {
  verification?(outcome: VerificationOutcomeLabel): void;
  verdictCache?(hit: boolean): void;
  /** A key's work failed; `transient` is true for network, timeout, 429 and 5xx failures. */
  itemError?(key: string, error: unknown, transient: boolean): void;
}

export interface ProviderExecutorOptions {
  /** The registry client for a Store configuration (see createRegistryPool). */
  readonly registryFor: (store: StoreConfig) => Registry;
  readonly clock: () => Date;
  readonly cache?: VerdictCacheOptions;
  /** Bound on one key's work, deadline or not (default 30,000 ms). */
  readonly workTimeoutMs?: number;
  /** Distinct keys worked on at once at most; more get an item error (default 10,000). */
  readonly maxInFlight?: number;
  /** Mutate: drop the tag from `host/repo:tag@digest` (default false: keep it). */
  readonly dropTag?: boolean;
  readonly events?: ExecutorEvents;
  /** OCSP / CRL checking with its caches; absent: revocation is recorded as not checked. */
  readonly revocation?: RevocationChecker;
  /** The verdict cache shared by all replicas (Redis); absent: local only. */
  readonly sharedCache?: SharedVerdictCache;
}

export interface ProviderExecutorStats {
  readonly verdictCache: VerdictCacheStats;
  readonly inFlight: number;
}

/** What the server needs: one item result per key (fakes implement this in server tests). */
export interface ProviderExecutor {
  verify(key: string, ctx: ItemContext): Promise<ItemResult<Verdict>>;
  mutate(key: string, ctx: ItemContext): Promise<ItemResult<string>>;
  stats(): ProviderExecutorStats;
}

/** What a registry event made stale: one subject (`host/repo@sha256:…`) or a whole repository (`host/repo`), canonical. */
export type VerdictInvalidation = { readonly subject: string } | { readonly repository: string };

/** The executor createProviderExecutor makes: the server's ProviderExecutor, plus invalidation for registry events. */
export interface InvalidatingProviderExecutor extends ProviderExecutor {
  /**
   * Drops every cached verdict of the subject or repository (any scope, any configuration), and lets later callers of
   * its keys start fresh work instead of joining work begun before; returns how many verdicts were dropped. Throws
   * OciError REFERENCE_INVALID for a name oci/reference does not accept.
   */
  invalidate(target: VerdictInvalidation): number;
}

type Scoped = { readonly key: ProviderKey; readonly scope: ScopeConfig; readonly scopeName: string };

type Unscoped = { readonly error: string; readonly code: ItemErrorCode; readonly subject?: string };

function scoped(rawKey: string, config: Config | undefined): Scoped | Unscoped {
  let key: ProviderKey;
  try {
    key = parseKey(rawKey);
  } catch (error) {
    if (error instanceof KeyError) return { error: error.message, code: 'KEY_INVALID' };
    throw error;
  }
  const subject = formatReference(key.reference);
  if (config === undefined) return { error: 'no configuration is loaded yet (see the server log for the config loader error)', code: 'NO_CONFIGURATION', subject };
  const own = key.namespace !== undefined ? config.namespaces.get(key.namespace) : undefined;
  const scope = own ?? config.cluster;
  if (scope === undefined) {
    const where = key.namespace !== undefined ? `namespace "${key.namespace}" or cluster-wide` : 'cluster-wide';
    return { error: `no Verifier is configured (${where}); apply a Verifier resource (kind: Verifier, spec.type: notation)`, code: 'NO_VERIFIER', subject };
  }
  return { key, scope, scopeName: scopeNameOf(config, key.namespace) };
}

/** The verdict cache's scope of keys prefixed `[namespace]`: that namespace when it has its own configuration, else '' (cluster). */
export function scopeNameOf(config: Config, namespace: string | undefined): string {
  return namespace !== undefined && config.namespaces.has(namespace) ? namespace : '';
}

function describe(error: unknown, what: string, subject: string): Unscoped {
  if (error instanceof OciError) return { error: `could not ${what}: ${error.message}`, code: error.code, subject };
  return { error: `could not ${what}: internal error (${error instanceof Error ? error.name : 'unknown'}); see the server log`, code: 'INTERNAL', subject };
}

/** A verdict and whether it was served from the verdict cache. */
type Worked = { readonly verdict: Verdict; readonly cacheHit: boolean };

export function createProviderExecutor(options: ProviderExecutorOptions): InvalidatingProviderExecutor {
  const cache = new VerdictCache(options.cache ?? {}, options.clock, options.sharedCache);
  const byReference = new InFlight<Worked>();
  const bySubject = new InFlight<Verdict>();
  const mutations = new InFlight<string>();
  const workTimeoutMs = options.workTimeoutMs ?? 30_000;
  const maxInFlight = options.maxInFlight ?? 10_000;
  const events = options.events ?? {};
  const busy = (): boolean => byReference.size + mutations.size >= maxInFlight;
  const stamp = stampVerdict;
  // Keys started in the same turn (a request's keys) share one work timeout: one timer instead of one per key.
  let turnSignal: AbortSignal | undefined;
  const workSignal = (): AbortSignal => {
    if (turnSignal === undefined) {
      turnSignal = AbortSignal.timeout(workTimeoutMs);
      queueMicrotask(() => {
        turnSignal = undefined;
      });
    }
    return turnSignal;
  };

  const cached = (key: string, maxAgeMs: number | undefined): Verdict | undefined => {
    const entry = cache.get(key);
    const hit = entry !== undefined && withinAge(entry, maxAgeMs, options.clock()) ? entry : undefined;
    events.verdictCache?.(hit !== undefined);
    return hit;
  };

  /** `prior`: the shared cache lookup a digest key already made (settle does not repeat it). */
  async function work(s: Scoped, traceID: string, maxAgeMs: number | undefined, prior?: SharedLookup): Promise<Worked> {
    const signal = workSignal();
    const mark = cache.mark(); // an invalidation during this work keeps its (possibly stale) verdict out of the cache
    const registry = options.registryFor(s.scope.store);
    const resolved = await resolveSubject(registry, s.key.reference, signal);
    const ck = verdictKey(s.scopeName, resolved.subjectReference, s.scope.digest, keyTag(s.scope, s.key.reference));
    const tag = requestedTag(s.key.reference);
    const hit = s.key.reference.digest !== undefined ? undefined : cached(ck, maxAgeMs); // digest keys were looked up before
    if (hit !== undefined) return { verdict: hit, cacheHit: true };
    // settle: the shared cache (when configured) first, then verify; only a decided verdict is stored, locally and shared
    const verdict = await bySubject.run(ck, () =>
      cache.settle(ck, mark, signal, maxAgeMs, prior, () =>
        verifySubject({
        scope: s.scope,
        ...resolved,
        traceID,
        clock: options.clock,
        signal,
        ...(options.revocation ? { revocation: options.revocation } : {}),
        ...(tag === undefined ? {} : { tag }),
        }),
      ),
    );
    return { verdict, cacheHit: false };
  }

  return {
    async verify(rawKey, ctx) {
      const s = scoped(rawKey, ctx.config);
      if ('error' in s) {
        events.verification?.('error');
        return s;
      }
      const unsigned = missingCertificates(s.scope, formatReference(s.key.reference), ctx.traceID, options.clock());
      if (unsigned !== undefined) {
        events.verification?.('fail');
        return { value: unsigned };
      }
      let prior: SharedLookup | undefined;
      if (s.key.reference.digest !== undefined) {
        const dk = verdictKey(s.scopeName, `${formatRepository(s.key.reference)}@${s.key.reference.digest}`, s.scope.digest, keyTag(s.scope, s.key.reference));
        let hit = cached(dk, ctx.maxAgeMs);
        if (hit === undefined) ({ verdict: hit, lookup: prior } = await cache.getShared(dk, ctx.maxAgeMs)); // shared: before any registry request
        if (hit !== undefined) {
          events.verification?.(hit.isSuccess ? 'pass' : 'fail');
          return { value: stamp(hit, ctx.traceID), cacheHit: true };
        }
      }
      if (busy()) {
        events.verification?.('error');
        return { error: `too many verifications in flight (${maxInFlight}); retry shortly`, code: 'TOO_MANY_IN_FLIGHT', subject: formatReference(s.key.reference) };
      }
      try {
        // work that may answer from an older cached verdict is not shared with a caller that sets maxAgeMs
        const inflightKey = `${verdictKey(s.scopeName, formatReference(s.key.reference), s.scope.digest)}${ctx.maxAgeMs !== undefined ? `\u0000${ctx.maxAgeMs}` : ''}`;
        const worked = await byReference.run(inflightKey, () => work(s, ctx.traceID, ctx.maxAgeMs, prior));
        const verdict = stamp(worked.verdict, ctx.traceID);
        events.verification?.(verdict.isSuccess ? 'pass' : 'fail');
        return { value: verdict, cacheHit: worked.cacheHit };
      } catch (error) {
        events.verification?.('error');
        events.itemError?.(rawKey, error, isTransientOciError(error));
        return describe(error, `verify "${formatReference(s.key.reference)}"`, formatReference(s.key.reference));
      }
    },

    async mutate(rawKey, ctx) {
      const s = scoped(rawKey, ctx.config);
      if ('error' in s) return s;
      const ref = s.key.reference;
      const keep = options.dropTag ? { registry: ref.registry, repository: ref.repository } : ref;
      if (ref.digest !== undefined) return { value: formatReference(keep) };
      if (busy()) return { error: `too many requests in flight (${maxInFlight}); retry shortly`, code: 'TOO_MANY_IN_FLIGHT', subject: formatReference(ref) };
      try {
        const inflightKey = verdictKey(s.scopeName, formatReference(ref), s.scope.digest);
        const digest = await mutations.run(inflightKey, async () => {
          const registry = options.registryFor(s.scope.store);
          return (await resolveSubject(registry, ref, workSignal())).subject.digest;
        });
        return { value: formatReference({ ...keep, ...(options.dropTag ? {} : { tag: ref.tag ?? 'latest' }), digest }) };
      } catch (error) {
        events.itemError?.(rawKey, error, isTransientOciError(error));
        return describe(error, `resolve "${formatReference(ref)}"`, formatReference(ref));
      }
    },

    invalidate(target) {
      const dropped = 'subject' in target ? cache.invalidateSubject(target.subject) : cache.invalidateRepository(target.repository);
      const repository = 'subject' in target ? formatRepository(parseReference(target.subject)) : formatRepository(parseRepositoryName(target.repository));
      const stale = (key: string): boolean => keyInRepository(key, repository);
      for (const pending of [byReference, bySubject, mutations]) pending.forget(stale);
      return dropped;
    },

    stats() {
      return { verdictCache: cache.stats(), inFlight: byReference.size + mutations.size };
    },
  };
}
