/**
 * An RFC 3161 TimeStampToken as CMS SignedData (RFC 5652). asn1js reads the BER/DER tree once, which keeps what a
 * signature check needs verbatim (each embedded certificate's bytes, each SignerInfo's signedAttrs encoding); the
 * small pieces are then decoded with @peculiar/asn1-cms (SignerInfo, EncapsulatedContentInfo). Decoding the whole
 * SignedData with @peculiar/asn1-cms too would parse every certificate a second time for nothing.
 */
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { EncapsulatedContentInfo, SignerInfo } from '@peculiar/asn1-cms';
import { NotationError } from '../errors.js';
import { parseCertificate, type Certificate } from '../x509/index.js';
import { timestampInvalid } from './errors.js';
import { OID } from './oids.js';

/** Bounds on what an untrusted token may make us parse. */
export const MAX_TOKEN_BYTES = 256 * 1024;
export const MAX_TOKEN_CERTIFICATES = 32;
export const MAX_SIGNER_INFOS = 8;

export interface TokenSigner {
  readonly info: SignerInfo;
  /** DER of the signed attributes re-tagged as SET OF (0x31), the bytes the signature covers; absent when none. */
  readonly signedAttrsDer?: Uint8Array;
}

export interface ParsedToken {
  readonly eContentType: string;
  readonly eContent?: Uint8Array;
  readonly certificates: readonly Certificate[];
  readonly signers: readonly TokenSigner[];
}

const PARSE_HINT = 'failed to parse the timestamp countersignature';

function children(block: asn1js.AsnType | undefined): asn1js.AsnType[] {
  if (!block || !(block instanceof asn1js.BaseBlock)) return [];
  const value: unknown = (block.valueBlock as { value?: unknown }).value;
  return Array.isArray(value) ? (value as asn1js.AsnType[]) : [];
}

function isContext(block: asn1js.AsnType, tag: number): boolean {
  return block.idBlock.tagClass === 3 && block.idBlock.tagNumber === tag;
}

function rawOf(block: asn1js.AsnType): Uint8Array {
  return new Uint8Array(block.valueBeforeDecodeView);
}

function oidOf(block: asn1js.AsnType | undefined): string | undefined {
  return block instanceof asn1js.ObjectIdentifier ? block.valueBlock.toString() : undefined;
}

function notSignedData(reason: string, cause?: unknown): NotationError {
  return timestampInvalid(`${PARSE_HINT}: it is not a CMS SignedData structure (${reason})`, cause);
}

/** Typed parse of one piece, its decoding failure reported as a malformed token. */
function parsePiece<T>(block: asn1js.AsnType, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(rawOf(block), type);
  } catch (err) {
    throw notSignedData(`its ${what} does not decode: ${err instanceof Error ? err.message : String(err)}`, err);
  }
}

function parseCertificates(block: asn1js.AsnType | undefined): Certificate[] {
  const raws = children(block).filter((b) => b.idBlock.tagClass === 1 && b.idBlock.tagNumber === 16);
  if (raws.length > MAX_TOKEN_CERTIFICATES) {
    throw timestampInvalid(`${PARSE_HINT}: it carries ${raws.length} certificates, more than ${MAX_TOKEN_CERTIFICATES}`);
  }
  // Other CertificateChoices (attribute certificates, [1]..[3]) are not TSA certificates and are skipped.
  return raws.map((b, i) => {
    try {
      return parseCertificate(rawOf(b), `certificate ${i + 1} of the timestamp token`);
    } catch (err) {
      throw timestampInvalid(`${PARSE_HINT}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  });
}

function parseSigner(block: asn1js.AsnType): TokenSigner {
  const info = parsePiece(block, SignerInfo, 'SignerInfo');
  const attrs = children(block).find((b) => isContext(b, 0));
  if (!attrs) return { info };
  const der = rawOf(attrs);
  if (der[1] === 0x80) {
    throw timestampInvalid(`${PARSE_HINT}: its signed attributes use a BER indefinite length; CMS signs their DER encoding`);
  }
  der[0] = 0x31; // [0] IMPLICIT SET OF -> SET OF, as RFC 5652 5.4 prescribes for the signed bytes
  return { info, signedAttrsDer: der };
}

/** Parses a TimeStampToken: ContentInfo -> [0] SignedData -> encapContentInfo, certificates [0], signerInfos. */
export function parseToken(token: Uint8Array): ParsedToken {
  if (token.byteLength === 0) throw timestampInvalid(`${PARSE_HINT}: it is empty`);
  if (token.byteLength > MAX_TOKEN_BYTES) {
    throw timestampInvalid(`${PARSE_HINT}: it is ${token.byteLength} bytes, more than the ${MAX_TOKEN_BYTES}-byte limit`);
  }
  const parsed = asn1js.fromBER(token);
  if (parsed.offset === -1 || parsed.offset !== token.byteLength) {
    throw notSignedData(parsed.offset === -1 ? `not BER-encoded ASN.1: ${parsed.result.error}` : 'trailing bytes after it');
  }
  const [typeBlock, wrapper] = children(parsed.result);
  const contentType = oidOf(typeBlock);
  if (!contentType || !wrapper || !isContext(wrapper, 0)) throw notSignedData('it is not a ContentInfo');
  if (contentType !== OID.signedData) throw notSignedData(`its content type is ${contentType}, not id-signedData (${OID.signedData})`);
  const fields = children(children(wrapper)[0]);
  const encap = fields[2];
  const signerInfos = fields[fields.length - 1];
  if (fields.length < 4 || !encap || !signerInfos || !(signerInfos instanceof asn1js.Set)) {
    throw notSignedData('its SignedData does not have the fields RFC 5652 5.1 requires');
  }
  const encapsulated = parsePiece(encap, EncapsulatedContentInfo, 'encapContentInfo');
  const signers = children(signerInfos);
  if (signers.length > MAX_SIGNER_INFOS) {
    throw timestampInvalid(`${PARSE_HINT}: it has ${signers.length} signer infos, more than ${MAX_SIGNER_INFOS}`);
  }
  const eContent = encapsulated.eContent?.single?.buffer;
  return {
    eContentType: encapsulated.eContentType,
    ...(eContent ? { eContent: new Uint8Array(eContent) } : {}),
    certificates: parseCertificates(fields.slice(3, -1).find((b) => isContext(b, 0))),
    signers: signers.map(parseSigner),
  };
}
