/**
 * The sign request and its validation into what the envelope builders consume (notation-core-go
 * validateSignRequest: times truncated to seconds, expiry after signing time, a signing scheme, a chain whose leaf
 * holds the signing key). Certificate-chain rules themselves belong to ../x509.
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { NotationError } from '../errors.js';
import type { Payload, SigningScheme } from '../types.js';
import { serializePayload } from './payload.js';

export const DEFAULT_SIGNING_AGENT = 'signgate/0.1.0';

export interface SignRequest {
  readonly format: 'jws' | 'cose';
  readonly payload: Payload;
  /** RSA (2048/3072/4096) or EC (P-256/384/521) private key; it decides the algorithm. */
  readonly privateKey: KeyObject;
  /** DER, leaf first; the leaf must hold the public half of privateKey. */
  readonly certificateChain: readonly Uint8Array[];
  readonly signingScheme: SigningScheme;
  /** signingTime (notary.x509) or authenticSigningTime (notary.x509.signingAuthority); truncated to seconds. */
  readonly signingTime: Date;
  readonly expiry?: Date;
  /** Default 'signgate/<version>'; an empty string omits the attribute. */
  readonly signingAgent?: string;
  /** Given the raw signature bytes, returns a DER RFC 3161 TimeStampToken to attach (notary.x509 only). */
  readonly timestamper?: (signature: Uint8Array) => Promise<Uint8Array>;
}

/** A validated request. */
export interface SigningInput {
  readonly payload: Uint8Array;
  readonly privateKey: KeyObject;
  readonly certificateChain: readonly Uint8Array[];
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

function checkLeafHoldsKey(leaf: Uint8Array, privateKey: KeyObject): void {
  let certKey: Buffer;
  try {
    certKey = new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' });
  } catch (cause) {
    invalid('the first certificate of the chain does not parse as an X.509 certificate', cause);
  }
  const ownKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!certKey.equals(ownKey)) invalid('the private key does not belong to the first (leaf) certificate of the chain');
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
  if (req.privateKey?.type !== 'private') invalid('privateKey must be a private KeyObject');
  const chain = req.certificateChain;
  if (!Array.isArray(chain) || chain.length === 0) invalid('the certificate chain is empty; pass the leaf certificate first');
  for (const [i, der] of chain.entries()) {
    if (!(der instanceof Uint8Array) || der.byteLength === 0) invalid(`certificate ${i} of the chain is not DER bytes`);
  }
  checkLeafHoldsKey(chain[0] as Uint8Array, req.privateKey);
  const signingTime = seconds(req.signingTime, 'signingTime');
  const expiry = req.expiry === undefined ? undefined : seconds(req.expiry, 'expiry');
  if (expiry && expiry.getTime() <= signingTime.getTime()) invalid('expiry must be later than the signing time');
  if (req.timestamper && req.signingScheme !== 'notary.x509') {
    invalid('a timestamp countersignature applies only to the notary.x509 signing scheme');
  }
  return {
    payload: serializePayload(req.payload),
    privateKey: req.privateKey,
    certificateChain: [...chain],
    signingScheme: req.signingScheme,
    signingTime,
    ...(expiry ? { expiry } : {}),
    signingAgent: req.signingAgent ?? DEFAULT_SIGNING_AGENT,
    ...(req.timestamper ? { timestamper: wrapTimestamper(req.timestamper) } : {}),
  };
}
