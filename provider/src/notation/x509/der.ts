/**
 * A minimal DER reader: tag-length-value boundaries only, definite lengths only. Hand-written because the ASN.1
 * libraries decode values but do not hand back the original bytes of a certificate's issuer and subject names, which
 * the issuer/subject linkage compares byte for byte (as crypto/x509 does with RawIssuer and RawSubject).
 */

export interface Tlv {
  /** The identifier octet (tags >= 31 are not used by the structures read here and are refused). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset one past the last content octet. */
  readonly end: number;
}

/** Reads the TLV at `offset`; `undefined` when the bytes there are not a well-formed DER TLV inside `limit`. */
export function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = bytes[offset] as number;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let len = bytes[offset + 1] as number;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // 0x80 is BER's indefinite length (not DER); more than 4 length octets is far beyond any bound used here.
    if (n === 0 || n > 4 || pos + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (bytes[pos + i] as number);
    pos += n;
  }
  const end = pos + len;
  if (end > limit) return undefined;
  return { tag, start: offset, contentStart: pos, end };
}

/** The TLVs directly inside a constructed TLV; `undefined` when they do not tile its content exactly. */
export function readChildren(bytes: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const child = readTlv(bytes, pos, parent.end);
    if (!child) return undefined;
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The bytes of a TLV, header included. */
export function tlvBytes(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.start, tlv.end);
}
