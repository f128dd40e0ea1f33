import { NotationError } from './errors.js';
import type { Descriptor, Payload } from './types.js';

const MAX_PAYLOAD_BYTES = 64 * 1024;
const MAX_ANNOTATIONS = 256;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

function invalid(what: string): never {
  throw new NotationError(
    'PAYLOAD_INVALID',
    `the signature payload is invalid: ${what}; re-sign the artifact with a Notation-compatible signer`,
  );
}

/** Decodes application/vnd.cncf.notary.payload.v1+json into a typed Payload (only `targetArtifact` is read). */
export function parsePayload(content: Uint8Array): Payload {
  if (content.byteLength > MAX_PAYLOAD_BYTES) invalid(`it is ${content.byteLength} bytes, more than ${MAX_PAYLOAD_BYTES}`);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('utf8'));
  } catch (cause) {
    throw new NotationError('PAYLOAD_INVALID', 'the signature payload is not valid JSON; re-sign the artifact', { cause });
  }
  if (!isPlainObject(doc)) invalid('it is not a JSON object');
  const t = doc.targetArtifact;
  if (!isPlainObject(t)) invalid('"targetArtifact" is missing or not an object');
  if (typeof t.mediaType !== 'string' || t.mediaType === '') invalid('"targetArtifact.mediaType" must be a non-empty string');
  if (typeof t.digest !== 'string' || !DIGEST.test(t.digest)) invalid('"targetArtifact.digest" is not a digest');
  if (typeof t.size !== 'number' || !Number.isSafeInteger(t.size) || t.size < 0) {
    invalid('"targetArtifact.size" must be a non-negative integer');
  }
  let annotations: Record<string, string> | undefined;
  if (t.annotations !== undefined) {
    if (!isPlainObject(t.annotations)) invalid('"targetArtifact.annotations" must be an object of strings');
    const entries = Object.entries(t.annotations);
    if (entries.length > MAX_ANNOTATIONS) invalid(`more than ${MAX_ANNOTATIONS} annotations`);
    annotations = Object.create(null) as Record<string, string>;
    for (const [k, v] of entries) {
      if (typeof v !== 'string') invalid(`annotation ${JSON.stringify(k)} is not a string`);
      annotations[k] = v;
    }
  }
  const targetArtifact: Descriptor = Object.freeze({
    mediaType: t.mediaType,
    digest: t.digest,
    size: t.size,
    ...(annotations ? { annotations: Object.freeze(annotations) } : {}),
  });
  return Object.freeze({ targetArtifact });
}

/** notation's content.Equal: mediaType, digest and size; annotations are not compared. */
export function sameContent(a: Descriptor, b: Descriptor): boolean {
  return a.mediaType === b.mediaType && a.digest === b.digest && a.size === b.size;
}
