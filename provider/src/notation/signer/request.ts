/**
 * The sign request and its validation into what the envelope builders consume (notation-core-go
 * validateSignRequest: times truncated to seconds, expiry after signing time, a signing scheme, a key signer whose
 * leaf holds the key — see keySigner.ts). Certificate-chain rules themselves belong to ../x509.
 */
import type { KeyObject } from 'node:crypto';
import { NotationError } from '../errors.js';
import type { Payload, SigningScheme } from '../types.js';
import { checkKeySigner, privateKeySigner, type CheckedSigner, type KeySigner } from './keySigner.js';
import { serializePayload } from './payload.js';

export const DEFAULT_SIGNING_AGENT = 'signgate/0.1.0';

/**
 * What to sign and with which key: a `signer` (a key in custody), or a `privateKey` in memory with its
 * `certificateChain` (the key-file door, which becomes a `privateKeySigner`) — exactly one of the two.
 */
export interface SignRequest {
  readonly format: 'jws' | 'cose';
  readonly payload: Payload;
  readonly signer?: KeySigner;
  /** RSA (2048/3072/4096) or EC (P-256/384/521) private key; it decides the algorithm. */
  readonly privateKey?: KeyObject;
  /** DER, leaf first; the leaf must hold the public half of privateKey. */
  readonly certificateChain?: readonly Uint8Array[];
  readonly signingScheme: SigningScheme;
  /** signingTime (notary.x509) or authenticSigningTime (notary.x509.signingAuthority); truncated to seconds. */
  readonly signingTime: Date;
  readonly expiry?: Date;
  /** Default 'signgate/<version>'; an empty string omits the attribute. */
  readonly signingAgent?: string;
  /** Given the raw signature bytes, returns a DER RFC 3161 TimeStampToken to attach (notary.x509 only). */
  readonly timestamper?: (signature: Uint8Array) => Promise<Uint8Array>;
}

/** A validated request: the builders see only the checked signer. */
export interface SigningInput {
  readonly payload: Uint8Array;
  readonly signer: CheckedSigner;
  readonly signingScheme: SigningScheme;
  readonly signingTime: Date;
  readonly expiry?: Date;
  readonly signingAgent: string;
  readonly timestamper?: (signature: Uint8Array) => Promise<Uint8Array>;
}

function invalid(what: string, cause?: unknown): never {
  throw new NotationError('SIGN_REQUEST_INVALID', `cannot sign: ${what}`, cause === undefined ? undefined : { cause });
}

function seconds(date: unknown, name: string): Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) invalid(`${name} must be a valid Date`);
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function wrapTimestamper(timestamper: (signature: Uint8Array) => Promise<Uint8Array>) {
  return async (signature: Uint8Array): Promise<Uint8Array> => {
    const token = await timestamper(signature);
    if (!(token instanceof Uint8Array) || token.byteLength === 0) invalid('the timestamper returned no TimeStampToken');
    return token;
  };
}

export function validateSignRequest(req: SignRequest): SigningInput {
  if (req.signingScheme !== 'notary.x509' && req.signingScheme !== 'notary.x509.signingAuthority') {
    invalid(`signing scheme ${JSON.stringify(req.signingScheme)} is not notary.x509 or notary.x509.signingAuthority`);
  }
  if (req.signer !== undefined && (req.privateKey !== undefined || req.certificateChain !== undefined)) {
    invalid('pass either a key signer or a private key with its certificate chain, not both');
  }
  if (req.signer === undefined && req.privateKey === undefined) invalid('no key: pass a key signer or a private key with its certificate chain');
  const signer = checkKeySigner(req.signer ?? privateKeySigner(req.privateKey as KeyObject, req.certificateChain ?? []));
  const signingTime = seconds(req.signingTime, 'signingTime');
  const expiry = req.expiry === undefined ? undefined : seconds(req.expiry, 'expiry');
  if (expiry && expiry.getTime() <= signingTime.getTime()) invalid('expiry must be later than the signing time');
  if (req.timestamper && req.signingScheme !== 'notary.x509') {
    invalid('a timestamp countersignature applies only to the notary.x509 signing scheme');
  }
  return {
    payload: serializePayload(req.payload),
    signer,
    signingScheme: req.signingScheme,
    signingTime,
    ...(expiry ? { expiry } : {}),
    signingAgent: req.signingAgent ?? DEFAULT_SIGNING_AGENT,
    ...(req.timestamper ? { timestamper: wrapTimestamper(req.timestamper) } : {}),
  };
}
