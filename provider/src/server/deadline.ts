/**
 * One deadline per request: every key's work starts at once; the answers ready when the deadline fires are used and
 * the rest become `timed out after <N>ms`. The late work is not cancelled here (the executor bounds it), so it can
 * finish in the background and warm the verdict cache.
 */
export const TIMED_OUT: unique symbol = Symbol('timed out');

export function timedOutMessage(ms: number): string {
  return `timed out after ${ms}ms`;
}

/** Runs all tasks concurrently; results in task order, TIMED_OUT for those not settled within `ms`. */
export async function settleWithin<T>(tasks: readonly (() => Promise<T>)[], ms: number, onError: (error: unknown) => T): Promise<(T | typeof TIMED_OUT)[]> {
  const results: (T | typeof TIMED_OUT)[] = tasks.map(() => TIMED_OUT);
  let timer: NodeJS.Timeout | undefined;
  const all = Promise.all(
    tasks.map(async (task, i) => {
      let r: T;
      try {
        r = await task();
      } catch (error) {
        r = onError(error);
      }
      results[i] = r;
    }),
  );
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([all, deadline]);
  } finally {
    clearTimeout(timer);
  }
  return [...results];
}
