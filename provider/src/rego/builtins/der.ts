/** A minimal DER reader (tag, length, children) for the few structures node:crypto does not parse (CSRs). */
import { fail } from './types.js';

export interface Tlv { readonly tag: number; readonly body: Buffer; readonly end: number }

export function readTlv(buf: Buffer, off: number, name: string): Tlv {
  const tag = buf[off];
  let len = buf[off + 1];
  if (tag === undefined || len === undefined) return fail(`${name}: asn1: structure error: truncated`);
  let hdr = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) fail(`${name}: asn1: structure error: bad length`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[off + 2 + i] ?? 0);
    hdr += n;
  }
  if (off + hdr + len > buf.length) fail(`${name}: asn1: structure error: data truncated`);
  return { tag, body: buf.subarray(off + hdr, off + hdr + len), end: off + hdr + len };
}

export function children(t: Tlv, name: string): Tlv[] {
  const out: Tlv[] = [];
  for (let off = 0; off < t.body.length;) { const c = readTlv(t.body, off, name); out.push(c); off = c.end; }
  return out;
}

export function oid(body: Buffer): string {
  const first = body[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let v = 0;
  for (const byte of body.subarray(1)) { v = v * 128 + (byte & 0x7f); if (!(byte & 0x80)) { parts.push(v); v = 0; } }
  return parts.join('.');
}

const ATTR: Readonly<Record<string, string>> = { '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.9': 'street', '2.5.4.17': 'postalCode', '2.5.4.5': 'serialNumber' };

/** An X.501 Name as `TYPE=value` lines (the form node's X509Certificate.subject uses). */
export function nameLines(t: Tlv, name: string): string {
  const lines: string[] = [];
  for (const rdn of children(t, name)) {
    for (const atv of children(rdn, name)) {
      const [o, v] = children(atv, name);
      if (!o || !v) continue;
      lines.push(`${ATTR[oid(o.body)] ?? oid(o.body)}=${v.body.toString(v.tag === 0x1e ? 'utf16le' : 'utf8')}`);
    }
  }
  return lines.join('\n');
}
