/**
 * Where a certificate's revocation status is published: the OCSP responders of its authorityInfoAccess extension and
 * the URIs of its cRLDistributionPoints (RFC 5280 4.2.2.1, 4.2.1.13). Only the full-name URIs of distribution points
 * are read, as Go's crypto/x509 does; at most MAX_ENDPOINTS of each kind are used.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  CRLDistributionPoints,
  Certificate as AsnCertificate,
  id_ce_cRLDistributionPoints,
  id_pe_authorityInfoAccess,
} from '@peculiar/asn1-x509';
import type { Certificate } from '../x509/index.js';

const ID_AD_OCSP = '1.3.6.1.5.5.7.48.1';
export const MAX_ENDPOINTS = 8;
const CACHE_LIMIT = 2048;
const cache = new Map<string, RevocationEndpoints>();

export interface RevocationEndpoints {
  readonly ocsp: readonly string[];
  readonly crl: readonly string[];
  /** Set when the authorityInfoAccess or cRLDistributionPoints extension does not decode (status: unknown). */
  readonly problem?: string;
}

function read(cert: Certificate): RevocationEndpoints {
  const ocsp: string[] = [];
  const crl: string[] = [];
  let asn: AsnCertificate;
  try {
    asn = AsnConvert.parse(cert.raw, AsnCertificate);
  } catch {
    return { ocsp, crl, problem: 'the certificate does not decode' };
  }
  let problem: string | undefined;
  for (const ext of asn.tbsCertificate.extensions ?? []) {
    try {
      if (ext.extnID === id_pe_authorityInfoAccess) {
        for (const ad of AsnConvert.parse(ext.extnValue, AuthorityInfoAccessSyntax)) {
          const uri = ad.accessLocation.uniformResourceIdentifier;
          if (ad.accessMethod === ID_AD_OCSP && uri !== undefined) ocsp.push(uri);
        }
      } else if (ext.extnID === id_ce_cRLDistributionPoints) {
        for (const dp of AsnConvert.parse(ext.extnValue, CRLDistributionPoints)) {
          for (const name of dp.distributionPoint?.fullName ?? []) {
            if (name.uniformResourceIdentifier !== undefined) crl.push(name.uniformResourceIdentifier);
          }
        }
      }
    } catch {
      // Fail closed: a certificate whose revocation endpoints cannot be read is not "without endpoints".
      problem = `its ${ext.extnID === id_pe_authorityInfoAccess ? 'authorityInfoAccess' : 'cRLDistributionPoints'} extension does not decode`;
    }
  }
  return { ocsp: ocsp.slice(0, MAX_ENDPOINTS), crl: crl.slice(0, MAX_ENDPOINTS), ...(problem ? { problem } : {}) };
}

/** The certificate's OCSP responder URLs and CRL distribution point URLs (remembered by fingerprint). */
export function revocationEndpoints(cert: Certificate): RevocationEndpoints {
  const hit = cache.get(cert.fingerprint256);
  if (hit) return hit;
  const found = Object.freeze(read(cert));
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(cert.fingerprint256, found);
  return found;
}
