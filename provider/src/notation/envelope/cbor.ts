/**
 * CBOR for COSE envelopes. Decoding is cbor-x's, configured so maps decode to Map and tags stay visible; but
 * cbor-x also implements many tag extensions (records, shared references, Error/RegExp construction, packed values)
 * through one process-wide table, so every input is first checked by `checkWellFormed` below: definite lengths only,
 * no trailing bytes, bounded depth and item count, valid UTF-8 text, no duplicate map keys (go-cose's
 * DupMapKeyEnforcedAPF / IndefLengthForbidden), and only the tags COSE envelopes use (18 at the root, 1 around a
 * number). That check is hand-written because cbor-x has no options for any of this.
 */
import { Decoder, Encoder, Tag } from 'cbor-x';
import { CBOR_TAG, LIMITS } from './constants.js';
import { envelopeInvalid } from './encoding.js';

// byte strings decode as views of the input; cose.ts copies the ones it returns
const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });
const encoder = new Encoder({
  mapsAsObjects: false,
  useRecords: false,
  tagUint8Array: false,
  useTag259ForMaps: false,
  variableMapSize: true,
} as ConstructorParameters<typeof Encoder>[0] & { useTag259ForMaps: boolean });
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export { Tag };

interface Cursor {
  pos: number;
  items: number;
}

/** Reads the argument of the head at cursor.pos (after the initial byte); returns it as a number or bigint. */
function readArgument(b: Uint8Array, c: Cursor, info: number, where: string): number | bigint {
  if (info < 24) return info;
  const width = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (width === 0) envelopeInvalid(where, info === 31 ? 'uses indefinite-length CBOR, which COSE forbids' : 'is not well-formed CBOR');
  if (c.pos + width > b.byteLength) envelopeInvalid(where, 'is truncated CBOR');
  if (width <= 4) {
    let n = 0;
    for (let i = 0; i < width; i++) n = n * 256 + (b[c.pos + i] ?? 0);
    c.pos += width;
    return n;
  }
  let v = 0n;
  for (let i = 0; i < width; i++) v = (v << 8n) | BigInt(b[c.pos + i] ?? 0);
  c.pos += width;
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function length(v: number | bigint, b: Uint8Array, c: Cursor, where: string): number {
  if (typeof v === 'bigint' || v > b.byteLength - c.pos) envelopeInvalid(where, 'is truncated CBOR (a length runs past the end)');
  return v;
}

/** A string naming a map key's value, so that 1 encoded in one byte and in two bytes count as the same key. */
function keyIdentity(b: Uint8Array, start: number, end: number, where: string): string {
  const initial = b[start] ?? 0;
  const major = initial >> 5;
  if (major === 0 || major === 1) {
    const arg = BigInt(readArgument(b, { pos: start + 1, items: 0 }, initial & 0x1f, where));
    return `i${major === 0 ? arg : -1n - arg}`;
  }
  if (major === 3) {
    const c = { pos: start + 1, items: 0 };
    const n = Number(readArgument(b, c, initial & 0x1f, where));
    return `t${Buffer.from(b.subarray(c.pos, c.pos + n)).toString('utf8')}`;
  }
  return `x${Buffer.from(b.subarray(start, end)).toString('hex')}`;
}

/** The tag 1 (epoch time) content must be an integer within 2^53 or a float. */
function checkEpochTime(b: Uint8Array, pos: number, where: string): void {
  const initial = b[pos];
  if (initial === undefined) return; // truncation is reported by walk
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (major === 7 && info >= 25 && info <= 27) return;
  if (major !== 0 && major !== 1) envelopeInvalid(where, 'has a CBOR tag 1 time that is not a number');
  if (typeof readArgument(b, { pos: pos + 1, items: 0 }, info, where) === 'bigint') {
    envelopeInvalid(where, 'has a CBOR tag 1 time out of range');
  }
}

/** Walks one data item, checking it (see the file header). */
function walk(b: Uint8Array, c: Cursor, depth: number, where: string): void {
  if (depth > LIMITS.depth) envelopeInvalid(where, `nests deeper than ${LIMITS.depth} levels`);
  if (++c.items > LIMITS.cborItems) envelopeInvalid(where, `has more than ${LIMITS.cborItems} CBOR items`);
  if (c.pos >= b.byteLength) envelopeInvalid(where, 'is truncated CBOR');
  const initial = b[c.pos++] ?? 0;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (major === 7) {
    if (info >= 20 && info <= 23) return;
    if (info >= 25 && info <= 27) {
      readArgument(b, c, info, where);
      return;
    }
    envelopeInvalid(where, `uses a CBOR simple value (${info}) that COSE envelopes do not carry`);
  }
  const arg = readArgument(b, c, info, where);
  switch (major) {
    case 0:
    case 1:
      return;
    case 2:
      c.pos += length(arg, b, c, where);
      return;
    case 3: {
      const n = length(arg, b, c, where);
      try {
        utf8.decode(b.subarray(c.pos, c.pos + n));
      } catch (cause) {
        envelopeInvalid(where, 'has a CBOR text string that is not valid UTF-8', cause);
      }
      c.pos += n;
      return;
    }
    case 4: {
      const n = length(arg, b, c, where);
      for (let i = 0; i < n; i++) walk(b, c, depth + 1, where);
      return;
    }
    case 5: {
      const n = length(arg, b, c, where);
      const keys = new Set<string>();
      for (let i = 0; i < n; i++) {
        const keyStart = c.pos;
        walk(b, c, depth + 1, where);
        const key = keyIdentity(b, keyStart, c.pos, where);
        if (keys.has(key)) envelopeInvalid(where, 'has a CBOR map with a duplicate key');
        keys.add(key);
        walk(b, c, depth + 1, where);
      }
      return;
    }
    default: // major 6: a tag
      if (arg === CBOR_TAG.epochTime) {
        checkEpochTime(b, c.pos, where);
      } else if (arg !== CBOR_TAG.coseSign1 || depth !== 0) {
        envelopeInvalid(where, `uses CBOR tag ${arg}, which Notary Project COSE envelopes do not carry here`);
      }
      walk(b, c, depth + 1, where);
  }
}

/** Throws ENVELOPE_INVALID unless `bytes` is exactly one well-formed data item within the bounds above. */
export function checkWellFormed(bytes: Uint8Array, where: string): void {
  const c: Cursor = { pos: 0, items: 0 };
  walk(bytes, c, 0, where);
  if (c.pos !== bytes.byteLength) envelopeInvalid(where, `has ${bytes.byteLength - c.pos} trailing bytes after the CBOR item`);
}

/** Checks then decodes one CBOR item with cbor-x: maps are Map, byte strings Uint8Array, tag 1 Date, tag 18 Tag. */
export function decodeCbor(bytes: Uint8Array, where: string): unknown {
  checkWellFormed(bytes, where);
  try {
    return decoder.decode(bytes) as unknown;
  } catch (cause) {
    return envelopeInvalid(where, `is not valid CBOR (${(cause as Error).message})`, cause);
  }
}

/** Every Map in `value`, in length-first then bytewise order of encoded keys (RFC 7049 §3.9, as go-cose encodes). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Tag) return new Tag(canonical(value.value), value.tag);
  if (!(value instanceof Map)) return value;
  const entries = [...(value as Map<unknown, unknown>)].map(([k, v]) => ({ k, v: canonical(v), e: Buffer.from(encoder.encode(k)) }));
  entries.sort((a, b) => a.e.length - b.e.length || Buffer.compare(a.e, b.e));
  return new Map(entries.map(({ k, v }) => [k, v]));
}

/**
 * Encodes with cbor-x: Map as a CBOR map in canonical key order, Uint8Array as a byte string, `new Tag(v, n)` as
 * tag n. Callers pass only these types plus integers, strings and arrays.
 */
export function encodeCbor(value: unknown): Uint8Array {
  return new Uint8Array(encoder.encode(canonical(value)));
}

/** The COSE_Sign1 ToBeSigned bytes: Sig_structure ["Signature1", protected, external_aad = h'', payload]. */
export function coseSigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}
