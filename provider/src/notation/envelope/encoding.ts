/**
 * Strict text decoders for untrusted envelope input: base64url without padding (RFC 7515 §2), standard base64 with
 * padding (x5c, RFC 7515 §4.1.6), fatal UTF-8, and JSON with a nesting bound. Each failure is ENVELOPE_INVALID.
 */
import { NotationError } from '../errors.js';
import { LIMITS } from './constants.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function envelopeInvalid(where: string, what: string, cause?: unknown): never {
  throw new NotationError(
    'ENVELOPE_INVALID',
    `${where}: ${what}; the signature envelope is malformed — re-sign the artifact with a Notation-compatible signer`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Base64url as JWS requires it: URL-safe alphabet, no padding, no other characters, canonical trailing bits.
 * Node's decoder is lenient, so the input must re-encode to itself.
 */
export function decodeBase64Url(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string') envelopeInvalid(where, 'must be a base64url string');
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.toString('base64url') !== value) {
    envelopeInvalid(where, 'is not strict base64url (JWS forbids padding "=", whitespace and characters outside A-Z a-z 0-9 - _)');
  }
  return new Uint8Array(bytes); // a copy: small Buffers share Node's allocation pool
}

/** Standard base64 with padding, as x5c and the JWS timestamp header carry DER. */
export function decodeBase64(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string') envelopeInvalid(where, 'must be a base64 string');
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) envelopeInvalid(where, 'is not valid padded standard base64');
  return new Uint8Array(bytes);
}

export function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    return utf8.decode(bytes);
  } catch (cause) {
    return envelopeInvalid(where, 'is not valid UTF-8', cause);
  }
}

/**
 * The deepest array/object nesting in JSON text, stopping as soon as `max` is exceeded. Linear, no allocation; a
 * syntax error is left to JSON.parse.
 */
function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** JSON.parse with a nesting bound; the result is untrusted `unknown`. */
export function parseJson(text: string, where: string): unknown {
  if (jsonDepthExceeds(text, LIMITS.depth)) envelopeInvalid(where, `nests deeper than ${LIMITS.depth} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    return envelopeInvalid(where, `is not valid JSON (${(cause as Error).message})`, cause);
  }
}

/** A JSON object parsed from JSON.parse: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
