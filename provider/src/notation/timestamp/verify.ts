/**
 * RFC 3161 timestamp countersignature verification for the Notary Project ("Validate Trusted Timestamp" in
 * trust-store-trust-policy.md), in the order notation-go applies it: parse the token, read the TSTInfo and check that
 * it covers the signature, verify the CMS signer against its TSA certificate, build the TSA chain to a `tsa` store
 * root, apply the timestamping chain rules, and require the chain to be valid at genTime.
 */
import { createHash } from 'node:crypto';
import { NotationError } from '../errors.js';
import { checkValidityAt, validateTimestampingCertChain, type Certificate } from '../x509/index.js';
import { parseToken } from './cms.js';
import { timestampInvalid } from './errors.js';
import { OID } from './oids.js';
import { buildTsaChain, checkChainKeyPurposes } from './path.js';
import { signingCertificateOf, signingTimeOf, verifySignerInfo } from './signer.js';
import { checkMessageImprint, parseTstInfo, timestampInfo } from './tstinfo.js';

export interface VerifiedTimestamp {
  readonly genTime: Date;
  /** TSTInfo accuracy in milliseconds (1000 for the baseline policy without an explicit accuracy). */
  readonly accuracyMs: number;
  /** TSA signing certificate first, ending with the trusted root from the tsa store. */
  readonly tsaChain: readonly Certificate[];
}

/**
 * Successful verifications, keyed by the token, the signature and the trusted roots: the outcome depends on nothing
 * else (no clock), and the same envelope is verified again and again.
 */
const CACHE_LIMIT = 1024;
const verified = new Map<string, VerifiedTimestamp>();

function rewrap(err: unknown, what: string): never {
  if (err instanceof NotationError && err.code !== 'TIMESTAMP_INVALID') throw timestampInvalid(`${what}: ${err.message}`, err);
  throw err;
}

/**
 * Verifies `token` (a DER/BER TimeStampToken) as a countersignature over `signature` (the envelope's raw signature
 * bytes), trusting `tsaRoots` (the certificates of the policy's tsa stores). Throws TIMESTAMP_INVALID with the reason.
 */
export function verifyTimestampToken(token: Uint8Array, signature: Uint8Array, tsaRoots: readonly Certificate[]): VerifiedTimestamp {
  const key = [
    createHash('sha256').update(token).digest('hex'),
    createHash('sha256').update(signature).digest('hex'),
    ...tsaRoots.map((r) => r.fingerprint256).sort(),
  ].join(':');
  const hit = verified.get(key);
  if (hit) return hit;
  const result = verifyUncached(token, signature, tsaRoots);
  if (verified.size >= CACHE_LIMIT) {
    const oldest = verified.keys().next().value;
    if (oldest !== undefined) verified.delete(oldest);
  }
  verified.set(key, result);
  return result;
}

function verifyUncached(token: Uint8Array, signature: Uint8Array, tsaRoots: readonly Certificate[]): VerifiedTimestamp {
  const parsed = parseToken(token);
  if (parsed.eContentType !== OID.tstInfo) {
    throw timestampInvalid(
      `failed to parse the timestamp countersignature: its eContentType is ${parsed.eContentType}, not id-ct-TSTInfo (${OID.tstInfo})`,
    );
  }
  if (!parsed.eContent) throw timestampInvalid('failed to parse the timestamp countersignature: it has no encapsulated TSTInfo');
  const info = parseTstInfo(parsed.eContent);
  checkMessageImprint(info, signature);
  const { genTime, accuracyMs } = timestampInfo(info);
  if (parsed.signers.length === 0) throw timestampInvalid('the token has no SignerInfo');
  if (tsaRoots.length === 0) throw timestampInvalid('no TSA root certificate is trusted; the tsa trust store is empty');
  let lastError: unknown;
  // As tspclient-go: the first SignerInfo that verifies wins; otherwise the last failure is reported.
  for (const signer of parsed.signers) {
    try {
      const cert = signingCertificateOf(parsed, signer);
      verifySignerInfo(parsed, signer, cert);
      const chain = buildTsaChain(cert, parsed.certificates, tsaRoots);
      checkChainKeyPurposes(chain);
      try {
        validateTimestampingCertChain(chain);
      } catch (err) {
        rewrap(err, 'the TSA certificate chain breaks a certificate requirement');
      }
      try {
        checkValidityAt(chain, genTime, "the timestamp's genTime");
      } catch (err) {
        rewrap(err, 'the TSA certificate chain was not valid when the timestamp was issued');
      }
      const signingTime = signingTimeOf(signer.info);
      if (signingTime) {
        try {
          checkValidityAt(chain, signingTime, 'the CMS signingTime');
        } catch (err) {
          rewrap(err, 'the TSA certificate chain was not valid at the signingTime of the token');
        }
      }
      return Object.freeze({ genTime, accuracyMs, tsaChain: Object.freeze(chain) });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** RFC 3161 2.4.2 limits of a verified timestamp: [genTime - accuracy, genTime + accuracy]. */
export function timestampWindow(ts: Pick<VerifiedTimestamp, 'genTime' | 'accuracyMs'>): { readonly lowerLimit: Date; readonly upperLimit: Date } {
  const t = ts.genTime.getTime();
  return Object.freeze({ lowerLimit: new Date(t - ts.accuracyMs), upperLimit: new Date(t + ts.accuracyMs) });
}
