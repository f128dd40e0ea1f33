/**
 * Hand-crafted Notary Project envelopes for tests: every header, member and byte can be set, including wrong ones,
 * and the result is still signed correctly (unless a test tampers afterwards). Deliberately independent of
 * provider/src/notation/signer: it signs with node:crypto and encodes with its own cbor-x configuration, so the parser
 * is tested against a second implementation of the spec.
 */
import assert from 'node:assert/strict';
import { constants, sign, type KeyObject } from 'node:crypto';
import { Encoder, Tag } from 'cbor-x';
import { NotationError, type NotationErrorCode } from '../../provider/src/notation/errors.js';

export type Alg = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

export const PAYLOAD_CTY = 'application/vnd.cncf.notary.payload.v1+json';
export const COSE_ALG: Readonly<Record<Alg, number>> = { PS256: -37, PS384: -38, PS512: -39, ES256: -7, ES384: -35, ES512: -36 };
export const H = {
  scheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  plugin: 'io.cncf.notary.verificationPlugin',
  pluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
  agent: 'io.cncf.notary.signingAgent',
  timestamp: 'io.cncf.notary.timestampSignature',
} as const;

/** A valid payload for a manifest digest. */
export function notaryPayload(digest = `sha256:${'ab'.repeat(32)}`, size = 528): Uint8Array {
  const doc = { targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size } };
  return new TextEncoder().encode(JSON.stringify(doc));
}

/** Signs `data` as `alg` prescribes (RSASSA-PSS salt = hash length; ECDSA raw r||s). */
export function rawSign(alg: Alg, key: KeyObject, data: Uint8Array): Uint8Array {
  const hash = `sha${alg.slice(2)}`;
  const options = alg.startsWith('PS')
    ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 }
    : { key, dsaEncoding: 'ieee-p1363' as const };
  return new Uint8Array(sign(hash, data, options));
}

export interface Times {
  readonly scheme?: 'notary.x509' | 'notary.x509.signingAuthority';
  readonly signingTime?: Date;
  readonly expiry?: Date;
}

const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The protected header notation writes for JWS. */
export function jwsHeader(alg: Alg, t: Times = {}): Record<string, unknown> {
  const scheme = t.scheme ?? 'notary.x509';
  const time = t.signingTime ?? new Date('2025-03-01T12:00:00Z');
  const crit: string[] = [H.scheme];
  const h: Record<string, unknown> = { alg, cty: PAYLOAD_CTY, [H.scheme]: scheme };
  if (scheme === 'notary.x509') h[H.signingTime] = iso(time);
  else {
    h[H.authenticSigningTime] = iso(time);
    crit.push(H.authenticSigningTime);
  }
  if (t.expiry) {
    h[H.expiry] = iso(t.expiry);
    crit.push(H.expiry);
  }
  h.crit = crit;
  return h;
}

export interface JwsOptions {
  readonly alg: Alg;
  readonly key: KeyObject;
  readonly chain: readonly Uint8Array[];
  /** An object (JSON-encoded) or the exact protected header text. */
  readonly protectedHeader: Record<string, unknown> | string;
  readonly payload?: Uint8Array;
  /** Unprotected header; default { x5c }. */
  readonly header?: Record<string, unknown>;
  /** Edits the envelope object after signing (to tamper or add members). */
  readonly edit?: (envelope: Record<string, unknown>) => void;
}

export function craftJws(o: JwsOptions): Uint8Array {
  const protectedText = typeof o.protectedHeader === 'string' ? o.protectedHeader : JSON.stringify(o.protectedHeader);
  const protectedB64 = Buffer.from(protectedText).toString('base64url');
  const payloadB64 = Buffer.from(o.payload ?? notaryPayload()).toString('base64url');
  const signature = rawSign(o.alg, o.key, Buffer.from(`${protectedB64}.${payloadB64}`));
  const envelope: Record<string, unknown> = {
    payload: payloadB64,
    protected: protectedB64,
    header: o.header ?? { x5c: o.chain.map((c) => Buffer.from(c).toString('base64')) },
    signature: Buffer.from(signature).toString('base64url'),
  };
  o.edit?.(envelope);
  return new TextEncoder().encode(JSON.stringify(envelope));
}

const cbor = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false, variableMapSize: true } as ConstructorParameters<
  typeof Encoder
>[0]);

export function encodeCborForTest(value: unknown): Uint8Array {
  return new Uint8Array(cbor.encode(value));
}

export const epoch = (d: Date): Tag => new Tag(Math.floor(d.getTime() / 1000), 1);

/** The protected header notation writes for COSE. */
export function coseHeader(alg: Alg, t: Times = {}): Map<number | string, unknown> {
  const scheme = t.scheme ?? 'notary.x509';
  const time = t.signingTime ?? new Date('2025-03-01T12:00:00Z');
  const crit: string[] = [H.scheme];
  const h = new Map<number | string, unknown>([[1, COSE_ALG[alg]], [3, PAYLOAD_CTY], [H.scheme, scheme]]);
  if (scheme === 'notary.x509') h.set(H.signingTime, epoch(time));
  else {
    h.set(H.authenticSigningTime, epoch(time));
    crit.push(H.authenticSigningTime);
  }
  if (t.expiry) {
    h.set(H.expiry, epoch(t.expiry));
    crit.push(H.expiry);
  }
  h.set(2, crit);
  return h;
}

export interface CoseOptions {
  readonly alg: Alg;
  readonly key: KeyObject;
  readonly chain: readonly Uint8Array[];
  /** A header map (CBOR-encoded here) or the exact protected header bytes. */
  readonly protectedHeader: Map<number | string, unknown> | Uint8Array;
  readonly payload?: Uint8Array;
  /** Unprotected header; default { 33: chain }. */
  readonly unprotected?: Map<number | string, unknown>;
  /** The outer tag: default 18; null for an untagged COSE_Sign1. */
  readonly tag?: number | null;
  /** Replaces the 4-item array after signing (to tamper). */
  readonly edit?: (message: unknown[]) => unknown[];
}

export function craftCose(o: CoseOptions): Uint8Array {
  const protectedBytes = o.protectedHeader instanceof Uint8Array ? o.protectedHeader : encodeCborForTest(o.protectedHeader);
  const payload = o.payload ?? notaryPayload();
  const toBeSigned = encodeCborForTest(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const signature = rawSign(o.alg, o.key, toBeSigned);
  const unprotected = o.unprotected ?? new Map<number | string, unknown>([[33, o.chain.map((c) => new Uint8Array(c))]]);
  let message: unknown[] = [protectedBytes, unprotected, payload, signature];
  if (o.edit) message = o.edit(message);
  const tag = o.tag === undefined ? 18 : o.tag;
  return encodeCborForTest(tag === null ? message : new Tag(message, tag));
}

/** Asserts `fn` throws a NotationError with `code` (and a message matching `message`). */
export function assertNotationError(fn: () => unknown, code: NotationErrorCode, message?: RegExp): NotationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof NotationError, `expected a NotationError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}
