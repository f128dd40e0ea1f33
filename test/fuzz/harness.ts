/**
 * The fuzzing harness (issue "Under hostility"): property-based fuzzing with fast-check. Each target feeds generated
 * and mutated input to one parser or verifier and holds it to three rules:
 *   - crash: any exception other than the module's own typed error fails the target;
 *   - hang: one case using more than HANG_MS of CPU fails the target (the module's own bounds must stop it first);
 *     CPU time, not wall time, so a loaded machine's scheduling stalls are not findings; a case still waiting after
 *     STALL_MS of wall time fails too;
 *   - memory: the process's heap must stay under MEMORY_BOUND_BYTES while the target runs.
 * Properties may add their own oracle (a mutated envelope never verifies unless only unsigned parts changed).
 */
import fc from 'fast-check';

export const HANG_MS = 1000;
export const STALL_MS = 10_000;
export const MEMORY_BOUND_BYTES = 1024 * 1024 * 1024;

/** What one fuzzing run found, whatever the property's argument types. */
export interface FuzzReport {
  readonly failed: boolean;
  readonly numRuns: number;
  readonly seed: number;
  readonly path: string | undefined;
  readonly error: string;
  readonly counterexample: string;
}

/** A property ready to run with fast-check parameters (seed, numRuns, time limit). */
export interface Checkable {
  check(params: { seed: number; numRuns: number; interruptAfterTimeLimit?: number }): Promise<FuzzReport>;
}

/** Wraps a fast-check property (sync or async) so that targets of every argument type share one runner. */
export function checkable<Ts>(property: fc.IRawProperty<Ts>): Checkable {
  return {
    async check(params) {
      const details = await fc.check(property, { ...params, markInterruptAsFailure: false });
      const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance ?? '');
      return {
        failed: details.failed,
        numRuns: details.numRuns,
        seed: details.seed,
        path: details.counterexamplePath ?? undefined,
        error,
        counterexample: details.counterexample === null ? '' : fc.stringify(details.counterexample),
      };
    },
  };
}

/** One fuzz target: `property()` is built after `setup()` (keys, envelopes, ...); `ciRuns` is the CI budget. */
export interface FuzzTarget {
  readonly name: string;
  readonly what: string;
  /** Cases CI runs with the fixed seed (keep the whole CI budget under 60 s). */
  readonly ciRuns: number;
  setup?(): Promise<void>;
  property(): Checkable;
}

/** Fails the case with a message that names the rule broken. */
export class FuzzFinding extends Error {}

interface Start {
  readonly wall: number;
  readonly cpu: NodeJS.CpuUsage;
}

const begin = (): Start => ({ wall: performance.now(), cpu: process.cpuUsage() });

function checkBounds(started: Start): void {
  const cpu = process.cpuUsage(started.cpu);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (cpuMs > HANG_MS) throw new FuzzFinding(`hang: one case used ${cpuMs.toFixed(0)} ms of CPU (bound ${HANG_MS} ms)`);
  const wallMs = performance.now() - started.wall;
  if (wallMs > STALL_MS) throw new FuzzFinding(`hang: one case was still running after ${wallMs.toFixed(0)} ms (bound ${STALL_MS} ms)`);
  const heap = process.memoryUsage().heapUsed;
  if (heap > MEMORY_BOUND_BYTES) throw new FuzzFinding(`memory: heap ${heap} bytes over the bound ${MEMORY_BOUND_BYTES}`);
}

function classify(error: unknown, typed: (e: unknown) => boolean): void {
  if (error instanceof FuzzFinding) throw error;
  if (!typed(error)) {
    const shown = error instanceof Error ? `${error.constructor.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
    throw new FuzzFinding(`crash: an exception other than the module's typed error: ${shown}`);
  }
}

/** Runs `fn`; a typed error is an accepted refusal, anything else a crash; returns fn's value or undefined. */
export function typedOnly<T>(typed: (e: unknown) => boolean, fn: () => T): T | undefined {
  const started = begin();
  try {
    const value = fn();
    checkBounds(started);
    return value;
  } catch (error) {
    classify(error, typed);
    checkBounds(started);
    return undefined;
  }
}

/** The async twin of typedOnly. */
export async function typedOnlyAsync<T>(typed: (e: unknown) => boolean, fn: () => Promise<T>): Promise<T | undefined> {
  const started = begin();
  try {
    const value = await fn();
    checkBounds(started);
    return value;
  } catch (error) {
    classify(error, typed);
    checkBounds(started);
    return undefined;
  }
}

/** Byte-level mutations of a valid input: flip, overwrite, delete a range, insert, duplicate a range, truncate. */
export function mutatedBytes(valid: () => Uint8Array): fc.Arbitrary<Uint8Array> {
  const one = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  );
  return fc.array(one, { minLength: 1, maxLength: 4 }).map((edits) => {
    let bytes = Uint8Array.from(valid());
    for (const e of edits) {
      const at = bytes.length === 0 ? 0 : e.at % bytes.length;
      if (e.kind === 'flip') bytes[at] = (bytes[at] ?? 0) ^ (1 << e.bit);
      else if (e.kind === 'set') bytes[at] = e.value;
      else if (e.kind === 'delete') bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + e.length)]);
      else if (e.kind === 'insert') bytes = Uint8Array.from([...bytes.subarray(0, at), ...e.bytes, ...bytes.subarray(at)]);
      else if (e.kind === 'duplicate') bytes = Uint8Array.from([...bytes.subarray(0, at + e.length), ...bytes.subarray(at)]);
      else bytes = bytes.subarray(0, at);
    }
    return bytes;
  });
}

/** JSON-shaped mutations of a valid document: a value replaced, a key dropped or added, a type changed. */
export function mutatedJson(valid: () => unknown): fc.Arbitrary<unknown> {
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(null, '', '*', -1, 1e308, 'x'.repeat(5000), [], {}));
  return fc.array(fc.tuple(fc.nat(), fc.nat(3), anyValue, fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 3 }).map((edits) => {
    const doc = structuredClone(valid());
    for (const [pick, op, shared, key] of edits) {
      const value = structuredClone(shared); // constants are shared instances: never insert one twice
      const containers: Array<Record<string, unknown> | unknown[]> = [];
      const walk = (v: unknown): void => {
        if (v !== null && typeof v === 'object') {
          containers.push(v as Record<string, unknown>);
          for (const child of Object.values(v)) walk(child);
        }
      };
      walk(doc);
      const target = containers[pick % Math.max(1, containers.length)];
      if (target === undefined) continue;
      const keys = Object.keys(target);
      const k = keys[pick % Math.max(1, keys.length)];
      if (Array.isArray(target)) {
        if (op === 0 && k !== undefined) target[Number(k)] = value;
        else if (op === 1) target.splice(pick % Math.max(1, target.length), 1);
        else target.push(value);
      } else if (op === 0 && k !== undefined) target[k] = value;
      else if (op === 1 && k !== undefined) delete target[k];
      else target[key] = value;
    }
    return doc;
  });
}
