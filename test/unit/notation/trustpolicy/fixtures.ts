/** Builders shared by the trust policy tests: a valid statement / document to mutate, and the error assertion. */
import assert from 'node:assert/strict';
import { NotationError, type NotationErrorCode } from '../../../../provider/src/notation/errors.js';

export type Json = Record<string, unknown>;

/** A valid strict statement; `changes` replace or add fields (a value of `undefined` deletes the field). */
export function statement(changes: Json = {}): Json {
  const base: Json = {
    name: 'wabbit-networks-images',
    registryScopes: ['registry.acme-rockets.io/software/net-monitor'],
    signatureVerification: { level: 'strict' },
    trustStores: ['ca:acme-rockets'],
    trustedIdentities: ['x509.subject: C=US, ST=WA, O=wabbit-networks.io'],
  };
  const out: Json = { ...base, ...changes };
  for (const [k, v] of Object.entries(changes)) if (v === undefined) delete out[k];
  return out;
}

export function documentOf(...statements: unknown[]): Json {
  return { version: '1.0', trustPolicies: statements };
}

/** Runs `fn`, expecting a NotationError with `code` whose message contains every fragment (case-insensitive). */
export function expectNotationError(fn: () => unknown, code: NotationErrorCode, ...fragments: string[]): NotationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof NotationError, `expected a NotationError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const f of fragments) {
    assert.ok(caught.message.toLowerCase().includes(f.toLowerCase()), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(f)}`);
  }
  return caught;
}

export function expectInvalid(fn: () => unknown, ...fragments: string[]): NotationError {
  return expectNotationError(fn, 'TRUST_POLICY_INVALID', ...fragments);
}

/** The label every statement-level message starts with. */
export const WABBIT = 'trust policy statement "wabbit-networks-images"';
