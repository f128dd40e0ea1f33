/**
 * The signature payload (application/vnd.cncf.notary.payload.v1+json) serialized as notation-go does:
 * json.Marshal(envelope.Payload{TargetArtifact: SanitizeTargetArtifact(desc)}) — members in Go struct order
 * (mediaType, digest, size, annotations), annotations omitted when empty and sorted by key, and Go's HTML-safe
 * string escaping (<, >, & and U+2028/U+2029 as \u escapes).
 */
import { NotationError } from '../errors.js';
import type { Payload } from '../types.js';

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function goString(value: string): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function invalid(what: string): never {
  throw new NotationError('SIGN_REQUEST_INVALID', `cannot sign: payload ${what}`);
}

/** Validates the target descriptor and returns the payload bytes to sign. */
export function serializePayload(payload: Payload): Uint8Array {
  const t = payload.targetArtifact;
  if (typeof t.mediaType !== 'string' || t.mediaType === '') invalid('targetArtifact.mediaType must be a non-empty string');
  if (typeof t.digest !== 'string' || !DIGEST.test(t.digest)) invalid(`targetArtifact.digest ${JSON.stringify(t.digest)} is not a digest`);
  if (!Number.isSafeInteger(t.size) || t.size < 0) invalid('targetArtifact.size must be a non-negative integer');
  let json = `{"targetArtifact":{"mediaType":${goString(t.mediaType)},"digest":${goString(t.digest)},"size":${t.size}`;
  const annotations = Object.entries(t.annotations ?? {});
  if (annotations.length > 0) {
    for (const [, v] of annotations) if (typeof v !== 'string') invalid('annotation values must be strings');
    annotations.sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))); // Go sorts map keys bytewise
    json += `,"annotations":{${annotations.map(([k, v]) => `${goString(k)}:${goString(v)}`).join(',')}}`;
  }
  return new TextEncoder().encode(`${json}}}`);
}
