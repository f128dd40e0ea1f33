/**
 * X.509 distinguished names as text: RFC 4514 strings for messages and typed attributes for trusted-identity matching.
 * Attribute type names follow Go's crypto/x509/pkix (which notation uses): C, O, OU, CN, SERIALNUMBER, L, ST, STREET,
 * POSTALCODE; any other type is written as its dotted OID with a `#`-prefixed hex DER value, as RFC 4514 says.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import type { AttributeTypeAndValue, Name } from '@peculiar/asn1-x509';
import type { DistinguishedNameAttribute } from '../types.js';

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.17': 'POSTALCODE',
};

/** One attribute; `hex` marks a value written as `#` + hex DER (unknown type, or a value that is not a string). */
function attributeOf(atv: AttributeTypeAndValue): { attr: DistinguishedNameAttribute; hex: boolean } {
  const short = SHORT_NAMES[atv.type];
  const v = atv.value;
  const text = v.utf8String ?? v.printableString ?? v.ia5String ?? v.teletexString ?? v.bmpString ?? v.universalString;
  if (short !== undefined && text !== undefined) return { attr: { type: short, value: text }, hex: false };
  const der = new Uint8Array(AsnConvert.serialize(v));
  return { attr: { type: short ?? atv.type, value: `#${Buffer.from(der).toString('hex')}` }, hex: true };
}

/** RFC 4514 section 2.4 escaping of one string attribute value. */
function escapeValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

export interface FormattedName {
  /** RFC 4514: the last RDN first, multi-valued RDNs joined with "+". */
  readonly text: string;
  /** Every attribute, in certificate (DER) order. */
  readonly attributes: readonly DistinguishedNameAttribute[];
}

export function formatName(name: Name): FormattedName {
  const attributes: DistinguishedNameAttribute[] = [];
  const rdns: string[] = [];
  for (const rdn of name) {
    const parts: string[] = [];
    for (const atv of rdn) {
      const { attr, hex } = attributeOf(atv);
      attributes.push(Object.freeze(attr));
      parts.push(`${attr.type}=${hex ? attr.value : escapeValue(attr.value)}`);
    }
    rdns.push(parts.join('+'));
  }
  return { text: rdns.reverse().join(','), attributes: Object.freeze(attributes) };
}
