/**
 * Which SigningRule covers a repository: the rule of the same canonical registry whose namespace is the repository's
 * first path segment(s). Config guarantees that namespaces of one registry never overlap, so at most one matches.
 */
import type { SigningRuleConfig } from '../config/index.js';

/** The rule whose registry and namespace cover `registry/repository`, enabled or not. */
export function ruleFor(rules: readonly SigningRuleConfig[], registry: string, repository: string): SigningRuleConfig | undefined {
  return rules.find((r) => r.registry === registry && repository.startsWith(`${r.namespace}/`));
}

/** `registry/namespace`, as messages and status name a rule's scope. */
export function ruleScope(rule: SigningRuleConfig): string {
  return `${rule.registry}/${rule.namespace}`;
}

