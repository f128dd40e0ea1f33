/**
 * The work queue: one entry per key (a later request for a queued key is merged into it, not added), at most
 * `maxPending` entries, `concurrency` workers, and retries with exponential back-off for transient failures (the
 * caller's `isTransient`); anything else fails at once. A full queue refuses new keys (QUEUE_FULL): resync finds them
 * again, so nothing is lost, only later.
 */
import { SigningError } from './errors.js';

export interface QueueOptions<T, R> {
  readonly concurrency: number;
  readonly maxPending: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly run: (item: T) => Promise<R>;
  readonly isTransient: (error: unknown, item: T) => boolean;
  /** After the last attempt: the result or the error. */
  readonly settled: (item: T, outcome: { readonly result: R } | { readonly error: unknown }) => void;
  readonly sleep: (ms: number) => Promise<void>;
}

export class WorkQueue<T, R> {
  private readonly pending = new Map<string, T>();
  private readonly running = new Set<string>();
  /** Keys asked for again while running: run once more after. */
  private readonly again = new Map<string, T>();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: QueueOptions<T, R>) {}

  /** Queues `item` under `key`; false when it was merged into a queued entry. Throws QUEUE_FULL. */
  add(key: string, item: T): boolean {
    if (this.running.has(key)) {
      this.again.set(key, item);
      return false;
    }
    if (this.pending.has(key)) return false;
    if (this.pending.size >= this.options.maxPending) {
      throw new SigningError('QUEUE_FULL', `the signing queue holds ${this.options.maxPending} tags; ${key} is left to the next resync`);
    }
    this.pending.set(key, item);
    this.pump();
    return true;
  }

  has(key: string): boolean {
    return this.pending.has(key) || this.running.has(key);
  }

  depth(): number {
    return this.pending.size + this.running.size;
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.depth() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running.size < this.options.concurrency) {
      const next = this.pending.entries().next();
      if (next.done === true) break;
      const [key, item] = next.value;
      this.pending.delete(key);
      this.running.add(key);
      void this.attempt(item).then((outcome) => {
        this.running.delete(key);
        this.options.settled(item, outcome);
        const again = this.again.get(key);
        if (again !== undefined) {
          this.again.delete(key);
          this.pending.set(key, again);
        }
        this.pump();
        if (this.depth() === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    }
  }

  private async attempt(item: T): Promise<{ result: R } | { error: unknown }> {
    const { retries, backoffMs, maxBackoffMs } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        return { result: await this.options.run(item) };
      } catch (error) {
        if (attempt >= retries || !this.options.isTransient(error, item)) return { error };
        await this.options.sleep(Math.min(maxBackoffMs, backoffMs * 2 ** attempt));
      }
    }
  }
}
