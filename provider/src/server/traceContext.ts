/**
 * The trace id of the request whose work is running, carried through async calls (node:async_hooks
 * AsyncLocalStorage), so that lines logged deep below the server — a registry request, a credentials file read at
 * first use, an executor error's stack — name the request that caused them without threading the id through every
 * layer. Work shared by requests (in-flight dedupe) carries the id of the request that started it.
 *
 * Those lines are all debug lines (every line at info and above that a request causes names its trace id itself), and
 * on Node 20 AsyncLocalStorage runs a promise hook for every promise of the process: a quarter of the warm path's
 * throughput. So the server enters the context only while its logger writes debug lines (`traceContextWanted`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<string>();

/** Whether `logger` writes the lines the trace context is for (debug); checked per request, so a level change applies. */
export function traceContextWanted(logger: { isLevelEnabled(level: string): boolean }): boolean {
  return logger.isLevelEnabled('debug');
}

/** Runs `fn` (and everything it starts) as the work of request `traceID`. */
export function runWithTraceId<T>(traceID: string, fn: () => T): T {
  return storage.run(traceID, fn);
}

/** A pino `mixin`: `{traceID}` on every line logged inside a request's work, nothing elsewhere. */
export function traceMixin(): { traceID?: string } {
  const traceID = storage.getStore();
  return traceID === undefined ? {} : { traceID };
}
