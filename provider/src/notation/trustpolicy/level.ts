/**
 * Signature verification levels and the custom verification level (`override`), as the specification's
 * "Signature Verification details" table and "Custom Verification Level" section define them.
 */
import { checkFieldNames, describe, optionalObject, optionalString, type JsonObject } from './fields.js';
import {
  LIMITS,
  VALIDATION_ACTIONS,
  VALIDATION_TYPES,
  VERIFICATION_LEVELS,
  policyError,
  quote,
  statementLabel,
  type TrustPolicyStatement,
  type ValidationAction,
  type ValidationType,
  type VerificationLevelName,
  type VerifyTimestampOption,
} from './types.js';

type ActionTable = Readonly<Record<ValidationType, ValidationAction>>;

/** The level table of the specification. */
const LEVEL_ACTIONS: Readonly<Record<VerificationLevelName, ActionTable>> = Object.freeze({
  strict: Object.freeze({ integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'enforce', expiry: 'enforce', revocation: 'enforce' }),
  permissive: Object.freeze({ integrity: 'enforce', authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' }),
  audit: Object.freeze({ integrity: 'enforce', authenticity: 'log', authenticTimestamp: 'log', expiry: 'log', revocation: 'log' }),
  skip: Object.freeze({ integrity: 'skip', authenticity: 'skip', authenticTimestamp: 'skip', expiry: 'skip', revocation: 'skip' }),
});

/** The action of every validation for a statement: its level's row with the overrides applied. */
export function validationActions(statement: TrustPolicyStatement): ActionTable {
  const { level, override } = statement.signatureVerification;
  const base = LEVEL_ACTIONS[level];
  if (level === 'skip') return base;
  const actions: Record<ValidationType, ValidationAction> = { ...base };
  for (const type of VALIDATION_TYPES) {
    const action = override[type];
    if (action !== undefined) actions[type] = action;
  }
  return Object.freeze(actions);
}

const SIGNATURE_VERIFICATION_FIELDS = ['level', 'override', 'verifyTimestamp'] as const;
const TIMESTAMP_OPTIONS: readonly VerifyTimestampOption[] = ['always', 'afterCertExpiry'];

/** Validates a statement's `signatureVerification` object into its typed form. */
export function parseSignatureVerification(
  statement: JsonObject,
  name: string,
): TrustPolicyStatement['signatureVerification'] {
  const label = statementLabel(name);
  const where = `${label}: signatureVerification`;
  const raw = optionalObject(statement, 'signatureVerification', label) ?? {};
  checkFieldNames(raw, SIGNATURE_VERIFICATION_FIELDS, where);

  const levelText = optionalString(raw, 'level', where, LIMITS.nameLength) ?? '';
  if (levelText === '') {
    throw policyError(
      `${label} has invalid signatureVerification: the verification level is empty or missing; ` +
        `set "level" to one of ${VERIFICATION_LEVELS.map(quote).join(', ')}`,
    );
  }
  const level = VERIFICATION_LEVELS.find((l) => l === levelText);
  if (level === undefined) {
    throw policyError(
      `${label} has invalid signatureVerification: invalid verification level ${quote(levelText)}; ` +
        `use one of ${VERIFICATION_LEVELS.map(quote).join(', ')}`,
    );
  }

  const override = parseOverride(raw, level, label);
  const verifyTimestamp = parseVerifyTimestamp(raw, label);
  return Object.freeze({ level, override, verifyTimestamp });
}

function parseOverride(
  raw: JsonObject,
  level: VerificationLevelName,
  label: string,
): Readonly<Partial<Record<ValidationType, ValidationAction>>> {
  const value = optionalObject(raw, 'override', `${label}: signatureVerification`);
  const keys = value === undefined ? [] : Object.keys(value);
  if (value === undefined || keys.length === 0) return Object.freeze({});
  if (level === 'skip') {
    throw policyError(
      `${label} has invalid signatureVerification: level "skip" cannot be customized with "override"; ` +
        'remove the override, or pick strict, permissive or audit',
    );
  }
  if (keys.length > VALIDATION_TYPES.length) {
    throw policyError(`${label} has invalid signatureVerification: "override" has ${keys.length} entries; only ${VALIDATION_TYPES.length} validation types exist`);
  }
  const out: Partial<Record<ValidationType, ValidationAction>> = {};
  for (const key of keys) {
    const type = VALIDATION_TYPES.find((t) => t === key);
    if (type === undefined) {
      throw policyError(
        `${label} has invalid signatureVerification: verification type ${quote(key)} in "override" is not supported; ` +
          `supported types are ${VALIDATION_TYPES.filter((t) => t !== 'integrity').map(quote).join(', ')}`,
      );
    }
    const actionValue: unknown = value[key];
    const action = VALIDATION_ACTIONS.find((a) => a === actionValue);
    if (action === undefined) {
      const shown = typeof actionValue === 'string' ? quote(actionValue) : describe(actionValue);
      throw policyError(
        `${label} has invalid signatureVerification: verification action ${shown} for ${quote(key)} in "override" ` +
          `is not supported; use ${VALIDATION_ACTIONS.map(quote).join(', ')}`,
      );
    }
    if (type === 'integrity') {
      throw policyError(
        `${label} has invalid signatureVerification: "integrity" verification can not be overridden; ` +
          'it is always enforced, remove it from "override"',
      );
    }
    if (action === 'skip' && type !== 'revocation') {
      throw policyError(
        `${label} has invalid signatureVerification: ${quote(type)} verification can not be skipped; ` +
          'only "revocation" may be "skip", use "log" to record failures without enforcing them',
      );
    }
    out[type] = action;
  }
  return Object.freeze(out);
}

function parseVerifyTimestamp(raw: JsonObject, label: string): VerifyTimestampOption {
  const where = `${label}: signatureVerification`;
  const text = optionalString(raw, 'verifyTimestamp', where, LIMITS.nameLength) ?? '';
  if (text === '') return 'always';
  const option = TIMESTAMP_OPTIONS.find((o) => o === text);
  if (option === undefined) {
    throw policyError(
      `${label} has invalid signatureVerification: verifyTimestamp ${quote(text)} is not supported; ` +
        'use "always" (the default) or "afterCertExpiry"',
    );
  }
  return option;
}
