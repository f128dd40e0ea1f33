/**
 * Cached verdicts are answered many times, each time with the current request's trace id. `stampVerdict` makes that
 * copy and remembers which verdict it copies; `verdictJson` then serialises the copy from the JSON of the original
 * split around its trace id (made once per cached verdict), instead of serialising every report again. The output is
 * byte for byte what JSON.stringify gives; anything that does not look like an untouched stamped copy is serialised
 * in full.
 */
import { randomUUID } from 'node:crypto';
import type { Verdict } from './verdict.js';

interface Template {
  readonly head: string;
  readonly tail: string;
}

/** Stamped copy -> the verdict it copies (never itself a copy). */
const stampedFrom = new WeakMap<Verdict, Verdict>();
/** Original verdict -> its JSON around the trace id (null when it cannot be split). */
const templates = new WeakMap<Verdict, Template | null>();
const SENTINEL = `\u0000signgate-trace-${randomUUID()}\u0000`;
const QUOTED_SENTINEL = JSON.stringify(SENTINEL);

/** The verdict with `traceID` as its trace id: the verdict itself when it already carries it, else a shallow copy. */
export function stampVerdict(verdict: Verdict, traceID: string): Verdict {
  if (verdict.traceID === traceID) return verdict;
  const original = stampedFrom.get(verdict) ?? verdict;
  const copy: Verdict = { ...verdict, traceID };
  stampedFrom.set(copy, original);
  return copy;
}

function template(original: Verdict): Template | null {
  const json = JSON.stringify({ ...original, traceID: SENTINEL });
  const at = json.indexOf(QUOTED_SENTINEL);
  if (at < 0 || json.indexOf(QUOTED_SENTINEL, at + 1) >= 0) return null;
  return { head: json.slice(0, at), tail: json.slice(at + QUOTED_SENTINEL.length) };
}

/** JSON.stringify(verdict), reusing the original's serialisation for stamped copies. */
export function verdictJson(verdict: Verdict): string {
  const original = stampedFrom.get(verdict);
  if (
    original === undefined ||
    verdict.version !== original.version ||
    verdict.isSuccess !== original.isSuccess ||
    verdict.succeeded !== original.succeeded ||
    verdict.timestamp !== original.timestamp ||
    verdict.verifierReports !== original.verifierReports ||
    verdict.artifactReports !== original.artifactReports ||
    typeof verdict.traceID !== 'string'
  ) {
    return JSON.stringify(verdict);
  }
  let t = templates.get(original);
  if (t === undefined) {
    t = template(original);
    templates.set(original, t);
  }
  return t === null ? JSON.stringify(verdict) : t.head + JSON.stringify(verdict.traceID) + t.tail;
}
