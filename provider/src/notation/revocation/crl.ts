/**
 * Certificate revocation lists (RFC 5280 section 5) as notation-core-go checks them: the CRL is signed by the
 * certificate's issuer (whose keyUsage, when present, allows cRLSign), names that issuer, is current (thisUpdate not
 * in the future, nextUpdate not passed), is a complete base CRL (delta CRLs and unknown critical extensions make the
 * status undeterminable), and then the certificate is revoked when its serial number is listed, unless the entry's
 * invalidityDate is later than the authentic signing time.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CRLReason,
  CertificateList,
  InvalidityDate,
  id_ce_cRLReasons,
  id_ce_invalidityDate,
  type Extension,
} from '@peculiar/asn1-x509';
import { NotationError } from '../errors.js';
import type { Certificate } from '../x509/index.js';
import { signatureFailure } from './signature.js';
import { REVOCATION_REASONS } from './types.js';

/** Download and file cap (notation-core-go's maxCRLSize). */
export const MAX_CRL_BYTES = 32 * 1024 * 1024;
/** Tolerated clock difference for a thisUpdate in the future. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

const OID = {
  freshestCRL: '2.5.29.46',
  deltaCRLIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  cRLNumber: '2.5.29.20',
  authorityKeyIdentifier: '2.5.29.35',
} as const;
const KNOWN_CRL_EXTENSIONS = new Set<string>([OID.issuingDistributionPoint, OID.cRLNumber, OID.authorityKeyIdentifier]);

export interface CrlEntry {
  readonly revocationTime: Date;
  readonly reason?: string;
  readonly invalidityDate?: Date;
  /** A critical entry extension this checker does not understand (e.g. certificateIssuer of an indirect CRL). */
  readonly unsupported?: string;
}

/** A decoded CRL; nothing about it is trusted until `crlAuthorityProblem` and `crlTimeProblem` have accepted it. */
export interface Crl {
  readonly raw: Uint8Array;
  /** Lowercase hex SHA-256 of `raw`. */
  readonly fingerprint256: string;
  /** Where it came from: a URL or `file <name>`. */
  readonly source: string;
  readonly issuerRaw: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** Revoked serial numbers (lowercase hex, no leading zero octets). */
  readonly entries: ReadonlyMap<string, CrlEntry>;
  /** Set for a delta CRL, a CRL that points to delta CRLs, or an unknown critical CRL extension. */
  readonly unsupported?: string;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: CertificateList['signatureAlgorithm'];
  readonly signature: Uint8Array;
}

function serialHex(bytes: ArrayBuffer): string {
  const b = new Uint8Array(bytes);
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return Buffer.from(b.subarray(i)).toString('hex');
}

function entryOf(revocationTime: Date, extensions: readonly Extension[] | undefined): CrlEntry {
  let reason: string | undefined;
  let invalidityDate: Date | undefined;
  let unsupported: string | undefined;
  for (const ext of extensions ?? []) {
    if (ext.extnID === id_ce_cRLReasons) {
      const code = AsnConvert.parse(ext.extnValue, CRLReason).reason;
      reason = REVOCATION_REASONS[code] ?? `reason ${code}`;
    } else if (ext.extnID === id_ce_invalidityDate) {
      invalidityDate = AsnConvert.parse(ext.extnValue, InvalidityDate).value;
    } else if (ext.critical) {
      unsupported = `an entry has the unsupported critical extension ${ext.extnID}`;
    }
  }
  return { revocationTime, ...(reason ? { reason } : {}), ...(invalidityDate ? { invalidityDate } : {}), ...(unsupported ? { unsupported } : {}) };
}

function invalid(source: string, reason: string, cause?: unknown): NotationError {
  return new NotationError(
    'REVOCATION_LIST_INVALID',
    `the CRL from ${source} is not a valid DER X.509 CRL: ${reason}; supply the CRL exactly as the CA publishes it (DER, or PEM "X509 CRL")`,
    cause === undefined ? undefined : { cause },
  );
}

/** Decodes one DER CRL (REVOCATION_LIST_INVALID when it does not decode or exceeds MAX_CRL_BYTES). */
export function parseCrl(der: Uint8Array, source: string): Crl {
  if (der.byteLength === 0) throw invalid(source, 'it is empty');
  if (der.byteLength > MAX_CRL_BYTES) throw invalid(source, `it is ${der.byteLength} bytes, more than the ${MAX_CRL_BYTES}-byte limit`);
  let list: CertificateList;
  try {
    list = AsnConvert.parse(der, CertificateList);
  } catch (err) {
    throw invalid(source, err instanceof Error ? err.message : String(err), err);
  }
  if (!list.tbsCertListRaw) throw invalid(source, 'its TBSCertList bytes are missing');
  const tbs = list.tbsCertList;
  const entries = new Map<string, CrlEntry>();
  let unsupported: string | undefined;
  try {
    for (const e of tbs.revokedCertificates ?? []) {
      const serial = serialHex(e.userCertificate);
      const entry = entryOf(e.revocationDate.getTime(), e.crlEntryExtensions);
      const prior = entries.get(serial);
      // The same serial listed twice: keep the earlier revocation (the stricter reading).
      if (!prior || entry.revocationTime < prior.revocationTime) entries.set(serial, entry);
    }
    for (const ext of tbs.crlExtensions ?? []) {
      if (ext.extnID === OID.freshestCRL || ext.extnID === OID.deltaCRLIndicator) {
        unsupported = 'delta CRLs are not supported';
      } else if (ext.critical && !KNOWN_CRL_EXTENSIONS.has(ext.extnID)) {
        unsupported = `it has the unsupported critical extension ${ext.extnID}`;
      }
    }
  } catch (err) {
    throw invalid(source, `an extension does not decode (${err instanceof Error ? err.message : String(err)})`, err);
  }
  const nextUpdate = tbs.nextUpdate?.getTime();
  return Object.freeze({
    raw: der,
    fingerprint256: createHash('sha256').update(der).digest('hex'),
    source,
    issuerRaw: new Uint8Array(AsnConvert.serialize(tbs.issuer)),
    thisUpdate: tbs.thisUpdate.getTime(),
    ...(nextUpdate ? { nextUpdate } : {}),
    entries,
    ...(unsupported ? { unsupported } : {}),
    tbs: new Uint8Array(list.tbsCertListRaw),
    signatureAlgorithm: list.signatureAlgorithm,
    signature: new Uint8Array(list.signature),
  });
}

const PEM_CRL = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+)-----END X509 CRL-----/g;

/** A CRL file: one or more PEM "X509 CRL" blocks, or one DER CRL. */
export function parseCrlFile(bytes: Uint8Array, name: string): Crl[] {
  const source = `file ${name}`;
  if (bytes.byteLength > MAX_CRL_BYTES) throw invalid(source, `it is ${bytes.byteLength} bytes, more than the ${MAX_CRL_BYTES}-byte limit`);
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const blocks = [...text.matchAll(PEM_CRL)].map((m) => new Uint8Array(Buffer.from(m[1] ?? '', 'base64')));
    if (blocks.length === 0) throw invalid(source, 'it is PEM but holds no "X509 CRL" block');
    return blocks.map((der) => parseCrl(der, source));
  }
  return [parseCrl(bytes, source)];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** Whether the CRL names `issuer` as its issuer (byte-equal names, as path validation compares them). */
export function crlNamesIssuer(crl: Crl, issuer: Certificate): boolean {
  return sameBytes(crl.issuerRaw, issuer.rawSubject);
}

/**
 * Why `crl` cannot speak for certificates of `issuer`, or undefined when it can: it names another issuer, the issuer
 * may not sign CRLs, the signature does not verify, or it is a kind of CRL this checker does not support. Independent
 * of time, so callers may remember the answer per (CRL, issuer).
 */
export function crlAuthorityProblem(crl: Crl, issuer: Certificate): string | undefined {
  if (!crlNamesIssuer(crl, issuer)) return `it is not issued by "${issuer.subject}"`;
  if (issuer.keyUsage && !issuer.keyUsage.usages.includes('cRLSign')) {
    return `its issuer "${issuer.subject}" has keyUsage without cRLSign`;
  }
  const bad = signatureFailure(issuer, crl.signatureAlgorithm, crl.tbs, crl.signature);
  if (bad) return `it is not signed by the CA "${issuer.subject}": ${bad}`;
  return crl.unsupported;
}

/** Why `crl` is not current at `now` (thisUpdate in the future, or nextUpdate passed), or undefined. */
export function crlTimeProblem(crl: Crl, now: Date): string | undefined {
  if (crl.thisUpdate.getTime() - CLOCK_SKEW_MS > now.getTime()) {
    return `its thisUpdate ${crl.thisUpdate.toISOString()} is in the future (now ${now.toISOString()})`;
  }
  if (crl.nextUpdate && now > crl.nextUpdate) {
    return `it expired: its nextUpdate ${crl.nextUpdate.toISOString()} has passed (now ${now.toISOString()}); the CA must publish a new CRL`;
  }
  return undefined;
}

/** The entry for `cert`, after the invalidityDate rule; undefined when the CRL does not revoke it. */
export function crlEntryFor(crl: Crl, cert: Certificate, signingTime: Date | undefined): CrlEntry | undefined {
  const entry = crl.entries.get(cert.serialNumber);
  if (!entry) return undefined;
  // RFC 5280 5.3.2 and notation-core-go: a signature made before the key became invalid is not affected.
  if (signingTime && entry.invalidityDate && signingTime < entry.invalidityDate) return undefined;
  return entry;
}
