/**
 * Trusted identities ("Trusted Identities Constraints" of the specification): `*` alone, or `x509.subject:<DN>`
 * values whose DN has C, ST and O, no duplicate attribute, and is not a subset of another identity's DN.
 * Identities with another prefix are accepted and ignored, as notation does.
 */
import { NotationError } from '../errors.js';
import type { DistinguishedNameAttribute } from '../types.js';
import { normalizeAttributeType, parseDistinguishedName } from './dn.js';
import { X509_SUBJECT, WILDCARD, policyError, quote, statementLabel, type TrustPolicyStatement } from './types.js';

const MANDATORY = ['C', 'ST', 'O'] as const;

/** An x509.subject identity: its text as written and its attributes by (normalized) type. */
interface ParsedIdentity {
  readonly raw: string;
  readonly attributes: ReadonlyMap<string, string>;
}

/** Splits `x509.subject:<DN>`; `undefined` for `*` and other prefixes. Throws on the rules every identity obeys. */
function subjectValue(identity: string, label: string): string | undefined {
  if (identity === '') throw policyError(`${label} has an empty trusted identity; remove it, or write "*" or "x509.subject:<DN>"`);
  if (identity === WILDCARD) return undefined;
  const colon = identity.indexOf(':');
  if (colon < 0) {
    throw policyError(
      `${label} has trusted identity ${quote(identity)} missing separator ":"; write it as "x509.subject:<DN>", ` +
        'e.g. "x509.subject: C=US, ST=WA, O=Example"',
    );
  }
  if (identity.slice(0, colon) !== X509_SUBJECT) return undefined;
  return identity.slice(colon + 1);
}

/** Parses the DN of an x509.subject identity and applies the Notary Project rules to it. */
function parseIdentity(identity: string, value: string, label: string): ParsedIdentity {
  const invalid = (reason: string): NotationError =>
    policyError(`${label} has trusted identity ${quote(identity)} with invalid identity value: ${reason}`);
  if (value === '') throw invalid('the DN after "x509.subject:" is empty; it must contain C, ST and O at a minimum');
  if (value.includes('=#')) {
    throw invalid('notation does not support x509.subject identities containing "=#"; write the value as a string');
  }
  let attrs: readonly DistinguishedNameAttribute[];
  try {
    attrs = parseDistinguishedName(value);
  } catch (err) {
    if (err instanceof NotationError) throw invalid(err.message);
    throw err;
  }
  const attributes = new Map<string, string>();
  for (const { type, value: v } of attrs) {
    if (attributes.has(type)) {
      throw invalid(`the DN has duplicate RDN attribute for ${quote(type)} (S and ST are the same attribute); keep one`);
    }
    if (v === '') throw invalid(`the DN attribute ${quote(type)} has an empty value; give it a value or remove it`);
    attributes.set(type, v);
  }
  for (const type of MANDATORY) {
    if (!attributes.has(type)) {
      throw invalid(`the DN has no mandatory RDN attribute for ${quote(type)}; it must contain C, ST (or S) and O at a minimum`);
    }
  }
  return { raw: identity, attributes };
}

/** Every attribute of `a` is in `b` with the same value. */
function isSubset(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  for (const [type, value] of a) if (b.get(type) !== value) return false;
  return true;
}

/** Validates the trusted identities of a non-skip statement. */
export function validateTrustedIdentities(name: string, identities: readonly string[]): void {
  const label = statementLabel(name);
  if (identities.length > 1 && identities.includes(WILDCARD)) {
    throw policyError(
      `${label} uses a wildcard trusted identity "*", which cannot be used in conjunction with other values; ` +
        'keep "*" alone to trust any identity, or list only x509.subject identities',
    );
  }
  const parsed: ParsedIdentity[] = [];
  for (const identity of identities) {
    const value = subjectValue(identity, label);
    if (value !== undefined) parsed.push(parseIdentity(identity, value, label));
  }
  for (const [i, a] of parsed.entries()) {
    for (const [j, b] of parsed.entries()) {
      if (i !== j && isSubset(a.attributes, b.attributes)) {
        throw policyError(
          `${label} has overlapping x509 trustedIdentities, ${quote(a.raw)} overlaps with ${quote(b.raw)}: every ` +
            `certificate matching the second also matches the first; keep only one of them`,
        );
      }
    }
  }
}

const parsedCache = new WeakMap<TrustPolicyStatement, readonly ParsedIdentity[]>();

function x509Identities(statement: TrustPolicyStatement): readonly ParsedIdentity[] {
  let parsed = parsedCache.get(statement);
  if (parsed === undefined) {
    const label = statementLabel(statement.name);
    const list: ParsedIdentity[] = [];
    for (const identity of statement.trustedIdentities) {
      const value = identity === '' ? undefined : subjectValue(identity, label);
      if (value !== undefined) list.push(parseIdentity(identity, value, label));
    }
    parsed = Object.freeze(list);
    parsedCache.set(statement, parsed);
  }
  return parsed;
}

/**
 * The trusted identity of `statement` that the leaf certificate's subject satisfies: `*`, or the first
 * `x509.subject:` identity whose every attribute the subject contains with an equal value. `undefined` when none,
 * and always (short of `*`) for a subject that repeats an attribute type: notation parses the leaf subject with the
 * identity rules and refuses duplicates, so `O=Evil, O=Good` never satisfies `O=Good`.
 */
export function matchTrustedIdentity(
  statement: TrustPolicyStatement,
  leafSubject: readonly DistinguishedNameAttribute[],
): string | undefined {
  if (statement.trustedIdentities.includes(WILDCARD)) return WILDCARD;
  const subject = leafSubject.map((a) => ({ type: normalizeAttributeType(a.type), value: a.value }));
  if (new Set(subject.map((a) => a.type)).size !== subject.length) return undefined;
  for (const identity of x509Identities(statement)) {
    let all = true;
    for (const [type, value] of identity.attributes) {
      if (!subject.some((a) => a.type === type && a.value === value)) {
        all = false;
        break;
      }
    }
    if (all) return identity.raw;
  }
  return undefined;
}
