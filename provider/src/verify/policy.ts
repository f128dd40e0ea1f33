/** The Policy of type config-policy: `artifactVerificationPolicies` maps an artifact type to all|any, `default` the rest. */
import type { PolicyConfig, VerificationPolicyMode } from '../config/types.js';

/** The mode for `artifactType`: its own entry, else `default`, else `all` (fail closed). */
export function policyFor(policy: PolicyConfig | undefined, artifactType: string): VerificationPolicyMode {
  const table = policy?.artifactVerificationPolicies ?? {};
  const own = Object.prototype.hasOwnProperty.call(table, artifactType) ? table[artifactType] : undefined;
  const fallback = Object.prototype.hasOwnProperty.call(table, 'default') ? table.default : undefined;
  return own ?? fallback ?? 'all';
}
