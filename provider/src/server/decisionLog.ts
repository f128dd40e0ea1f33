/**
 * The decision log: one line per key of every external data request, so that the trace id a denial shows leads to
 * what was decided and why. Decided keys (pass, fail) are logged at info; keys that could not be decided (error,
 * timeout) at warn, with the message Gatekeeper got and never a stack (the stack of an unexpected error is logged at
 * debug where it happens).
 */
import type { Logger } from 'pino';
import type { ItemResult, Verdict, VerifierReport } from '../verify/index.js';
import { timedOutMessage } from './deadline.js';
import type { ItemOutcome, Route } from './metrics.js';

/** One key's decision, as logged (field names are what operators search for). */
export interface Decision {
  readonly key: string;
  /** Canonical `host/repo@sha256:…` that was decided, or the canonical reference when no digest was reached. */
  readonly subject?: string;
  readonly outcome: ItemOutcome;
  /** The error code: a failing report's `errorReason`, an item error's code, or DEADLINE_EXCEEDED. */
  readonly reason?: string;
  readonly message: string;
  /** The verifier whose report decided (verify only). */
  readonly verifier?: string;
  /** Whether the verdict came from the verdict cache (verify only). */
  readonly cache?: 'hit' | 'miss';
  /** Time from the request's start to this key's answer. */
  readonly ms: number;
}

function deciding(verdict: Verdict): VerifierReport | undefined {
  return verdict.verifierReports.find((r) => r.isSuccess === verdict.isSuccess) ?? verdict.verifierReports[0];
}

/** The decision of one key: `result` is its item result, or undefined when the deadline (`deadlineMs`) came first. */
export function decisionOf(route: Route, key: string, result: ItemResult<Verdict | string> | undefined, ms: number, deadlineMs: number): Decision {
  if (result === undefined) return { key, outcome: 'timeout', reason: 'DEADLINE_EXCEEDED', message: timedOutMessage(deadlineMs), ms };
  if ('error' in result) {
    return { key, ...(result.subject !== undefined ? { subject: result.subject } : {}), outcome: 'error', ...(result.code !== undefined ? { reason: result.code } : {}), message: result.error, ms };
  }
  const value = result.value;
  if (typeof value === 'string') return { key, subject: value, outcome: 'pass', message: `resolved to ${value}`, ms };
  const report = deciding(value);
  const outcome = value.isSuccess ? 'pass' : 'fail';
  return {
    key,
    ...(report !== undefined ? { subject: report.subject, verifier: report.verifierName } : {}),
    outcome,
    ...(report !== undefined && report.errorReason !== '' ? { reason: report.errorReason } : {}),
    message: report?.message ?? (value.isSuccess ? 'verified' : 'not verified'),
    cache: result.cacheHit === true ? 'hit' : 'miss',
    ms,
  };
}

/** Logs `decision` at info (pass, fail) or warn (error, timeout), with the request's trace id and route. */
export function logDecision(logger: Logger, traceID: string, route: Route, decision: Decision): void {
  const { message, ...fields } = decision;
  const line = { traceID, route, ...fields, ms: Math.round(decision.ms) };
  if (decision.outcome === 'pass' || decision.outcome === 'fail') logger.info(line, message);
  else logger.warn(line, message);
}
