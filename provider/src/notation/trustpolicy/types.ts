/**
 * The OCI trust policy document, version 1.0, in the words of the Notary Project specification
 * (specs/trust-store-trust-policy.md, "Trust Policy"). Values of these types come only out of
 * `parseTrustPolicyDocument`, so they always satisfy every rule of the specification; they are frozen.
 */
import { NotationError } from '../errors.js';
import type { TrustStoreType } from '../types.js';

export type ValidationType = 'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';
export type ValidationAction = 'enforce' | 'log' | 'skip';
export type VerificationLevelName = 'strict' | 'permissive' | 'audit' | 'skip';
export type VerifyTimestampOption = 'always' | 'afterCertExpiry';

/** A named trust store a statement uses: `<type>:<name>` maps to `x509/<type>/<name>/` in the trust store. */
export interface TrustStoreRef {
  readonly type: TrustStoreType;
  readonly name: string;
}

export interface TrustPolicyStatement {
  readonly name: string;
  readonly registryScopes: readonly string[];
  readonly signatureVerification: {
    readonly level: VerificationLevelName;
    readonly override: Readonly<Partial<Record<ValidationType, ValidationAction>>>;
    /** When a `tsa` store is configured, verify the timestamp always (default) or only once a certificate expired. */
    readonly verifyTimestamp: VerifyTimestampOption;
  };
  /** Empty exactly when the level is `skip`. */
  readonly trustStores: readonly TrustStoreRef[];
  /** `*` alone, or identities as written (`x509.subject:<DN>`, other prefixes kept but ignored). Empty for `skip`. */
  readonly trustedIdentities: readonly string[];
}

export interface TrustPolicyDocument {
  readonly version: '1.0';
  readonly trustPolicies: readonly TrustPolicyStatement[];
}

export const VALIDATION_TYPES: readonly ValidationType[] = [
  'integrity',
  'authenticity',
  'authenticTimestamp',
  'expiry',
  'revocation',
];
export const VALIDATION_ACTIONS: readonly ValidationAction[] = ['enforce', 'log', 'skip'];
export const VERIFICATION_LEVELS: readonly VerificationLevelName[] = ['strict', 'permissive', 'audit', 'skip'];
export const TRUST_STORE_TYPES: readonly TrustStoreType[] = ['ca', 'signingAuthority', 'tsa'];

/** The global registry scope and the wildcard trusted identity. */
export const WILDCARD = '*';
/** The only trusted-identity prefix Notation evaluates natively. */
export const X509_SUBJECT = 'x509.subject';
export const TRUST_POLICY_LINK = 'https://notaryproject.dev/docs/quickstart/#create-a-trust-policy';

/** Bounds on untrusted trust policy input. Real policies are far below every one of them. */
export const LIMITS = {
  statements: 256,
  registryScopesPerStatement: 256,
  trustStoresPerStatement: 64,
  trustedIdentitiesPerStatement: 64,
  fieldsPerObject: 64,
  nameLength: 256,
  registryScopeLength: 512,
  trustStoreLength: 256,
  trustedIdentityLength: 4096,
  distinguishedNameAttributes: 64,
  artifactReferenceLength: 2048,
} as const;

/** JSON-style quoting for user text inside messages (escapes quotes and control characters). */
export function quote(text: string): string {
  return JSON.stringify(text);
}

export function policyError(message: string): NotationError {
  return new NotationError('TRUST_POLICY_INVALID', message);
}

/** `trust policy statement "<name>"`: the subject of every statement-level message. */
export function statementLabel(name: string): string {
  return `trust policy statement ${quote(name)}`;
}
