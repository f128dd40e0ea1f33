/**
 * RFC 7512 PKCS#11 URIs: `pkcs11:` path attributes separated by ";", query attributes after "?" separated by "&",
 * values percent-decoded, no attribute twice. signgate honours the path attributes that select a token and a private
 * key (token, manufacturer, model, serial, slot-id, object, id, type=private) and the query attributes module-path,
 * pin-value and pin-source; any other standard attribute is refused rather than silently ignored (fail closed).
 */
import { KeyError } from '../errors.js';

export interface Pkcs11Uri {
  readonly token?: string;
  readonly manufacturer?: string;
  readonly model?: string;
  readonly serial?: string;
  readonly slotId?: bigint;
  readonly object?: string;
  /** CKA_ID bytes. */
  readonly id?: Uint8Array;
  readonly modulePath?: string;
  readonly pinValue?: string;
  /** A file path (from `file:` URI or an absolute path) holding the PIN. */
  readonly pinSource?: string;
  /** The URI without pin-value, for messages and logs. */
  readonly redacted: string;
}

const MAX_URI = 4096;
const PATH_ATTRIBUTES = new Set(['token', 'manufacturer', 'model', 'serial', 'slot-id', 'object', 'id', 'type']);
const QUERY_ATTRIBUTES = new Set(['module-path', 'pin-value', 'pin-source']);

function invalid(what: string): never {
  throw new KeyError(
    'PKCS11_URI_INVALID',
    `PKCS#11 URI is invalid: ${what}; write it as pkcs11:token=LABEL;object=KEY-LABEL?module-path=/path/to/module.so&pin-source=file:/path/to/pin (RFC 7512)`,
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Percent-decoding to bytes (an id is any bytes, so decodeURIComponent cannot be used). */
function decodeBytes(value: string, name: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '%') {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) invalid(`the value of "${name}" has a "%" not followed by two hex digits`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(...Buffer.from(value[i] as string, 'utf8'));
    }
  }
  return new Uint8Array(out);
}

function attributes(part: string, separator: string, allowed: ReadonlySet<string>, where: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  if (part === '') return out;
  for (const item of part.split(separator)) {
    const eq = item.indexOf('=');
    if (eq <= 0) invalid(`"${item}" in the ${where} is not NAME=VALUE`);
    const name = item.slice(0, eq).toLowerCase();
    if (!allowed.has(name) && !name.startsWith('x-')) {
      invalid(`the ${where} attribute "${name}" is not supported (supported: ${[...allowed].join(', ')})`);
    }
    if (out.has(name)) invalid(`the ${where} attribute "${name}" appears twice`);
    out.set(name, decodeBytes(item.slice(eq + 1), name));
  }
  return out;
}

function pinSourcePath(value: string): string {
  if (value.startsWith('file:')) {
    const path = value.replace(/^file:(\/\/(localhost)?)?/, '');
    if (path.startsWith('/')) return path;
  } else if (value.startsWith('/')) {
    return value;
  }
  return invalid(`pin-source "${value}" is not a file: URI or an absolute path`);
}

function text(map: Map<string, Uint8Array>, name: string): string | undefined {
  const bytes = map.get(name);
  if (bytes === undefined) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return invalid(`the value of "${name}" is not UTF-8 text`);
  }
}

function redact(path: string, queryPart: string): string {
  const kept = queryPart === '' ? [] : queryPart.split('&').map((item) => (/^pin-value=/i.test(item) ? 'pin-value=***' : item));
  return `pkcs11:${path}${kept.length > 0 ? `?${kept.join('&')}` : ''}`;
}

/** Parses an RFC 7512 URI. Throws KeyError PKCS11_URI_INVALID naming what is wrong. */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (typeof uri !== 'string' || !/^pkcs11:/i.test(uri)) invalid('it does not start with "pkcs11:"');
  if (uri.length > MAX_URI) invalid(`it is ${uri.length} characters, more than ${MAX_URI}`);
  const rest = uri.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const pathPart = q < 0 ? rest : rest.slice(0, q);
  const path = attributes(pathPart, ';', PATH_ATTRIBUTES, 'path');
  const queryPart = q < 0 ? '' : rest.slice(q + 1);
  const query = attributes(queryPart, '&', QUERY_ATTRIBUTES, 'query');
  const type = text(path, 'type');
  if (type !== undefined && type !== 'private') invalid(`type=${type} cannot sign; the key must be type=private`);
  if (!path.has('object') && !path.has('id')) invalid('it names no key: add object=LABEL or id=%XX..');
  if (query.has('pin-value') && query.has('pin-source')) invalid('pin-value and pin-source are both given; use one');
  const slot = text(path, 'slot-id');
  if (slot !== undefined && !/^\d{1,20}$/.test(slot)) invalid(`slot-id "${slot}" is not a decimal number`);
  const id = path.get('id');
  const modulePath = text(query, 'module-path');
  if (modulePath !== undefined && !modulePath.startsWith('/')) invalid(`module-path "${modulePath}" is not an absolute path`);
  const pick = (name: string): string | undefined => text(path, name);
  const pinSource = text(query, 'pin-source');
  const fields = {
    token: pick('token'),
    manufacturer: pick('manufacturer'),
    model: pick('model'),
    serial: pick('serial'),
    slotId: slot === undefined ? undefined : BigInt(slot),
    object: pick('object'),
    id,
    modulePath,
    pinValue: text(query, 'pin-value'),
    pinSource: pinSource === undefined ? undefined : pinSourcePath(pinSource),
  };
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return Object.freeze({ ...defined, redacted: redact(pathPart, queryPart) }) as Pkcs11Uri;
}
