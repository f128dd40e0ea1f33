/**
 * Certificate revocation lists (RFC 5280 section 5) as notation-core-go checks them: the CRL is signed by the
 * certificate's issuer (whose keyUsage, when present, allows cRLSign), names that issuer, is current (thisUpdate not
 * in the future, nextUpdate not passed), is a complete base CRL (delta CRLs and unknown critical extensions make the
 * status undeterminable), and then the certificate is revoked when its serial number is listed, unless the entry's
 * invalidityDate is later than the authentic signing time.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extensions } from '@peculiar/asn1-x509';
import { NotationError } from '../errors.js';
import { readChildren, readTlv, tlvBytes, type Certificate, type Tlv } from '../x509/index.js';
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
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
}

function serialHex(b: Uint8Array): string {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return Buffer.from(b.subarray(i)).toString('hex');
}

/** DER contents of the entry extension OIDs read here (2.5.29.21 reasonCode, 2.5.29.24 invalidityDate). */
const REASON_CODE_OID = '551d15';
const INVALIDITY_DATE_OID = '551d18';

/** Dotted text of a DER OBJECT IDENTIFIER's contents (for messages). */
function oidText(content: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const byte of content) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(Math.min(2, Math.floor(value / 40)), value - Math.min(2, Math.floor(value / 40)) * 40);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/**
 * A CRL entry's extensions (RFC 5280 5.3), decoded with the DER reader: one ASN.1-library parse per entry costs more
 * than the rest of a 10,000-entry CRL together. reasonCode and invalidityDate are read; any other critical extension
 * makes the entry unusable (status undeterminable).
 */
function entryOf(der: Uint8Array, revocationTime: Date, extensionsTlv: Tlv | undefined): CrlEntry {
  let reason: string | undefined;
  let invalidityDate: Date | undefined;
  let unsupported: string | undefined;
  for (const extTlv of extensionsTlv ? children(der, extensionsTlv, 'crlEntryExtensions') : []) {
    const parts = children(der, extTlv, 'a CRL entry extension');
    const [oidTlv] = parts;
    const valueTlv = parts[parts.length - 1];
    if (!oidTlv || oidTlv.tag !== TAG.oid || !valueTlv || valueTlv.tag !== TAG.octetString || parts.length > 3) {
      throw new Malformed('a CRL entry extension is malformed');
    }
    const critical = parts.length === 3 && parts[1]?.tag === TAG.boolean && der[(parts[1] as Tlv).contentStart] !== 0;
    const oid = Buffer.from(der.subarray(oidTlv.contentStart, oidTlv.end)).toString('hex');
    const inner = readTlv(der, valueTlv.contentStart, valueTlv.end);
    if (oid === REASON_CODE_OID) {
      if (!inner || inner.tag !== TAG.enumerated || inner.end - inner.contentStart !== 1) throw new Malformed('a reasonCode is not a one-octet ENUMERATED');
      const code = der[inner.contentStart] as number;
      reason = REVOCATION_REASONS[code] ?? `reason ${code}`;
    } else if (oid === INVALIDITY_DATE_OID) {
      if (!inner || inner.tag !== TAG.generalizedTime) throw new Malformed('an invalidityDate is not a GeneralizedTime');
      invalidityDate = timeOf(der, inner, 'an invalidityDate');
    } else if (critical) {
      unsupported = `an entry has the unsupported critical extension ${oidText(der.subarray(oidTlv.contentStart, oidTlv.end))}`;
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

/** A DER parse failure inside parseCrl; turned into REVOCATION_LIST_INVALID with the source. */
class Malformed extends Error {}

const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  enumerated: 0x0a,
  sequence: 0x30,
  utcTime: 0x17,
  generalizedTime: 0x18,
  extensions: 0xa0,
} as const;

/** UTCTime (YYMMDDHHMMSSZ, 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ), as RFC 5280 4.1.2.5 restricts them. */
function timeOf(der: Uint8Array, tlv: Tlv, what: string): Date {
  const text = Buffer.from(der.subarray(tlv.contentStart, tlv.end)).toString('latin1');
  const m = tlv.tag === TAG.utcTime ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text) : tlv.tag === TAG.generalizedTime ? /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text) : null;
  if (!m) throw new Malformed(`${what} is not a UTCTime or GeneralizedTime in UTC`);
  const n = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const year = tlv.tag === TAG.utcTime ? (n[0] < 50 ? 2000 + n[0] : 1900 + n[0]) : n[0];
  const date = new Date(Date.UTC(year, n[1] - 1, n[2], n[3], n[4], n[5]));
  if (date.getUTCMonth() !== n[1] - 1 || date.getUTCDate() !== n[2] || n[3] > 23 || n[4] > 59 || n[5] > 59) throw new Malformed(`${what} is not a valid time`);
  return date;
}

function children(der: Uint8Array, tlv: Tlv | undefined, what: string, tag: number = TAG.sequence): Tlv[] {
  if (!tlv || tlv.tag !== tag) throw new Malformed(`${what} is missing or of the wrong type`);
  const list = readChildren(der, tlv);
  if (!list) throw new Malformed(`${what} does not decode`);
  return list;
}

/**
 * Decodes one DER CRL (REVOCATION_LIST_INVALID when it does not decode or exceeds MAX_CRL_BYTES). The structure is
 * walked with the x509 DER reader because the ASN.1 libraries take seconds for a CRL of 10,000 entries (their cost
 * grows faster than the input); the small parts (algorithm, extensions) are decoded with @peculiar/asn1-x509.
 */
export function parseCrl(der: Uint8Array, source: string): Crl {
  if (der.byteLength === 0) throw invalid(source, 'it is empty');
  if (der.byteLength > MAX_CRL_BYTES) throw invalid(source, `it is ${der.byteLength} bytes, more than the ${MAX_CRL_BYTES}-byte limit`);
  try {
    const top = readTlv(der, 0);
    if (!top || top.end !== der.byteLength) throw new Malformed('it is not exactly one DER structure');
    const [tbsTlv, algTlv, sigTlv, ...extra] = children(der, top, 'CertificateList');
    if (!tbsTlv || !algTlv || !sigTlv || extra.length > 0) throw new Malformed('CertificateList must hold tbsCertList, signatureAlgorithm and signature');
    const tbsParts = children(der, tbsTlv, 'tbsCertList');
    let i = 0;
    if (tbsParts[i]?.tag === TAG.integer) i++; // version v2
    // RFC 5280 5.1.1.2: the outer signatureAlgorithm (not covered by the signature) must equal the signed one, byte for byte
    const signedAlgTlv = tbsParts[i++];
    if (!signedAlgTlv || !sameBytes(tlvBytes(der, signedAlgTlv), tlvBytes(der, algTlv))) {
      throw new Malformed('its signatureAlgorithm differs from the signature algorithm inside tbsCertList');
    }
    const issuerTlv = tbsParts[i++];
    if (!issuerTlv || issuerTlv.tag !== TAG.sequence) throw new Malformed('its issuer name is missing');
    const thisUpdateTlv = tbsParts[i++];
    if (!thisUpdateTlv) throw new Malformed('its thisUpdate is missing');
    const thisUpdate = timeOf(der, thisUpdateTlv, 'thisUpdate');
    let nextUpdate: Date | undefined;
    if (tbsParts[i]?.tag === TAG.utcTime || tbsParts[i]?.tag === TAG.generalizedTime) nextUpdate = timeOf(der, tbsParts[i++] as Tlv, 'nextUpdate');
    const entries = new Map<string, CrlEntry>();
    if (tbsParts[i]?.tag === TAG.sequence) {
      for (const entryTlv of children(der, tbsParts[i++], 'revokedCertificates')) {
        const [serialTlv, dateTlv, extTlv, ...rest] = children(der, entryTlv, 'a revoked certificate entry');
        if (!serialTlv || serialTlv.tag !== TAG.integer || !dateTlv || rest.length > 0) throw new Malformed('a revoked certificate entry is malformed');
        const entry = entryOf(der, timeOf(der, dateTlv, 'a revocationDate'), extTlv);
        const serial = serialHex(der.subarray(serialTlv.contentStart, serialTlv.end));
        const prior = entries.get(serial);
        // The same serial listed twice: keep the earlier revocation (the stricter reading).
        if (!prior || entry.revocationTime < prior.revocationTime) entries.set(serial, entry);
      }
    }
    let unsupported: string | undefined;
    const extWrapper = tbsParts[i];
    if (extWrapper) {
      const [extSeq] = children(der, extWrapper, 'crlExtensions', TAG.extensions);
      for (const ext of extSeq ? AsnConvert.parse(tlvBytes(der, extSeq), Extensions) : []) {
        if (ext.extnID === OID.freshestCRL || ext.extnID === OID.deltaCRLIndicator) {
          unsupported = 'delta CRLs are not supported';
        } else if (ext.critical && !KNOWN_CRL_EXTENSIONS.has(ext.extnID)) {
          unsupported = `it has the unsupported critical extension ${ext.extnID}`;
        }
      }
      i++;
    }
    if (i !== tbsParts.length) throw new Malformed('tbsCertList has unexpected trailing fields');
    if (sigTlv.tag !== TAG.bitString || sigTlv.end - sigTlv.contentStart < 2 || der[sigTlv.contentStart] !== 0) {
      throw new Malformed('its signature is not a BIT STRING of whole octets');
    }
    return Object.freeze({
      raw: der,
      fingerprint256: createHash('sha256').update(der).digest('hex'),
      source,
      issuerRaw: tlvBytes(der, issuerTlv),
      thisUpdate,
      ...(nextUpdate ? { nextUpdate } : {}),
      entries,
      ...(unsupported ? { unsupported } : {}),
      tbs: tlvBytes(der, tbsTlv),
      signatureAlgorithm: AsnConvert.parse(tlvBytes(der, algTlv), AlgorithmIdentifier),
      signature: der.subarray(sigTlv.contentStart + 1, sigTlv.end),
    });
  } catch (err) {
    if (err instanceof Malformed) throw invalid(source, err.message);
    throw invalid(source, `a part does not decode (${err instanceof Error ? err.message : String(err)})`, err);
  }
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
