/**
 * The one way tests wait for something that happens in the background: poll an observable condition (a metric, a
 * counter, a file the code wrote, a response) until it holds, within a generous bound, and fail loudly naming what
 * did not happen. The bound is a hang guard, never a performance claim: a fast machine returns at the first check.
 */

/** Polls `check` until it returns a value other than undefined (or false); throws `timed out waiting for <what>`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  boundMs = 10_000,
): Promise<T> {
  const end = Date.now() + boundMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error; // e.g. a connection refused while a listener restarts: keep polling, report it at the end
    }
    if (Date.now() > end) {
      const last = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${boundMs} ms waiting for ${what}${last}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
