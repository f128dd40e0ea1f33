/**
 * The Policy of type config-policy: `artifactVerificationPolicies` maps an artifact type to all|any, `default` the rest.
 * The built-in entries (config's DEFAULT_POLICY: Notation signatures `any`, the rest `all`) are already filled in
 * where a Policy is silent, so this only reads the table; the provider and `signgate verify` both decide through it.
 */
import type { PolicyConfig, VerificationPolicyMode } from '../config/types.js';

/** The mode for `artifactType`: its own entry, else `default`, else `all` (fail closed). */
export function policyFor(policy: PolicyConfig, artifactType: string): VerificationPolicyMode {
  const table = policy.artifactVerificationPolicies;
  const own = Object.hasOwn(table, artifactType) ? table[artifactType] : undefined;
  const fallback = Object.hasOwn(table, 'default') ? table.default : undefined;
  return own ?? fallback ?? 'all';
}
