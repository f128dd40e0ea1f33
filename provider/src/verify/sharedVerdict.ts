/**
 * A verdict as the shared cache (Redis) holds it, and the check every value read back goes through. Redis is outside
 * signgate's trust: a value may be corrupt, truncated, planted or written for another key, so a value is used only
 * when it names the key it was read for (subject, scope, configuration digest), carries the invalidation epochs
 * current now, has not expired, and has the full verdict shape. The verdict is then made again by `makeVerdict`, so
 * `succeeded` and `artifactReports` come from its reports, never from Redis.
 *
 * Every value is sealed with an HMAC-SHA256 under the replicas' shared key (`--shared-cache-key-file`): a value is
 * `<base64url MAC>.<JSON>`, and the MAC is checked (constant time) before the JSON is parsed, so whoever can write to
 * Redis without the key cannot plant a verdict, however well-formed. A sealed value replayed for its own key under
 * the same epochs can still come back until it expires (bounded by the verdict TTL).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { SigngateError } from '../errors.js';
import { makeVerdict, type Verdict, type VerifierReport } from './verdict.js';

export const SHARED_VERDICT_FORMAT = 'signgate-verdict/v1';
/** A shared value longer than this (characters) is refused before parsing. */
export const MAX_SHARED_VERDICT_CHARS = 1024 * 1024;
const MAX_REPORTS = 1000;

export type SharedCacheErrorCode = 'SHARED_CACHE_URL_INVALID' | 'SHARED_CACHE_VALUE_INVALID';

export class SharedCacheError extends SigngateError<SharedCacheErrorCode> {}

/** Which verdict a value is for: the same parts as the local verdictKey. */
export interface SharedVerdictKey {
  /** The namespace whose configuration applies, or '' for the cluster-wide one. */
  readonly scope: string;
  /** Canonical `host/repo@sha256:...`. */
  readonly subject: string;
  /** The scope's configuration digest (ScopeConfig.digest). */
  readonly configDigest: string;
  /** The tag a tag-binding Verifier decided for (tagBinding.ts `keyTag`); absent when the digest alone decides. */
  readonly tag?: string;
}

/** Invalidation counters of the subject and of its repository when the verdict's work began. */
export interface Epochs {
  readonly subject: number;
  readonly repository: number;
}

/** Bytes a shared-cache key must have at least (HMAC-SHA256: a key shorter than the hash weakens it). */
export const MIN_SHARED_CACHE_KEY_BYTES = 32;
const MAC_CHARS = 43; // base64url of 32 bytes, unpadded

function mac(macKey: Uint8Array, json: string): Buffer {
  return createHmac('sha256', macKey).update(json, 'utf8').digest();
}

export function encodeSharedVerdict(key: SharedVerdictKey, epochs: Epochs, expiresAt: number, verdict: Verdict, macKey: Uint8Array): string {
  const json = JSON.stringify({
    format: SHARED_VERDICT_FORMAT,
    subject: key.subject,
    scope: key.scope,
    configDigest: key.configDigest,
    tag: key.tag,
    epochs: [epochs.subject, epochs.repository],
    expiresAt,
    verdict: { version: verdict.version, isSuccess: verdict.isSuccess, traceID: verdict.traceID, timestamp: verdict.timestamp, verifierReports: verdict.verifierReports },
  });
  return `${mac(macKey, json).toString('base64url')}.${json}`;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const REPORT_STRINGS = ['subject', 'name', 'verifierName', 'type', 'verifierType', 'referenceDigest', 'artifactType', 'message', 'errorReason', 'remediation'] as const;

function report(v: unknown, subject: string, at: string): VerifierReport {
  if (!isObject(v)) throw invalid(`${at} is not an object`);
  for (const field of REPORT_STRINGS) {
    if (typeof v[field] !== 'string') throw invalid(`${at}.${field} is not a string`);
  }
  if (typeof v.isSuccess !== 'boolean') throw invalid(`${at}.isSuccess is not a boolean`);
  if (!isObject(v.extensions)) throw invalid(`${at}.extensions is not an object`);
  if (v.subject !== subject) throw invalid(`${at}.subject is "${String(v.subject).slice(0, 200)}", not the key's subject`);
  return v as unknown as VerifierReport;
}

function invalid(reason: string): SharedCacheError {
  return new SharedCacheError('SHARED_CACHE_VALUE_INVALID', reason);
}

/**
 * The verdict in `text` when it is a well-formed value for `key`, written under `epochs`, not expired at `now` (ms);
 * undefined for an outdated one (other epochs, expired); throws SharedCacheError SHARED_CACHE_VALUE_INVALID naming
 * what is wrong for anything else. `expiresAt` comes back so that a local copy never outlives the shared one.
 */
export function decodeSharedVerdict(
  text: string,
  key: SharedVerdictKey,
  epochs: Epochs,
  now: number,
  macKey: Uint8Array,
): { readonly verdict: Verdict; readonly expiresAt: number } | undefined {
  if (text.length > MAX_SHARED_VERDICT_CHARS) throw invalid(`is ${text.length} characters, more than ${MAX_SHARED_VERDICT_CHARS}`);
  const json = text.slice(MAC_CHARS + 1);
  const said = Buffer.from(text.slice(0, MAC_CHARS), 'base64url');
  if (text[MAC_CHARS] !== '.' || said.length !== 32 || !timingSafeEqual(said, mac(macKey, json))) {
    throw invalid('is not sealed with this replica\'s shared-cache key (written by something else, or the replicas have different --shared-cache-key-file keys)');
  }
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw invalid('is not JSON');
  }
  if (!isObject(v)) throw invalid('is not a JSON object');
  if (v.format !== SHARED_VERDICT_FORMAT) throw invalid(`has format ${JSON.stringify(v.format)?.slice(0, 80) ?? 'none'}, not ${SHARED_VERDICT_FORMAT}`);
  for (const field of ['subject', 'scope', 'configDigest', 'tag'] as const) {
    if (v[field] !== key[field]) throw invalid(`was written for ${field} "${String(v[field]).slice(0, 200)}", not "${key[field] ?? '(none)'}"`);
  }
  const e = v.epochs;
  if (!Array.isArray(e) || e.length !== 2 || !e.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) throw invalid('epochs is not a pair of counters');
  if (typeof v.expiresAt !== 'number' || !Number.isFinite(v.expiresAt)) throw invalid('expiresAt is not a number');
  if (e[0] !== epochs.subject || e[1] !== epochs.repository || v.expiresAt <= now) return undefined;
  const d = v.verdict;
  if (!isObject(d)) throw invalid('verdict is not an object');
  if (d.version !== '0.2.0') throw invalid('verdict.version is not "0.2.0"');
  if (typeof d.isSuccess !== 'boolean') throw invalid('verdict.isSuccess is not a boolean');
  if (typeof d.traceID !== 'string') throw invalid('verdict.traceID is not a string');
  const at = typeof d.timestamp === 'string' ? new Date(d.timestamp) : undefined;
  if (at === undefined || Number.isNaN(at.getTime()) || at.toISOString() !== d.timestamp) throw invalid('verdict.timestamp is not an RFC 3339 UTC time');
  if (!Array.isArray(d.verifierReports) || d.verifierReports.length > MAX_REPORTS) throw invalid(`verdict.verifierReports is not a list of at most ${MAX_REPORTS}`);
  const reports = d.verifierReports.map((r, i) => report(r, key.subject, `verdict.verifierReports[${i}]`));
  // a pass rests on at least one passing report (under any policy); a value that says otherwise is not trusted
  if (d.isSuccess && !reports.some((r) => r.isSuccess)) throw invalid('verdict.isSuccess is true without a passing report');
  return { verdict: makeVerdict({ isSuccess: d.isSuccess, traceID: d.traceID, now: at, verifierReports: reports }), expiresAt: v.expiresAt };
}
