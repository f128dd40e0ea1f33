/**
 * One garbage collection when `signgate serve` first goes idle after start-up.
 *
 * Start-up (loading the modules, compiling the CRD schemas of the configured kinds, reading the configuration,
 * making the TLS certificate) allocates some 50 MB, most of it short-lived, and V8 grows its young generation to the
 * maximum on the way (2 x 16 MB semi-spaces), then leaves it committed and empty. V8 gives that memory back only at a
 * collection that finds the allocation rate low, and an idle process does not collect (Node runs no V8 memory reducer):
 * an idle replica would hold ~30 MB it does not use. So once the heap has stood still for `STILL_CHECKS` looks in a row
 * (V8 averages its allocation rate over its last 5 s), this runs one full collection; V8 then shrinks the young
 * generation, and grows it again under load as it sees fit (the warm path is unchanged). A replica that is busy from
 * the start is not idle and is left alone; if V8 still judges the allocation rate too high, it is tried again at the next
 * still period, at most `MAX_COLLECTIONS` times.
 */
import { getHeapSpaceStatistics, getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often the heap is looked at. */
export const IDLE_CHECK_MS = 2500;
/** Looks in a row with the heap still before collecting: 3 x 2.5 s covers V8's 5 s allocation-rate window. */
const STILL_CHECKS = 3;
/** Heap growth between two looks that still counts as idle (V8's "low" allocation rate is 1 KB/ms, 2.5 MB a look). */
const STILL_BYTES = 512 * 1024;
const MAX_COLLECTIONS = 3;

export interface YoungGeneration {
  /** Committed bytes of V8's new space before and after the collection. */
  readonly beforeBytes: number;
  readonly afterBytes: number;
}

export interface IdleCollection {
  stop(): void;
}

const youngGenerationBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

/** `gc` exists only in contexts made while --expose-gc is set: make one, collect, and unset the flag again. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  try {
    (runInNewContext('gc') as () => void)();
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/** Watches the heap (unref'd timers: it never keeps the process alive) and collects once when it is idle. */
export function collectWhenIdle(onCollected: (young: YoungGeneration) => void): IdleCollection {
  let last = getHeapStatistics().used_heap_size;
  let still = 0;
  let collections = 0;
  let timer: NodeJS.Timeout | undefined;
  const look = (): void => {
    const used = getHeapStatistics().used_heap_size;
    // a heap that shrank was collected since the last look: something allocated enough to make V8 collect
    still = used >= last && used - last < STILL_BYTES ? still + 1 : 0;
    last = used;
    if (still >= STILL_CHECKS) {
      const beforeBytes = youngGenerationBytes();
      collectGarbage();
      collections += 1;
      const afterBytes = youngGenerationBytes();
      if (afterBytes < beforeBytes || collections >= MAX_COLLECTIONS) {
        onCollected({ beforeBytes, afterBytes });
        return;
      }
      still = 0;
      last = getHeapStatistics().used_heap_size;
    }
    timer = setTimeout(look, IDLE_CHECK_MS).unref();
  };
  timer = setTimeout(look, IDLE_CHECK_MS).unref();
  return { stop: () => clearTimeout(timer) };
}
