/**
 * What a registry notification makes stale in the provider, and what it drops (DESIGN.md "Verdict cache
 * semantics": events are hints that shorten the TTL window; TTLs stay the bound when an event is lost).
 *
 * What the registry's events actually say, and the choice made for each:
 * - a push of a referrers-tag index (`sha256-<hex>`, how a registry without the referrers API lists a new signature):
 *   the subject is in the tag, so that subject's verdicts and referrer lists are dropped at once;
 * - any other manifest push: the event does not say whether it is a signature (an OCI 1.1 manifest names its subject
 *   only in its body), so the manifest is read (digest-checked, size-capped by oci, kept in the content cache for
 *   the verification that follows). A subject drops that subject; none means an image: a tag push drops that tag's
 *   resolution (tag -> digest) and the image may be prewarmed. A manifest that cannot be read drops its repository
 *   (fail safe: everything of it is decided again);
 * - a delete names only the repository and the deleted digest (not whether it was a signature, nor of what): the
 *   whole repository is dropped (verdicts, tag resolutions, referrer lists), and the deleted digest's cached content
 *   (so a deleted signature manifest is not read from the cache).
 * Verdicts go through the executor (every scope and configuration, in-flight work detached), registry caches through
 * the pool (every Store's client). Synchronous drops happen before the notification is acknowledged; manifest reads
 * run after it, each bounded by `readTimeoutMs`, at most `maxReads` at once with at most `maxWaiting` queued (past
 * that a push drops its repository instead of being read: fail safe).
 */
import type { DeleteEvent, ParsedNotification, PushEvent } from '../events/index.js';
import { formatReference, formatRepository, OciError, parseReferrersTag, type CacheInvalidation, type Registry } from '../oci/index.js';
import type { VerdictInvalidation } from './provider.js';

export type InvalidationKind = CacheInvalidation['kind'];

/** A pushed image (a manifest without a subject) with its tag: what prewarming may verify. */
export interface PushedImage {
  /** Canonical `host/repo:tag`. */
  readonly reference: string;
  readonly repository: string;
}

export interface InvalidationLogEvent {
  readonly level: 'info' | 'warn';
  readonly msg: string;
  readonly traceID: string;
  readonly image?: string;
  readonly kind?: InvalidationKind;
  readonly dropped?: number;
  readonly error?: string;
}

export interface EventInvalidationOptions {
  readonly executor: { invalidate(target: VerdictInvalidation): number };
  readonly registries: { invalidate(change: CacheInvalidation): number };
  /** The client a pushed manifest is read with (the cluster-wide Store's), or undefined when none is configured. */
  readonly registryForEvents: () => Registry | undefined;
  /** Called for each pushed image with a tag, after its manifest was read. */
  readonly pushedImage?: (image: PushedImage, traceID: string) => void;
  readonly invalidated?: (kind: InvalidationKind) => void;
  readonly log: (event: InvalidationLogEvent) => void;
  /** Bound of one manifest read (default 10,000 ms). */
  readonly readTimeoutMs?: number;
  /** Manifest reads at once (default 4) and waiting at most (default 1,000). */
  readonly maxReads?: number;
  readonly maxWaiting?: number;
}

export interface EventInvalidation {
  /** Drops what can be dropped now; returns that count, and `reads`, which settles when the manifest reads are done. */
  handle(parsed: ParsedNotification, traceID: string): { readonly dropped: number; readonly reads: Promise<void> };
}

export function createEventInvalidation(options: EventInvalidationOptions): EventInvalidation {
  const readTimeoutMs = options.readTimeoutMs ?? 10_000;
  const maxReads = options.maxReads ?? 4;
  const maxWaiting = options.maxWaiting ?? 1000;
  let reading = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    reading--;
    waiting.shift()?.();
  };
  /** A read slot, or false when too many reads wait already. */
  const slot = async (): Promise<boolean> => {
    if (reading >= maxReads) {
      if (waiting.length >= maxWaiting) return false;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    reading++;
    return true;
  };

  const drop = (change: CacheInvalidation, traceID: string): number => {
    const { name } = change;
    let image: string;
    let dropped: number;
    if (change.kind === 'subject') {
      image = `${name}@${change.digest}`;
      dropped = options.executor.invalidate({ subject: image }) + options.registries.invalidate(change);
    } else if (change.kind === 'tag') {
      image = `${name}:${change.tag}`;
      dropped = options.registries.invalidate(change);
    } else if (change.kind === 'delete') {
      image = `${name}@${change.digest}`;
      dropped = options.executor.invalidate({ repository: name }) + options.registries.invalidate(change);
    } else {
      image = name;
      dropped = options.executor.invalidate({ repository: name }) + options.registries.invalidate(change);
    }
    options.invalidated?.(change.kind);
    options.log({ level: 'info', msg: `registry event: dropped what was cached for ${image} (${change.kind})`, traceID, image, kind: change.kind, dropped });
    return dropped;
  };

  const unread = (image: string, name: string, why: string, traceID: string): void => {
    options.log({ level: 'warn', msg: `registry event: could not read the pushed manifest ${image} (${why}); dropping everything cached for ${name} instead`, traceID, image, error: why });
    drop({ kind: 'repository', name }, traceID);
  };

  async function read(push: PushEvent & { readonly digest: string }, name: string, traceID: string): Promise<void> {
    const image = formatReference(push);
    if (!(await slot())) return unread(image, name, `${maxWaiting} manifest reads are waiting already`, traceID);
    try {
      const registry = options.registryForEvents();
      if (registry === undefined) return unread(image, name, 'no cluster-wide configuration is loaded to read it with', traceID);
      const repo = registry.repository({ registry: push.registry, repository: push.repository, digest: push.digest });
      const signal = AbortSignal.timeout(readTimeoutMs);
      const { manifest } = await repo.fetchManifest(await repo.resolve(push.digest, { signal }), { signal });
      if (manifest.subject !== undefined) {
        drop({ kind: 'subject', name, digest: manifest.subject.digest }, traceID);
      } else if (push.tag !== undefined) {
        options.pushedImage?.({ reference: `${name}:${push.tag}`, repository: name }, traceID);
      }
    } catch (error) {
      unread(image, name, error instanceof OciError ? error.message : `internal error (${error instanceof Error ? error.name : 'unknown'})`, traceID);
    } finally {
      release();
    }
  }

  function onPush(push: PushEvent, traceID: string, reads: Promise<void>[]): number {
    const name = formatRepository(push);
    const referrers = push.tag !== undefined ? parseReferrersTag(push.tag) : undefined;
    if (referrers !== undefined) {
      return drop(referrers.subjectDigest === undefined ? { kind: 'repository', name } : { kind: 'subject', name, digest: referrers.subjectDigest }, traceID);
    }
    // a push naming no digest (a Harbor resource without one) cannot be read: its repository is dropped
    if (push.digest === undefined) return drop({ kind: 'repository', name }, traceID);
    reads.push(read({ ...push, digest: push.digest }, name, traceID));
    return push.tag !== undefined ? drop({ kind: 'tag', name, tag: push.tag }, traceID) : 0;
  }

  const onDelete = (event: DeleteEvent, traceID: string): number => {
    const name = formatRepository(event);
    return drop(event.digest === undefined ? { kind: 'repository', name } : { kind: 'delete', name, digest: event.digest }, traceID);
  };

  return {
    handle(parsed, traceID) {
      const reads: Promise<void>[] = [];
      let dropped = 0;
      for (const push of parsed.pushes) dropped += onPush(push, traceID, reads);
      for (const event of parsed.deletes) dropped += onDelete(event, traceID);
      return { dropped, reads: Promise.all(reads).then(() => undefined) };
    },
  };
}
