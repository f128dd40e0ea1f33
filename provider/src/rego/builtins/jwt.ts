/**
 * io.jwt.* builtins on node:crypto: decode, verify_{hs,rs,ps,es}{256,384,512}, decode_verify (with exp / nbf /
 * iss / aud / alg constraints), encode_sign and encode_sign_raw. Keys: PEM certificates, PEM public keys, JWK and
 * JWK sets; HMAC secrets as strings.
 */
import { type KeyObject, constants, createHmac, createPrivateKey, createPublicKey, sign as cSign, timingSafeEqual, verify as cVerify } from 'node:crypto';
import type { Value } from '../value.js';
import { RBig, RObject, fromJSON, toJSON } from '../value.js';
import { type Builtin, fail, obj, str } from './types.js';
import { regoRepr } from './sprintf.js';

const b = (arity: number, fn: Builtin['fn']): Builtin => ({ arity, fn });
const HASH: Readonly<Record<string, string>> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

function b64urlDecode(s: string, what: string): Buffer {
  const bad = s.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0 && !(s.slice(bad).replace(/=+$/, '') === '')) fail(`JWT ${what} had invalid encoding: illegal base64 data at input byte ${bad}`);
  return Buffer.from(s.replace(/=+$/, ''), 'base64url');
}

function parseJSON(buf: Buffer, what: string): Value {
  try { return fromJSON(JSON.parse(buf.toString('utf8'))); } catch (e) {
    const m = (e as Error).message;
    return fail(`${what}: ${/Unexpected end/.test(m) ? 'unexpected end of JSON input' : `invalid character: ${m}`}`);
  }
}

interface Decoded { header: RObject; payload: Value; sig: Buffer; signingInput: string; headerB64: string; outer?: { signingInput: string; sig: Buffer } }

function decode(token: string, name: string): Decoded {
  if (!token.includes('.')) fail(`${name}: encoded JWT had no period separators`);
  const parts = token.split('.');
  if (parts.length === 5) fail(`${name}: JWT is a JWE object, which is not supported`);
  if (parts.length !== 3) fail(`${name}: encoded JWT must have 3 sections, found ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  const header = parseJSON(b64urlDecode(h, 'header'), `${name}: JWT header`);
  if (!(header instanceof RObject)) return fail(`${name}: JWT header is not an object`);
  const rawPayload = b64urlDecode(p, 'payload');
  const sig = b64urlDecode(s, 'signature');
  const cty = header.get('cty');
  if (typeof cty === 'string' && cty.toUpperCase() === 'JWT') {
    let inner = rawPayload.toString('utf8').trim();
    if (inner.startsWith('"')) { try { inner = String(JSON.parse(inner)); } catch { /* keep */ } }
    if (!inner.includes('.')) fail(`${name}: type is JWT but payload is not JSON`);
    return { ...decode(inner, name), outer: { signingInput: `${h}.${p}`, sig } };
  }
  if (header.has('enc')) fail(`${name}: JWT is a JWE object, which is not supported`);
  const payload = parseJSON(rawPayload, `${name}: JWT payload`);
  return { header, payload, sig, signingInput: `${h}.${p}`, headerB64: h };
}

/** Public keys from a PEM certificate / PEM public key / JWK / JWK set. */
function publicKeys(material: string, name: string): KeyObject[] {
  const t = material.trim();
  if (t.startsWith('-----BEGIN')) {
    const blocks = t.match(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/g) ?? [];
    if (blocks.length === 0) fail(`${name}: failed to parse a PEM certificate`);
    const rest = t.replace(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/g, '').trim();
    if (rest !== '') fail(`${name}: extra data after a PEM certificate block`);
    return blocks.map((blk) => {
      const body = Buffer.from(blk.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
      if (body[0] !== 0x30) fail(`${name}: failed to parse a PEM certificate`);
      try { return createPublicKey(blk); } catch { return fail(`${name}: failed to extract a Key from the PEM certificate`); }
    });
  }
  let jwk: unknown;
  try { jwk = JSON.parse(t); } catch { return fail(`${name}: failed to parse a JWK key (set)`); }
  const list = typeof jwk === 'object' && jwk !== null && Array.isArray((jwk as { keys?: unknown }).keys) ? (jwk as { keys: unknown[] }).keys : [jwk];
  return list.map((k) => {
    try { return createPublicKey({ key: k as import('node:crypto').JsonWebKey, format: 'jwk' }); } catch { return fail(`${name}: failed to parse a JWK key (set)`); }
  });
}

function verifySig(alg: string, input: string, sig: Buffer, keyMaterial: string, name: string): boolean {
  const fam = alg.slice(0, 2), hash = HASH[alg.slice(2)];
  if (!hash || !['HS', 'RS', 'PS', 'ES'].includes(fam)) return false;
  if (fam === 'HS') {
    const mac = createHmac(hash, Buffer.from(keyMaterial, 'utf8')).update(input).digest();
    return mac.length === sig.length && timingSafeEqual(mac, sig);
  }
  return publicKeys(keyMaterial, name).some((key) => {
    try {
      if (fam === 'RS') return cVerify(hash, Buffer.from(input), key, sig);
      if (fam === 'PS') return cVerify(hash, Buffer.from(input), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig);
      return cVerify(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, sig);
    } catch { return false; }
  });
}

function verifier(alg: string): Builtin {
  const name = `io.jwt.verify_${alg.toLowerCase()}`;
  return b(2, (a) => {
    const d = decode(str(name, a, 0), name);
    const top = d.outer ?? d;
    return verifySig(alg, top.signingInput, top.sig, str(name, a, 1), name);
  });
}

const INVALID: Value = [false, new RObject(), new RObject()];

function decodeVerify(a: readonly Value[], nowNs: number): Value {
  const name = 'io.jwt.decode_verify';
  const token = str(name, a, 0);
  const c = obj(name, a, 1);
  for (const k of c.keys()) if (!['cert', 'secret', 'alg', 'iss', 'aud', 'time'].includes(String(k))) fail(`${name}: unknown token validation constraint: ${String(k)}`);
  const cert = c.get('cert'), secret = c.get('secret');
  if (cert === undefined && secret === undefined) fail(`${name}: no key provided (cert or secret)`);
  const d = decode(token, name);
  const outerHeader = d.outer ? parseJSON(b64urlDecode(token.split('.')[0] ?? '', 'header'), `${name}: JWT header`) : d.header;
  if (!(outerHeader instanceof RObject)) return INVALID;
  const alg = outerHeader.get('alg');
  if (typeof alg !== 'string') return INVALID;
  const want = c.get('alg');
  if (want !== undefined && want !== alg) return INVALID;
  const material = alg.startsWith('HS') ? secret : cert;
  if (typeof material !== 'string') return INVALID;
  if (!HASH[alg.slice(2)] || !['HS', 'RS', 'PS', 'ES'].includes(alg.slice(0, 2))) fail(`${name}: unknown signature algorithm: ${alg}`);
  const top = d.outer ?? d;
  if (!verifySig(alg, top.signingInput, top.sig, material, name)) return INVALID;
  const crit = d.header.get('crit');
  if (crit !== undefined) return INVALID;
  const p = d.payload;
  if (!(p instanceof RObject)) return INVALID;
  const t = c.get('time');
  const now = typeof t === 'number' ? t : t instanceof RBig ? t.toNumber() : nowNs;
  const exp = p.get('exp'), nbf = p.get('nbf');
  if (exp !== undefined) { if (typeof exp !== 'number') return fail(`${name}: exp value must be a number`); if (now >= exp * 1e9) return INVALID; }
  if (nbf !== undefined) { if (typeof nbf !== 'number') return fail(`${name}: nbf value must be a number`); if (now < nbf * 1e9) return INVALID; }
  const iss = c.get('iss');
  if (iss !== undefined && p.get('iss') !== iss) return INVALID;
  const aud = c.get('aud'), paud = p.get('aud');
  if (paud !== undefined) {
    if (aud === undefined) return INVALID;
    const list = Array.isArray(paud) ? (paud as readonly Value[]) : [paud];
    if (!list.includes(aud as Value)) return INVALID;
  } else if (aud !== undefined) return INVALID;
  return [true, d.header, p];
}

function signRaw(headerJson: string, payloadJson: string, key: Value, name: string): string {
  const header = parseJSON(Buffer.from(headerJson), name);
  if (!(header instanceof RObject)) return fail(`${name}: invalid character: header must be a JSON object`);
  const alg = header.get('alg');
  if (typeof alg !== 'string') return fail(`${name}: unsupported signature algorithm`);
  const fam = alg.slice(0, 2), hash = HASH[alg.slice(2)];
  if (!hash || !['HS', 'RS', 'PS', 'ES'].includes(fam)) return fail(`${name}: unknown signature algorithm: ${alg}`);
  const typ = header.get('typ');
  if (typ === 'JWT') {
    let ok: boolean;
    try { const pv: unknown = JSON.parse(payloadJson); ok = typeof pv === 'object' && pv !== null && !Array.isArray(pv); } catch { ok = false; }
    if (!ok) fail(`${name}: type is JWT but payload is not JSON`);
  }
  const input = `${Buffer.from(headerJson).toString('base64url')}.${Buffer.from(payloadJson).toString('base64url')}`;
  const jwk = toJSON(key) as Record<string, unknown>;
  let sig: Buffer;
  if (fam === 'HS') {
    if (typeof jwk['k'] !== 'string') fail(`${name}: HMAC key must be a JWK with "k"`);
    sig = createHmac(hash as string, Buffer.from(jwk['k'] as string, 'base64url')).update(input).digest();
  } else {
    let pk: KeyObject;
    try { pk = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }); } catch (e) { return fail(`${name}: invalid private key: ${(e as Error).message}`); }
    if (fam === 'RS') sig = cSign(hash as string, Buffer.from(input), pk);
    else if (fam === 'PS') sig = cSign(hash as string, Buffer.from(input), { key: pk, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    else sig = cSign(hash as string, Buffer.from(input), { key: pk, dsaEncoding: 'ieee-p1363' });
  }
  return `${input}.${sig.toString('base64url')}`;
}

function keyValue(v: Value, name: string): Value {
  if (typeof v === 'string') { try { return fromJSON(JSON.parse(v)); } catch { return fail(`${name}: invalid key JSON`); } }
  return v;
}

export const jwtBuiltins: Readonly<Record<string, Builtin>> = {
  'io.jwt.decode': b(1, (a) => { const d = decode(str('io.jwt.decode', a, 0), 'io.jwt.decode'); return [d.header, d.payload, d.sig.toString('hex')]; }),
  'io.jwt.decode_verify': b(2, (a, c) => decodeVerify(a, c.nowNs())),
  ...Object.fromEntries(['HS', 'RS', 'PS', 'ES'].flatMap((f) => ['256', '384', '512'].map((n) => [`io.jwt.verify_${f.toLowerCase()}${n}`, verifier(f + n)]))),
  'io.jwt.encode_sign_raw': b(3, (a) => signRaw(str('io.jwt.encode_sign_raw', a, 0), str('io.jwt.encode_sign_raw', a, 1), keyValue(str('io.jwt.encode_sign_raw', a, 2), 'io.jwt.encode_sign_raw'), 'io.jwt.encode_sign_raw')),
  'io.jwt.encode_sign': b(3, (a) => signRaw(regoRepr(obj('io.jwt.encode_sign', a, 0)), regoRepr(obj('io.jwt.encode_sign', a, 1)), obj('io.jwt.encode_sign', a, 2), 'io.jwt.encode_sign')),
};
