/**
 * JWS envelope parser (signature-envelope-jws.md): the flattened JWS JSON serialization only, strict base64url,
 * protected header a JSON object, unprotected `header` carrying x5c (standard base64 DER, leaf first),
 * io.cncf.notary.signingAgent and io.cncf.notary.timestampSignature.
 *
 * Unprotected header names are matched case-insensitively and unknown ones are ignored, as notation-core-go does
 * (Go's encoding/json), which is why notation-made envelopes with `io.cncf.notary.SigningAgent` read fine. Unprotected
 * values are not signed: ignoring an unknown one cannot weaken verification.
 */
import { JWS_HEADER, JWS_MEMBERS, JWS_REGISTERED_HEADERS, HEADER, LIMITS } from './constants.js';
import { algorithmByJwsName } from './algorithms.js';
import { decodeBase64, decodeBase64Url, decodeUtf8, envelopeInvalid, isJsonObject, parseJson } from './encoding.js';
import type { EnvelopeParts } from './integrity.js';
import type { ProtectedHeaderView } from './signedAttributes.js';

const WHERE = 'JWS envelope';
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** RFC 3339 date-time (as Go's time.RFC3339 reads it: upper-case T and Z, offsets allowed, no leap second). */
export function parseRfc3339(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = m[7] ?? '';
  const zone = m[8] ?? 'Z';
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, ms);
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}

function protectedView(header: Record<string, unknown>): ProtectedHeaderView {
  const has = (name: string): boolean => Object.prototype.hasOwnProperty.call(header, name);
  return {
    format: 'JWS',
    crit: has(JWS_HEADER.crit) ? header[JWS_HEADER.crit] : undefined,
    contentType: has(JWS_HEADER.cty) ? header[JWS_HEADER.cty] : undefined,
    get: (name) => (has(name) ? header[name] : undefined),
    has,
    isRegistered: (name) => JWS_REGISTERED_HEADERS.has(name),
    readTime: parseRfc3339,
    timeEncoding: 'an RFC 3339 date-time string',
  };
}

interface UnsignedAttributes {
  certificateChain?: Uint8Array[];
  signingAgent?: string;
  timestampSignature?: Uint8Array;
}

function readUnprotected(header: unknown): UnsignedAttributes {
  if (!isJsonObject(header)) envelopeInvalid(WHERE, 'the unprotected "header" must be a JSON object');
  const out: UnsignedAttributes = {};
  for (const [name, value] of Object.entries(header)) {
    switch (name.toLowerCase()) {
      case JWS_HEADER.x5c: {
        const where = `${WHERE}: header "x5c"`;
        if (!Array.isArray(value) || value.length === 0) envelopeInvalid(where, 'must be a non-empty array of base64 DER certificates');
        if (value.length > LIMITS.certificates) envelopeInvalid(where, `has more than ${LIMITS.certificates} certificates`);
        out.certificateChain = value.map((cert: unknown, i) => {
          const der = decodeBase64(cert, `${where}[${i}]`);
          if (der.byteLength === 0) envelopeInvalid(`${where}[${i}]`, 'is empty');
          return der;
        });
        break;
      }
      case HEADER.signingAgent.toLowerCase():
        if (typeof value !== 'string') envelopeInvalid(`${WHERE}: header "${name}"`, 'must be a string');
        out.signingAgent = value;
        break;
      case HEADER.timestampSignature.toLowerCase():
        out.timestampSignature = decodeBase64(value, `${WHERE}: header "${name}"`);
        break;
      default: // unknown unsigned attribute: ignored, as notation does
    }
  }
  return out;
}

/** Parses a JWS envelope's structure; semantic checks and the signature check happen in verifyParts. */
export function parseJws(bytes: Uint8Array): EnvelopeParts {
  const doc = parseJson(decodeUtf8(bytes, WHERE), WHERE);
  if (!isJsonObject(doc)) envelopeInvalid(WHERE, 'is not a JSON object');
  for (const member of Object.keys(doc)) {
    if (!JWS_MEMBERS.has(member)) {
      const hint = member === 'signatures' ? ' (the general JWS JSON serialization is not supported)' : '';
      envelopeInvalid(WHERE, `has the member ${JSON.stringify(member)}${hint}; only the flattened JWS JSON serialization (payload, protected, header, signature) is allowed`);
    }
  }
  for (const member of JWS_MEMBERS) {
    if (!Object.prototype.hasOwnProperty.call(doc, member)) envelopeInvalid(WHERE, `is missing the member "${member}"`);
  }
  const protectedB64 = doc.protected;
  const payloadB64 = doc.payload;
  const protectedBytes = decodeBase64Url(protectedB64, `${WHERE}: "protected"`);
  const payload = decodeBase64Url(payloadB64, `${WHERE}: "payload"`);
  const signature = decodeBase64Url(doc.signature, `${WHERE}: "signature"`);
  if (signature.byteLength === 0) envelopeInvalid(WHERE, 'the signature is empty');
  const where = `${WHERE}: protected header`;
  const header = parseJson(decodeUtf8(protectedBytes, where), where);
  if (!isJsonObject(header)) envelopeInvalid(where, 'is not a JSON object');
  const unsigned = readUnprotected(doc.header);
  if (!unsigned.certificateChain) envelopeInvalid(WHERE, 'the unprotected header has no certificate chain ("x5c")');
  const alg = Object.prototype.hasOwnProperty.call(header, JWS_HEADER.alg) ? header[JWS_HEADER.alg] : undefined;
  return {
    view: protectedView(header),
    alg,
    algorithm: algorithmByJwsName(alg),
    signingInput: Buffer.from(`${protectedB64 as string}.${payloadB64 as string}`, 'ascii'),
    signature,
    certificateChain: unsigned.certificateChain,
    payload,
    ...(unsigned.signingAgent !== undefined ? { signingAgent: unsigned.signingAgent } : {}),
    ...(unsigned.timestampSignature ? { timestampSignature: unsigned.timestampSignature } : {}),
  };
}
