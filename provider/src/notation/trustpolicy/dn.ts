/**
 * RFC 4514 distinguished names, as trusted identities (`x509.subject:<DN>`) write them. Hand-written: no
 * dependency parses the string form, and the rules below follow what notation (go-ldap ParseDN) accepts.
 *
 * - RDNs are separated by `,` (or `;`); spaces around separators and around `=` are insignificant.
 * - Values unescape `\,` `\+` `\"` `\\` `\<` `\>` `\;` `\=` `\#` `\ ` and `\XX` hex (UTF-8 bytes). Unescaped `"`,
 *   `<`, `>` and NUL are refused, as is a hex-encoded (`#...`) value.
 * - A multi-valued RDN (`+`) is refused: the result is a flat list, and notation does not support them either.
 * - Type names are case-insensitive and normalized to upper-case short names (`S`, `stateOrProvinceName` -> `ST`);
 *   numeric OIDs are kept as given.
 */
import type { DistinguishedNameAttribute } from '../types.js';
import { LIMITS, policyError, quote } from './types.js';

/** Case-folded known names and aliases -> the short name. Anything else is upper-cased. */
const SHORT_NAMES: ReadonlyMap<string, string> = new Map([
  ['cn', 'CN'],
  ['commonname', 'CN'],
  ['c', 'C'],
  ['countryname', 'C'],
  ['st', 'ST'],
  ['s', 'ST'],
  ['stateorprovincename', 'ST'],
  ['l', 'L'],
  ['localityname', 'L'],
  ['o', 'O'],
  ['organizationname', 'O'],
  ['ou', 'OU'],
  ['organizationalunitname', 'OU'],
  ['street', 'STREET'],
  ['streetaddress', 'STREET'],
  ['dc', 'DC'],
  ['domaincomponent', 'DC'],
  ['uid', 'UID'],
  ['userid', 'UID'],
  ['serialnumber', 'SERIALNUMBER'],
  ['postalcode', 'POSTALCODE'],
  ['e', 'EMAILADDRESS'],
  ['email', 'EMAILADDRESS'],
  ['emailaddress', 'EMAILADDRESS'],
]);

const DESCRIPTOR = /^[A-Za-z][A-Za-z0-9-]*$/;
const NUMERIC_OID = /^[0-9]+(?:\.[0-9]+)+$/;

/** The canonical form of an attribute type name; the same function serves policy DNs and certificate subjects. */
export function normalizeAttributeType(type: string): string {
  if (NUMERIC_OID.test(type)) return type;
  return SHORT_NAMES.get(type.toLowerCase()) ?? type.toUpperCase();
}

const ESCAPABLE = new Set([' ', '"', '#', '+', ',', ';', '<', '=', '>', '\\']);
const HEX = /^[0-9A-Fa-f]{2}$/;
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

class DnSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(reason);
  }
}

/** Parses an RFC 4514 DN string into its attributes, in order. A blank string is the empty DN. */
export function parseDistinguishedName(dn: string): readonly DistinguishedNameAttribute[] {
  if (typeof dn !== 'string') throw policyError('a distinguished name must be a string');
  if (dn.length > LIMITS.trustedIdentityLength) {
    throw policyError(`distinguished name is ${dn.length} characters long, more than the ${LIMITS.trustedIdentityLength} allowed`);
  }
  try {
    return Object.freeze(parse(dn));
  } catch (err) {
    if (!(err instanceof DnSyntaxError)) throw err;
    throw policyError(
      `distinguished name (DN) ${quote(dn)} is not valid: ${err.reason} at character ${err.position + 1}; ` +
        'write it as comma-separated TYPE=value pairs following RFC 4514, e.g. "C=US, ST=WA, O=Example", ' +
        'escaping , + " \\ < > ; = # in values with a backslash',
    );
  }
}

function parse(dn: string): DistinguishedNameAttribute[] {
  const out: DistinguishedNameAttribute[] = [];
  if (dn.trim() === '') return out;
  let i = 0;
  for (;;) {
    if (out.length >= LIMITS.distinguishedNameAttributes) {
      throw new DnSyntaxError(`more than ${LIMITS.distinguishedNameAttributes} attributes`, i);
    }
    let typeEnd = i;
    while (typeEnd < dn.length && !'=,;+'.includes(dn[typeEnd] as string)) typeEnd += 1;
    if (dn[typeEnd] !== '=') {
      const what = dn.slice(i, typeEnd).trim() === '' ? 'empty attribute type' : 'attribute without "="';
      throw new DnSyntaxError(`${what} (incomplete TYPE=value pair)`, i);
    }
    const rawType = dn.slice(i, typeEnd).trim();
    if (!DESCRIPTOR.test(rawType) && !NUMERIC_OID.test(rawType)) {
      const what = rawType === '' ? 'empty attribute type' : `invalid attribute type ${quote(rawType)}`;
      throw new DnSyntaxError(`${what} (expected a name like CN or a numeric OID)`, i);
    }
    const value = readValue(dn, typeEnd + 1);
    out.push(Object.freeze({ type: normalizeAttributeType(rawType), value: value.text }));
    if (value.end >= dn.length) return out;
    const separator = dn[value.end];
    if (separator === '+') {
      throw new DnSyntaxError('multi-valued RDN ("+") is not supported; split it into separate attributes', value.end);
    }
    i = value.end + 1;
    if (dn.slice(i).trim() === '') throw new DnSyntaxError('DN ends with a separator', value.end);
  }
}

/** Reads one attribute value from `start` to the next unescaped `,` `;` `+` (or the end). */
function readValue(dn: string, start: number): { text: string; end: number } {
  const bytes: number[] = [];
  let significant = 0; // length of `bytes` up to the last character that is not an unescaped space
  let leading = true;
  let i = start;
  const push = (chunk: ArrayLike<number>, counts: boolean): void => {
    for (let k = 0; k < chunk.length; k++) bytes.push(chunk[k] as number);
    if (counts) significant = bytes.length;
  };
  while (i < dn.length) {
    const ch = dn[i] as string;
    if (ch === ',' || ch === ';' || ch === '+') break;
    if (ch === '\\') {
      const next = dn[i + 1];
      if (next === undefined) throw new DnSyntaxError('escape character "\\" at the end of a value', i);
      if (ESCAPABLE.has(next)) {
        push(encoder.encode(next), true);
        i += 2;
      } else if (HEX.test(dn.slice(i + 1, i + 3))) {
        push([parseInt(dn.slice(i + 1, i + 3), 16)], true);
        i += 3;
      } else {
        throw new DnSyntaxError(`invalid escape "\\${next}" (escape a special character or write two hex digits)`, i);
      }
      leading = false;
      continue;
    }
    if (ch === ' ' && leading) {
      i += 1;
      continue;
    }
    if (leading && ch === '#') {
      throw new DnSyntaxError('hex-encoded ("#") attribute values are not supported; write the value as a string', i);
    }
    if (ch === '"' || ch === '<' || ch === '>' || ch === '\0') {
      throw new DnSyntaxError(`unescaped character ${quote(ch)} in a value`, i);
    }
    const codePoint = dn.codePointAt(i) as number;
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) throw new DnSyntaxError('unpaired UTF-16 surrogate', i);
    const char = String.fromCodePoint(codePoint);
    push(encoder.encode(char), ch !== ' ');
    leading = false;
    i += char.length;
  }
  let text: string;
  try {
    text = decoder.decode(new Uint8Array(bytes.slice(0, significant)));
  } catch {
    throw new DnSyntaxError('hex escapes do not form valid UTF-8', start);
  }
  return { text, end: i };
}
