/**
 * The verdict cache shared by all replicas (DESIGN.md "Verdict cache semantics", STYLE.md "Shared state"): an
 * optimisation, never a dependency. Decided verdicts are written with a PX TTL (the local cache's TTL rules) and read
 * on a local miss; keys are content hashes (the scope's configuration digest), so a configuration change needs no
 * message. Registry events bump a per-subject or per-repository epoch (a value carries the epochs its work began
 * under, so an invalidated value is outdated at once) and are published so every replica drops its local copies.
 * A short lock (SET NX PX) lets one replica verify a cold image while the others wait for its verdict; when the lock
 * holder fails the lock is released or expires and the others verify themselves.
 *
 * Every call to Redis is bounded (`timeoutMs`, default 50): a slow or absent Redis costs a request at most that per
 * call and the replica answers from its local cache and its own verification. Failures are reported through
 * `events` (metrics, a rate-limited log line) and never thrown. The Redis connection is the `SharedCacheClient`
 * seam (sharedCacheRedis.ts in production).
 */
import { randomUUID } from 'node:crypto';
import type { Verdict } from './verdict.js';
import { decodeSharedVerdict, encodeSharedVerdict, MIN_SHARED_CACHE_KEY_BYTES, SharedCacheError, type Epochs, type SharedVerdictKey } from './sharedVerdict.js';

/** The Redis commands the shared cache uses; each rejects on any failure. */
export interface SharedCacheClient {
  /** False while disconnected: calls are then skipped at once, not queued. */
  ready(): boolean;
  mget(keys: readonly string[]): Promise<readonly (string | null)[]>;
  /** SET key value PX ttlMs; with `onlyIfAbsent`, NX: resolves false when the key exists. */
  set(key: string, value: string, ttlMs: number, onlyIfAbsent?: boolean): Promise<boolean>;
  /** Deletes `key` only while it still holds `value` (releasing one's own lock). */
  deleteIfEquals(key: string, value: string): Promise<void>;
  /** INCR key, PEXPIRE key ttlMs, PUBLISH channel message, as one transaction. */
  bumpAndPublish(key: string, ttlMs: number, channel: string, message: string): Promise<void>;
  /** Delivers every message of `channel` (resubscribing after a reconnect). */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  close(): Promise<void>;
}

export type SharedCacheOperation = 'lookup' | 'store' | 'lock' | 'wait' | 'invalidate' | 'subscribe' | 'message';
/** hit/miss/ok/busy: Redis answered; unavailable: not connected (skipped); timeout/error: it failed; invalid: a value or message was refused. */
export type SharedCacheOutcome = 'hit' | 'miss' | 'ok' | 'busy' | 'unavailable' | 'timeout' | 'error' | 'invalid';

export interface SharedCacheEvents {
  operation?(operation: SharedCacheOperation, outcome: SharedCacheOutcome, detail?: string): void;
}

export interface Invalidation {
  readonly kind: 'subject' | 'repository';
  /** Canonical `host/repo@sha256:...` for a subject, `host/repo` for a repository. */
  readonly name: string;
}

export interface SharedVerdictCacheOptions {
  readonly client: SharedCacheClient;
  readonly clock: () => Date;
  /** The key every replica seals and checks values with (at least MIN_SHARED_CACHE_KEY_BYTES bytes). */
  readonly macKey: Uint8Array;
  /** Prefix of every key and of the channel (default `signgate:v1`). */
  readonly keyPrefix?: string;
  /** Bound on each Redis call (default 50 ms). */
  readonly timeoutMs?: number;
  /** Life of a verification lock (default 10,000 ms): how long other replicas wait for the holder at most. */
  readonly lockMs?: number;
  /** Interval at which a waiting replica looks for the lock holder's verdict (default 50 ms). */
  readonly pollMs?: number;
  readonly events?: SharedCacheEvents;
}

export type SharedLookup =
  | { readonly kind: 'hit'; readonly verdict: Verdict; readonly expiresAt: number }
  | { readonly kind: 'miss'; readonly epochs: Epochs }
  | { readonly kind: 'unavailable' };

/** Epoch keys outlive every verdict written under them, so a value never meets a reset counter it predates. */
const EPOCH_TTL_MS = 7 * 24 * 3600 * 1000;
const MAX_MESSAGE_CHARS = 4096;

class Timeout extends Error {}

export class SharedVerdictCache {
  private readonly client: SharedCacheClient;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly lockMs: number;
  private readonly pollMs: number;
  private readonly events: SharedCacheEvents;

  constructor(private readonly options: SharedVerdictCacheOptions) {
    this.client = options.client;
    this.prefix = options.keyPrefix ?? 'signgate:v1';
    this.timeoutMs = options.timeoutMs ?? 50;
    this.lockMs = options.lockMs ?? 10_000;
    this.pollMs = options.pollMs ?? 50;
    this.events = options.events ?? {};
    for (const [name, v] of [['timeoutMs', this.timeoutMs], ['lockMs', this.lockMs], ['pollMs', this.pollMs]] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`shared cache ${name} must be a positive integer, got ${String(v)}`);
    }
    if (options.macKey.byteLength < MIN_SHARED_CACHE_KEY_BYTES) throw new RangeError(`the shared cache key must have at least ${MIN_SHARED_CACHE_KEY_BYTES} bytes, got ${options.macKey.byteLength}`);
  }

  /** The shared verdict for `key`, or the epochs to write one under after verifying (never throws). */
  async lookup(key: SharedVerdictKey): Promise<SharedLookup> {
    const found = await this.read(key, 'lookup');
    if (found === undefined) return { kind: 'unavailable' };
    this.events.operation?.('lookup', 'hit' in found ? 'hit' : 'miss');
    return 'hit' in found ? { kind: 'hit', ...found.hit } : { kind: 'miss', epochs: found.epochs };
  }

  /** Writes a decided verdict for `ttlMs` under the epochs its lookup returned (never throws; not awaited by admission). */
  async store(key: SharedVerdictKey, epochs: Epochs, verdict: Verdict, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) return;
    const expiresAt = this.options.clock().getTime() + ttlMs;
    await this.call('store', () => this.client.set(this.verdictKey(key), encodeSharedVerdict(key, epochs, expiresAt, verdict, this.options.macKey), Math.ceil(ttlMs)), 'ok');
  }

  /**
   * Tries to take the verification lock of `key`: a token when taken (release it with `unlock`), 'busy' when another
   * replica holds it, undefined when Redis cannot say (verify locally).
   */
  async lock(key: SharedVerdictKey): Promise<string | 'busy' | undefined> {
    const token = randomUUID();
    const taken = await this.call('lock', () => this.client.set(this.lockKey(key), token, this.lockMs, true));
    if (taken === undefined) return undefined;
    this.events.operation?.('lock', taken ? 'ok' : 'busy');
    return taken ? token : 'busy';
  }

  async unlock(key: SharedVerdictKey, token: string): Promise<void> {
    await this.call('lock', () => this.client.deleteIfEquals(this.lockKey(key), token));
  }

  /**
   * Waits for the lock holder's verdict: resolves with it, or undefined when the lock is gone without one (the
   * holder could not decide), after `lockMs`, when Redis fails, or when `signal` aborts.
   */
  async awaitVerdict(key: SharedVerdictKey, signal: AbortSignal): Promise<SharedLookup & { kind: 'hit' } | undefined> {
    // counted in polls, not read off the clock (which tests pin): the lock's life at most
    for (let polls = Math.ceil(this.lockMs / this.pollMs); polls > 0 && !signal.aborted; polls--) {
      await new Promise<void>((resolve) => {
        const onAbort = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, this.pollMs);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      const found = await this.read(key, 'wait');
      if (found === undefined) return undefined;
      if ('hit' in found) {
        this.events.operation?.('wait', 'hit');
        return { kind: 'hit', ...found.hit };
      }
      if (!found.locked) break;
    }
    this.events.operation?.('wait', 'miss');
    return undefined;
  }

  /** Bumps the epoch of a subject or repository and tells every replica (never throws). */
  async invalidate(change: Invalidation): Promise<void> {
    const message = JSON.stringify({ kind: change.kind, name: change.name });
    await this.call('invalidate', () => this.client.bumpAndPublish(this.epochKey(change.kind, change.name), EPOCH_TTL_MS, this.channel(), message), 'ok');
  }

  /** Calls `listener` with every invalidation published by any replica (itself included); messages are checked. */
  async onInvalidation(listener: (change: Invalidation) => void): Promise<void> {
    const parse = (text: string): void => {
      const change = parseInvalidation(text);
      if (change === undefined) return this.events.operation?.('message', 'invalid', text.slice(0, 200));
      this.events.operation?.('message', 'ok');
      listener(change);
    };
    // subscribing waits for a connection as long as it takes: it is no request's work
    try {
      await this.client.subscribe(this.channel(), parse);
      this.events.operation?.('subscribe', 'ok');
    } catch (error) {
      this.events.operation?.('subscribe', 'error', describe(error));
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async read(key: SharedVerdictKey, op: 'lookup' | 'wait'): Promise<{ hit: { verdict: Verdict; expiresAt: number } } | { epochs: Epochs; locked: boolean } | undefined> {
    const keys = [this.verdictKey(key), this.epochKey('subject', key.subject), this.epochKey('repository', repositoryOf(key.subject)), this.lockKey(key)];
    const values = await this.call(op, () => this.client.mget(keys));
    if (values === undefined) return undefined;
    const [value, subjectEpoch, repositoryEpoch, lock] = values;
    const epochs = { subject: counter(subjectEpoch), repository: counter(repositoryEpoch) };
    if (value !== null && value !== undefined) {
      try {
        const hit = decodeSharedVerdict(value, key, epochs, this.options.clock().getTime(), this.options.macKey);
        if (hit !== undefined) return { hit };
      } catch (error) {
        this.events.operation?.(op, 'invalid', `${key.subject}: ${describe(error)}`);
      }
    }
    return { epochs, locked: lock !== null && lock !== undefined };
  }

  /** Runs one Redis call within timeoutMs; undefined (and an event) when skipped or failed. */
  private async call<T>(op: SharedCacheOperation, run: () => Promise<T>, success?: SharedCacheOutcome): Promise<T | undefined> {
    if (!this.client.ready()) {
      this.events.operation?.(op, 'unavailable');
      return undefined;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Timeout()), this.timeoutMs)));
      const attempt = run();
      attempt.catch(() => undefined); // a call that loses the race may still fail later
      const result = await Promise.race([attempt, bound]);
      if (success !== undefined) this.events.operation?.(op, success);
      return result;
    } catch (error) {
      this.events.operation?.(op, error instanceof Timeout ? 'timeout' : 'error', error instanceof Timeout ? `no answer within ${this.timeoutMs}ms` : describe(error));
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private verdictKey(key: SharedVerdictKey): string {
    return `${this.prefix}:verdict:${key.configDigest}:${key.scope}:${key.subject}${key.tag === undefined ? '' : `#${key.tag}`}`;
  }

  private lockKey(key: SharedVerdictKey): string {
    return `${this.prefix}:lock:${key.configDigest}:${key.scope}:${key.subject}${key.tag === undefined ? '' : `#${key.tag}`}`;
  }

  private epochKey(kind: Invalidation['kind'], name: string): string {
    return `${this.prefix}:epoch:${kind}:${name}`;
  }

  private channel(): string {
    return `${this.prefix}:invalidations`;
  }
}

/** The canonical `host/repo` of a canonical subject `host/repo@digest`. */
function repositoryOf(subject: string): string {
  return subject.slice(0, subject.indexOf('@'));
}

/** An epoch counter as Redis holds it; absent (or anything but a counter) is 0. */
function counter(value: string | null | undefined): number {
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return 0;
  return Number(value);
}

function describe(error: unknown): string {
  if (error instanceof SharedCacheError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** A published invalidation, or undefined for anything else (the listener parses the name again, canonically). */
function parseInvalidation(text: string): Invalidation | undefined {
  if (text.length > MAX_MESSAGE_CHARS) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { kind, name } = v as Record<string, unknown>;
  if ((kind !== 'subject' && kind !== 'repository') || typeof name !== 'string' || name === '') return undefined;
  return { kind, name };
}
