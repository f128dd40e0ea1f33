/**
 * OCSP (RFC 6960) as notation-core-go uses it: a request for one certificate with a SHA-1 CertID (the hash every
 * public responder supports) and no nonce (answers are cached until nextUpdate, which a nonce would defeat), and a
 * response that is only believed when it is successful, basic, signed by the issuer or by a responder certificate
 * the issuer delegated (issued by it, extKeyUsage OCSPSigning, valid now), about this certificate, current
 * (thisUpdate not in the future, nextUpdate present and not passed). Anything else: status could not be determined.
 */
import { createHash } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  BasicOCSPResponse,
  CertID,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  TBSRequest,
  id_kp_OCSPSigning,
  id_pkix_ocsp_basic,
  type SingleResponse,
} from '@peculiar/asn1-ocsp';
import { AlgorithmIdentifier, Certificate as AsnCertificate, InvalidityDate, id_ce_invalidityDate } from '@peculiar/asn1-x509';
import { isIssuedBy, parseCertificate, type Certificate } from '../x509/index.js';
import { CLOCK_SKEW_MS } from './crl.js';
import { signatureFailure } from './signature.js';
import { REVOCATION_REASONS } from './types.js';

/** notation-core-go's ocspMaxResponseSize. */
export const MAX_OCSP_RESPONSE_BYTES = 20480;
const MAX_RESPONDER_CERTIFICATES = 8;

const HASHES: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const SHA1 = '1.3.14.3.2.26';

/** What a verified response says about the certificate. */
export interface OcspAnswer {
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revocationTime?: Date;
  readonly reason?: string;
  readonly invalidityDate?: Date;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/** A response that cannot be believed; its message says why. */
export class OcspResponseError extends Error {}

function issuerKeyBits(issuer: Certificate): Uint8Array {
  const asn = AsnConvert.parse(issuer.raw, AsnCertificate);
  return new Uint8Array(asn.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
}

function serialBytes(cert: Certificate): Uint8Array {
  return new Uint8Array(AsnConvert.parse(cert.raw, AsnCertificate).tbsCertificate.serialNumber);
}

function certIdFor(cert: Certificate, issuer: Certificate, hashOid: string): CertID | undefined {
  const hash = HASHES[hashOid];
  if (hash === undefined) return undefined;
  const digest = (b: Uint8Array): OctetString => new OctetString(createHash(hash).update(b).digest());
  return new CertID({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: hashOid, parameters: null }),
    issuerNameHash: digest(issuer.rawSubject),
    issuerKeyHash: digest(issuerKeyBits(issuer)),
    serialNumber: serialBytes(cert).slice().buffer,
  });
}

/** The DER OCSPRequest for `cert` issued by `issuer`. */
export function createOcspRequest(cert: Certificate, issuer: Certificate): Uint8Array {
  const reqCert = certIdFor(cert, issuer, SHA1) as CertID;
  const request = new OCSPRequest({ tbsRequest: new TBSRequest({ requestList: [new Request({ reqCert })] }) });
  return new Uint8Array(AsnConvert.serialize(request));
}

const same = (a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean => Buffer.from(new Uint8Array(a)).equals(new Uint8Array(b));

function matches(single: SingleResponse, cert: Certificate, issuer: Certificate): boolean {
  const expected = certIdFor(cert, issuer, single.certID.hashAlgorithm.algorithm);
  if (!expected) return false;
  const got = single.certID;
  return (
    same(got.issuerNameHash.buffer, expected.issuerNameHash.buffer) &&
    same(got.issuerKeyHash.buffer, expected.issuerKeyHash.buffer) &&
    same(got.serialNumber, expected.serialNumber)
  );
}

/** The certificate whose key signed the response: the issuer, or a delegated responder the issuer certified. */
function responderOf(basic: BasicOCSPResponse, issuer: Certificate, now: Date): Certificate {
  const tbs = new Uint8Array(basic.tbsResponseDataRaw ?? new ArrayBuffer(0));
  const signature = new Uint8Array(basic.signature);
  const direct = signatureFailure(issuer, basic.signatureAlgorithm, tbs, signature);
  if (direct === undefined) return issuer;
  const reasons = [`not signed by the issuer "${issuer.subject}" (${direct})`];
  for (const embedded of (basic.certs ?? []).slice(0, MAX_RESPONDER_CERTIFICATES)) {
    let responder: Certificate;
    try {
      responder = parseCertificate(new Uint8Array(AsnConvert.serialize(embedded)), 'the OCSP responder certificate');
    } catch {
      reasons.push('an embedded responder certificate does not parse');
      continue;
    }
    if (signatureFailure(responder, basic.signatureAlgorithm, tbs, signature) !== undefined) continue;
    if (!isIssuedBy(responder, issuer)) {
      reasons.push(`its responder certificate "${responder.subject}" is not issued by "${issuer.subject}"`);
    } else if (!responder.extKeyUsage?.purposes.includes(id_kp_OCSPSigning)) {
      reasons.push(`its responder certificate "${responder.subject}" lacks extKeyUsage OCSPSigning`);
    } else if (now < responder.notBefore || now > responder.notAfter) {
      reasons.push(`its responder certificate "${responder.subject}" is not valid now`);
    } else {
      return responder;
    }
  }
  throw new OcspResponseError(`the response is not signed by an authorized responder: ${reasons.join('; ')}`);
}

const RESPONSE_STATUS: Readonly<Record<number, string>> = {
  [OCSPResponseStatus.malformedRequest]: 'malformedRequest',
  [OCSPResponseStatus.internalError]: 'internalError',
  [OCSPResponseStatus.tryLater]: 'tryLater',
  [OCSPResponseStatus.sigRequired]: 'sigRequired',
  [OCSPResponseStatus.unauthorized]: 'unauthorized',
};

/** Decodes and verifies an OCSP response for `cert`; throws OcspResponseError when it cannot be believed. */
export function verifyOcspResponse(der: Uint8Array, cert: Certificate, issuer: Certificate, now: Date): OcspAnswer {
  let basic: BasicOCSPResponse;
  try {
    const response = AsnConvert.parse(der, OCSPResponse);
    if (response.responseStatus !== OCSPResponseStatus.successful) {
      throw new OcspResponseError(`the responder answered ${RESPONSE_STATUS[response.responseStatus] ?? `status ${response.responseStatus}`}`);
    }
    if (!response.responseBytes || response.responseBytes.responseType !== id_pkix_ocsp_basic) {
      throw new OcspResponseError('the response is not a basic OCSP response');
    }
    basic = AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
  } catch (err) {
    if (err instanceof OcspResponseError) throw err;
    throw new OcspResponseError(`the response does not decode (${err instanceof Error ? err.message : String(err)})`);
  }
  responderOf(basic, issuer, now);
  const single = basic.tbsResponseData.responses.find((r) => matches(r, cert, issuer));
  if (!single) throw new OcspResponseError(`the response is not about certificate serial ${cert.serialNumber}`);
  if (single.thisUpdate.getTime() - CLOCK_SKEW_MS > now.getTime()) {
    throw new OcspResponseError(`its thisUpdate ${single.thisUpdate.toISOString()} is in the future (now ${now.toISOString()})`);
  }
  if (!single.nextUpdate) throw new OcspResponseError('the response has no nextUpdate, so it cannot be known to be current');
  if (now > single.nextUpdate) {
    throw new OcspResponseError(`the response expired: its nextUpdate ${single.nextUpdate.toISOString()} has passed (now ${now.toISOString()})`);
  }
  const times = { thisUpdate: single.thisUpdate, nextUpdate: single.nextUpdate };
  const revoked = single.certStatus.revoked;
  if (revoked) {
    let invalidityDate: Date | undefined;
    for (const ext of single.singleExtensions ?? []) {
      if (ext.extnID !== id_ce_invalidityDate) continue;
      try {
        invalidityDate = AsnConvert.parse(ext.extnValue, InvalidityDate).value;
      } catch {
        // notation-core-go ignores an invalidity date that does not decode: the certificate stays revoked
      }
    }
    const code = revoked.revocationReason?.reason;
    return {
      status: 'revoked',
      revocationTime: revoked.revocationTime,
      ...(code !== undefined ? { reason: REVOCATION_REASONS[code] ?? `reason ${code}` } : {}),
      ...(invalidityDate ? { invalidityDate } : {}),
      ...times,
    };
  }
  if (single.certStatus.good !== undefined) return { status: 'good', ...times };
  return { status: 'unknown', ...times };
}
