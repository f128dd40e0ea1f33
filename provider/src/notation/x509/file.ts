/**
 * Certificate files as Notation's trust stores hold them: PEM with one or more CERTIFICATE blocks, or DER (one
 * certificate, or several concatenated, as Go's x509.ParseCertificates reads them).
 */
import { NotationError } from '../errors.js';
import { MAX_CERTIFICATE_BYTES, parseCertificate, type Certificate } from './certificate.js';
import { readTlv } from './der.js';

/** Bounds on one file: its size and the certificates in it. */
export const MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024;
export const MAX_CERTIFICATES_PER_FILE = 256;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

function fileError(name: string, reason: string, cause?: unknown): NotationError {
  return new NotationError(
    'CERTIFICATE_INVALID',
    `certificate file "${name}" ${reason}; a certificate file holds PEM CERTIFICATE blocks or DER certificates`,
    cause === undefined ? undefined : { cause },
  );
}

function fromPem(text: string, name: string): Uint8Array[] {
  const ders: Uint8Array[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const [, type, body = ''] = m;
    if (type !== 'CERTIFICATE') throw fileError(name, `contains a PEM block of type "${type}"`);
    const b64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
      throw fileError(name, `has a CERTIFICATE block ${ders.length + 1} that is not valid base64`);
    }
    ders.push(new Uint8Array(Buffer.from(b64, 'base64')));
  }
  return ders;
}

function fromDer(bytes: Uint8Array, name: string): Uint8Array[] {
  const ders: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const tlv = readTlv(bytes, pos);
    if (!tlv || tlv.tag !== 0x30 || tlv.end - tlv.start > MAX_CERTIFICATE_BYTES) {
      throw fileError(name, ders.length === 0 ? 'is neither PEM nor DER' : `has trailing bytes after certificate ${ders.length}`);
    }
    ders.push(bytes.subarray(tlv.start, tlv.end));
    pos = tlv.end;
    if (ders.length > MAX_CERTIFICATES_PER_FILE) break;
  }
  return ders;
}

/** Every certificate of a PEM or DER file; `name` (the file's path or name) appears in messages. */
export function parseCertificateFile(bytes: Uint8Array, name: string): Certificate[] {
  if (bytes.byteLength > MAX_CERTIFICATE_FILE_BYTES) {
    throw fileError(name, `is ${bytes.byteLength} bytes, more than the ${MAX_CERTIFICATE_FILE_BYTES}-byte limit`);
  }
  const text = Buffer.from(bytes).toString('latin1');
  const ders = text.includes('-----BEGIN ') ? fromPem(text, name) : fromDer(bytes, name);
  if (ders.length === 0) throw fileError(name, 'contains no certificate');
  if (ders.length > MAX_CERTIFICATES_PER_FILE) {
    throw fileError(name, `has more than ${MAX_CERTIFICATES_PER_FILE} certificates`);
  }
  return ders.map((der, i) => parseCertificate(der, `certificate ${i + 1} of file "${name}"`));
}
