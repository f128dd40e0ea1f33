/**
 * crypto.x509.* and crypto.parse_private_keys on node:crypto. Certificates are returned as a subset of the JSON of
 * Go's x509.Certificate (Subject / Issuer names, SerialNumber, NotBefore / NotAfter, DNSNames, EmailAddresses,
 * IPAddresses, URIStrings, IsCA, Raw) — the fields policies read; the rest of Go's struct is not mirrored.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { Value } from '../value.js';
import { RObject, fromJSON } from '../value.js';
import { type Builtin, fail, str } from './types.js';
import { children, nameLines, readTlv } from './der.js';

const b = (arity: number, fn: Builtin['fn']): Builtin => ({ arity, fn });
const PEM_BLOCK = /-----BEGIN ([^-]+)-----([\s\S]*?)-----END \1-----/g;

function b64(s: string, name: string): Buffer {
  const t = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4 !== 0) {
    const i = t.search(/[^A-Za-z0-9+/=]/);
    fail(`${name}: illegal base64 data at input byte ${i < 0 ? t.length : i}`);
  }
  return Buffer.from(t, 'base64');
}

/** PEM blocks of the wanted type, or DER(s): from a PEM string, base64 PEM, or base64 DER. */
function blocks(input: string, name: string, type: RegExp): Buffer[] {
  let text = input;
  if (!text.includes('-----BEGIN')) {
    const raw = b64(text, name);
    if (!raw.toString('latin1').includes('-----BEGIN')) return splitDer(raw, name);
    text = raw.toString('utf8');
  }
  const out: Buffer[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) if (type.test(m[1] as string)) out.push(b64(m[2] as string, name));
  return out;
}

function splitDer(raw: Buffer, name: string): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < raw.length) {
    if (raw[off] !== 0x30) return fail(`${name}: x509: malformed certificate`);
    let len = raw[off + 1] ?? 0, hdr = 2;
    if (len & 0x80) { const n = len & 0x7f; len = 0; for (let i = 0; i < n; i++) len = len * 256 + (raw[off + 2 + i] ?? 0); hdr += n; }
    if (off + hdr + len > raw.length) return fail(`${name}: x509: malformed certificate`);
    out.push(raw.subarray(off, off + hdr + len));
    off += hdr + len;
  }
  return out;
}

const NAME_KEYS: Readonly<Record<string, string>> = { C: 'Country', O: 'Organization', OU: 'OrganizationalUnit', L: 'Locality', ST: 'Province', street: 'StreetAddress', postalCode: 'PostalCode' };

function nameObject(dn: string): RObject {
  const o: Record<string, unknown> = { Country: null, Organization: null, OrganizationalUnit: null, Locality: null, Province: null, StreetAddress: null, PostalCode: null, SerialNumber: '', CommonName: '' };
  const names: unknown[] = [];
  for (const line of dn.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i), v = line.slice(i + 1);
    names.push({ Type: k, Value: v });
    if (k === 'CN') o['CommonName'] = v;
    else if (k === 'serialNumber') o['SerialNumber'] = v;
    else if (NAME_KEYS[k]) o[NAME_KEYS[k] as string] = [...((o[NAME_KEYS[k] as string] as unknown[] | null) ?? []), v];
  }
  o['Names'] = names;
  return fromJSON(o) as RObject;
}

function sans(c: X509Certificate, prefix: string): string[] | null {
  const list = (c.subjectAltName ?? '').split(/,\s*/).filter((x) => x.startsWith(prefix + ':')).map((x) => x.slice(prefix.length + 1));
  return list.length > 0 ? list : null;
}

function certValue(der: Buffer, name: string): Value {
  let c: X509Certificate;
  try { c = new X509Certificate(der); } catch { return fail(`${name}: x509: malformed certificate`); }
  return withNames(c, der);
}

function withNames(c: X509Certificate, der: Buffer): Value {
  const o = fromJSON({
    Raw: der.toString('base64'), Version: 3, SerialNumber: Number(BigInt('0x' + c.serialNumber)),
    NotBefore: new Date(c.validFrom).toISOString().replace('.000Z', 'Z'), NotAfter: new Date(c.validTo).toISOString().replace('.000Z', 'Z'),
    IsCA: c.ca, DNSNames: sans(c, 'DNS'), EmailAddresses: sans(c, 'email'), IPAddresses: sans(c, 'IP Address'), URIStrings: sans(c, 'URI'),
  }) as RObject;
  o.set('Subject', nameObject(c.subject));
  o.set('Issuer', nameObject(c.issuer));
  return o;
}

function parseCerts(input: string, name: string): { ders: Buffer[]; values: Value[] } {
  const ders = blocks(input, name, /CERTIFICATE$/);
  return { ders, values: ders.map((d) => certValue(d, name)) };
}

function jwkOf(pem: string, name: string): Value | undefined {
  try { return fromJSON(createPrivateKey(pem).export({ format: 'jwk' })); } catch { return fail(`${name}: failed to parse private key`); }
}

function parseCsr(input: string, name: string): Value {
  const der = blocks(input, name, /CERTIFICATE REQUEST$/)[0];
  if (!der) return fail(`${name}: asn1: structure error: no certificate request`);
  if (der[0] !== 0x30) fail(`${name}: asn1: structure error: tags don't match`);
  const top = readTlv(der, 0, name);
  const [info] = children(top, name);
  if (!info || info.tag !== 0x30) return fail(`${name}: asn1: structure error: tags don't match`);
  const parts = children(info, name);
  const subject = parts[1];
  if (!subject || subject.tag !== 0x30) return fail(`${name}: asn1: structure error: tags don't match`);
  const o = fromJSON({ Raw: der.toString('base64'), Version: 0 }) as RObject;
  o.set('Subject', nameObject(nameLines(subject, name)));
  return o;
}

export const x509Builtins: Readonly<Record<string, Builtin>> = {
  'crypto.x509.parse_certificate_request': b(1, (a) => parseCsr(str('crypto.x509.parse_certificate_request', a, 0), 'crypto.x509.parse_certificate_request')),
  'crypto.x509.parse_certificates': b(1, (a) => parseCerts(str('crypto.x509.parse_certificates', a, 0), 'crypto.x509.parse_certificates').values),
  'crypto.x509.parse_and_verify_certificates': b(1, (a) => {
    const name = 'crypto.x509.parse_and_verify_certificates';
    let parsed: { ders: Buffer[]; values: Value[] };
    try { parsed = parseCerts(str(name, a, 0), name); } catch { return [false, []]; }
    const certs = parsed.ders.map((d) => new X509Certificate(d));
    if (certs.length < 2) return [false, []];
    for (let i = 1; i < certs.length; i++) {
      const issuer = certs[i - 1] as X509Certificate, leaf = certs[i] as X509Certificate;
      if (!leaf.checkIssued(issuer) || !leaf.verify(issuer.publicKey)) return [false, []];
    }
    const root = certs[0] as X509Certificate;
    if (!root.verify(root.publicKey)) return [false, []];
    return [true, [...parsed.values].reverse()];
  }),
  'crypto.x509.parse_keypair': b(2, (a) => {
    const name = 'crypto.x509.parse_keypair';
    const certs = blocks(str(name, a, 0), name, /CERTIFICATE$/);
    let keyText = str(name, a, 1);
    if (!keyText.includes('-----BEGIN')) keyText = b64(keyText, name).toString('utf8');
    const jwk = jwkOf(keyText, name);
    return new RObject([['Certificate', certs.map((d) => d.toString('base64'))], ['PrivateKey', jwk ?? null], ['Leaf', null]]);
  }),
  'crypto.x509.parse_rsa_private_key': b(1, (a) => {
    const name = 'crypto.x509.parse_rsa_private_key';
    const input = str(name, a, 0);
    const pem = input.includes('-----BEGIN') ? input : b64(input, name).toString('utf8');
    return jwkOf(pem, name);
  }),
  'crypto.parse_private_keys': b(1, (a) => {
    const name = 'crypto.parse_private_keys';
    const input = str(name, a, 0);
    if (input === '') return null;
    let text = input;
    if (!text.includes('-----BEGIN')) { try { text = b64(text, name).toString('utf8'); } catch { return []; } }
    const out: Value[] = [];
    for (const m of text.matchAll(PEM_BLOCK)) if (/PRIVATE KEY$/.test(m[1] as string)) { const k = jwkOf(m[0], name); if (k !== undefined) out.push(k); }
    return out;
  }),
};
