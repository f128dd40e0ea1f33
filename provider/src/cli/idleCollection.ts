/**
 * A garbage collection when `signgate serve` goes idle: once after start-up, and again after any busy period that
 * grew the heap.
 *
 * Start-up (loading the modules, compiling the CRD schemas of the configured kinds, reading the configuration,
 * making the TLS certificate) allocates some 50 MB, most of it short-lived, and V8 grows its young generation to the
 * maximum on the way (2 x 16 MB semi-spaces), then leaves it committed and empty. A burst of admissions does the same
 * and more: the old generation keeps the garbage of every request since its last full collection (filling 100,000
 * verdicts left ~150 MB of it). V8 gives that memory back only at a collection that finds the allocation rate low, and
 * an idle process does not collect (Node runs no V8 memory reducer): an idle replica would hold memory it does not use.
 *
 * So the heap is looked at every `IDLE_CHECK_MS`; once it has stood still for `STILL_CHECKS` looks in a row (V8
 * averages its allocation rate over its last 5 s), this runs one full collection:
 * - after start-up, once (tried again at the next still period if V8 kept its young generation, at most
 *   `MAX_START_UP_TRIES` times);
 * - afterwards, only when V8's committed heap has grown by `BUSY_GROWTH_BYTES` since the last collection here: a
 *   replica that stays busy is never interrupted, a replica idle at a steady size is collected no more, and a cache
 *   that really holds more data raises the mark (the next collection needs another `BUSY_GROWTH_BYTES`).
 * V8 then shrinks the young generation and frees the old generation's garbage, and grows both again under load as it
 * sees fit (the warm path is unchanged). A collection runs only when nothing has allocated for 7.5 s, so no request
 * waits on it.
 */
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often the heap is looked at. */
const IDLE_CHECK_MS = 2500;
/** Looks in a row with the heap still before collecting: 3 x 2.5 s covers V8's 5 s allocation-rate window. */
const STILL_CHECKS = 3;
/** Heap growth between two looks that still counts as idle (V8's "low" allocation rate is 1 KB/ms, 2.5 MB a look). */
const STILL_BYTES = 512 * 1024;
const MAX_START_UP_TRIES = 3;
/** Growth of the committed heap since the last collection here that makes an idle period worth a collection. */
const BUSY_GROWTH_BYTES = 32 * 1024 * 1024;

export interface IdleCollectionResult {
  /** `start-up`: the first idle period; `busy period`: an idle period after the heap grew. */
  readonly after: 'start-up' | 'busy period';
  /** Committed bytes of V8's new space before and after the collection. */
  readonly youngGeneration: { readonly beforeBytes: number; readonly afterBytes: number };
  /** Committed bytes of V8's whole heap before and after the collection. */
  readonly heap: { readonly beforeBytes: number; readonly afterBytes: number };
  /** How long the collection held the event loop. */
  readonly ms: number;
}

export interface IdleCollection {
  stop(): void;
}

const youngGenerationBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
const committedHeapBytes = (): number => getHeapStatistics().total_physical_size;

/**
 * `gc` exists only in contexts made while --expose-gc is set: make one, collect, and unset the flag again. The
 * collection compacts every page (`--compact-on-every-full-gc`, set for this one collection): live objects scattered
 * over pages among the garbage of a busy period are moved together, so that the pages they leave are given back.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    (runInNewContext('gc') as () => void)();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
    setFlagsFromString('--no-expose-gc');
  }
}

/**
 * Watches the heap (unref'd timers: it never keeps the process alive) and collects when it is idle, as above.
 * `checkMs` (tests) looks more often than `IDLE_CHECK_MS`.
 */
export function collectWhenIdle(onCollected: (result: IdleCollectionResult) => void, { checkMs = IDLE_CHECK_MS } = {}): IdleCollection {
  let last = getHeapStatistics().used_heap_size;
  let still = 0;
  let startUpTries = 0;
  let startedUp = false;
  let mark = committedHeapBytes();
  let timer: NodeJS.Timeout | undefined;
  const collect = (after: IdleCollectionResult['after']): IdleCollectionResult => {
    const young = youngGenerationBytes();
    const heap = committedHeapBytes();
    const start = performance.now();
    collectGarbage();
    const ms = Math.round(performance.now() - start);
    return {
      after,
      ms,
      youngGeneration: { beforeBytes: young, afterBytes: youngGenerationBytes() },
      heap: { beforeBytes: heap, afterBytes: committedHeapBytes() },
    };
  };
  const look = (): void => {
    const used = getHeapStatistics().used_heap_size;
    // a heap that shrank was collected since the last look: something allocated enough to make V8 collect
    still = used >= last && used - last < STILL_BYTES ? still + 1 : 0;
    last = used;
    if (still >= STILL_CHECKS) {
      if (!startedUp) {
        const result = collect('start-up');
        startUpTries += 1;
        if (result.youngGeneration.afterBytes < result.youngGeneration.beforeBytes || startUpTries >= MAX_START_UP_TRIES) {
          startedUp = true;
          mark = result.heap.afterBytes;
          onCollected(result);
        }
        still = 0;
      } else if (committedHeapBytes() - mark >= BUSY_GROWTH_BYTES) {
        const result = collect('busy period');
        mark = result.heap.afterBytes;
        onCollected(result);
        still = 0;
      }
      last = getHeapStatistics().used_heap_size;
    }
    timer = setTimeout(look, checkMs).unref();
  };
  timer = setTimeout(look, checkMs).unref();
  return { stop: () => clearTimeout(timer) };
}
