/**
 * parseTrustPolicyDocument: the untrusted JSON value of an OCI trust policy document (`trustpolicy.json` /
 * `trustpolicy.oci.json`, version 1.0) validated into a frozen TrustPolicyDocument, with every rule notation's
 * `OCIDocument.Validate` applies. The caller parses the JSON text.
 */
import type { TrustStoreType } from '../types.js';
import { checkFieldNames, describe, field, isPlainObject, optionalString, optionalStringArray } from './fields.js';
import { validateTrustedIdentities } from './identity.js';
import { parseSignatureVerification } from './level.js';
import { validateScopesAcrossStatements, canonicalStatementScopes } from './scope.js';
import {
  LIMITS,
  TRUST_POLICY_LINK,
  TRUST_STORE_TYPES,
  policyError,
  quote,
  statementLabel,
  type TrustPolicyDocument,
  type TrustPolicyStatement,
  type TrustStoreRef,
} from './types.js';

const DOCUMENT_FIELDS = ['version', 'trustPolicies'] as const;
const STATEMENT_FIELDS = ['name', 'registryScopes', 'signatureVerification', 'trustStores', 'trustedIdentities'] as const;
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;

export function parseTrustPolicyDocument(input: unknown): TrustPolicyDocument {
  if (!isPlainObject(input)) {
    throw policyError(
      `malformed trust policy: the document must be a JSON object, got ${describe(input)}; ` +
        `see ${TRUST_POLICY_LINK} for its shape`,
    );
  }
  const where = 'oci trust policy document';
  checkFieldNames(input, DOCUMENT_FIELDS, where);
  const version = optionalString(input, 'version', where, LIMITS.nameLength) ?? '';
  if (version === '') throw policyError(`${where} has empty version, set "version": "1.0"`);
  if (version !== '1.0') throw policyError(`${where} uses unsupported version ${quote(version)}; the supported version is "1.0"`);

  const raw = field(input, 'trustPolicies', where);
  if (raw !== undefined && !Array.isArray(raw)) {
    throw policyError(`${where} is malformed: "trustPolicies" must be an array of statements, got ${describe(raw)}`);
  }
  const list: readonly unknown[] = Array.isArray(raw) ? raw : [];
  if (list.length === 0) {
    throw policyError(`${where} can not have zero trust policy statements; add one to "trustPolicies"`);
  }
  if (list.length > LIMITS.statements) {
    throw policyError(`${where} has ${list.length} trust policy statements, more than the ${LIMITS.statements} allowed`);
  }

  const names = new Set<string>();
  const statements: TrustPolicyStatement[] = [];
  for (const [index, item] of list.entries()) {
    const statement = parseStatement(item, index);
    if (names.has(statement.name)) {
      throw policyError(
        `multiple oci trust policy statements use the same name ${quote(statement.name)}, statement names must be unique; rename one`,
      );
    }
    names.add(statement.name);
    statements.push(statement);
  }
  validateScopesAcrossStatements(statements);
  return Object.freeze({ version: '1.0', trustPolicies: Object.freeze(statements) });
}

function parseStatement(item: unknown, index: number): TrustPolicyStatement {
  const position = `trust policy statement trustPolicies[${index}]`;
  if (!isPlainObject(item)) throw policyError(`${position} is malformed: it must be an object, got ${describe(item)}`);
  checkFieldNames(item, STATEMENT_FIELDS, position);
  const name = optionalString(item, 'name', position, LIMITS.nameLength) ?? '';
  if (name === '') throw policyError(`${position} is missing a name, every statement requires a "name"`);
  const label = statementLabel(name);

  const registryScopes = optionalStringArray(item, 'registryScopes', label, {
    items: LIMITS.registryScopesPerStatement,
    length: LIMITS.registryScopeLength,
  });
  const signatureVerification = parseSignatureVerification(item, name);
  const storeValues =
    optionalStringArray(item, 'trustStores', label, { items: LIMITS.trustStoresPerStatement, length: LIMITS.trustStoreLength }) ?? [];
  const identities =
    optionalStringArray(item, 'trustedIdentities', label, {
      items: LIMITS.trustedIdentitiesPerStatement,
      length: LIMITS.trustedIdentityLength,
    }) ?? [];

  let trustStores: readonly TrustStoreRef[] = [];
  if (signatureVerification.level === 'skip') {
    if (storeValues.length > 0 || identities.length > 0) {
      throw policyError(
        `${label} is set to skip signature verification but configured with trust stores and/or trusted identities, ` +
          'remove them if signature verification needs to be skipped',
      );
    }
  } else {
    if (storeValues.length === 0 || identities.length === 0) {
      throw policyError(
        `${label} is either missing trust stores or trusted identities, both must be specified ` +
          '(e.g. "trustStores": ["ca:my-store"], "trustedIdentities": ["*"])',
      );
    }
    trustStores = parseTrustStores(label, storeValues);
    validateTrustedIdentities(name, identities);
  }
  const canonicalScopes = canonicalStatementScopes(name, registryScopes ?? []);

  return Object.freeze({
    name,
    registryScopes: canonicalScopes,
    signatureVerification,
    trustStores,
    trustedIdentities: Object.freeze([...identities]),
  });
}

/** `<type>:<name>` values; duplicates collapse to one reference. */
function parseTrustStores(label: string, values: readonly string[]): readonly TrustStoreRef[] {
  const refs: TrustStoreRef[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    const colon = value.indexOf(':');
    if (colon < 0) {
      throw policyError(
        `${label} has malformed trust store value ${quote(value)}. The required format is <TrustStoreType>:<TrustStoreName>, ` +
          'e.g. "ca:my-store"',
      );
    }
    const typeText = value.slice(0, colon);
    const name = value.slice(colon + 1);
    const type: TrustStoreType | undefined = TRUST_STORE_TYPES.find((t) => t === typeText);
    if (type === undefined) {
      throw policyError(
        `${label} uses an unsupported trust store type ${quote(typeText)} in trust store value ${quote(value)}; ` +
          `use ${TRUST_STORE_TYPES.map(quote).join(', ')}`,
      );
    }
    if (!STORE_NAME.test(name) || name === '.' || name === '..') {
      throw policyError(
        `${label} uses an unsupported trust store name ${quote(name)} in trust store value ${quote(value)}. ` +
          'Named store name needs to follow [a-zA-Z0-9_.-]+ format (and cannot be "." or "..")',
      );
    }
    if (seen.has(value)) continue;
    seen.add(value);
    refs.push(Object.freeze({ type, name }));
  }
  return Object.freeze(refs);
}
