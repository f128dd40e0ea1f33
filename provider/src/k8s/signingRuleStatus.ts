/**
 * What a SigningRule's status shows, written by the leading signer through the status subresource (JSON merge patch),
 * only when it differs from what the object shows: `observedGeneration`, one `Ready` condition (True/Accepted, or
 * False with the reason and the exact problem), and the rule's counts (signed, failed, lastSigned, lastSignedImage,
 * lastError) from the signing service.
 */
import type { SigningRuleConfig } from '../config/index.js';
import type { RuleStatus } from '../signing/index.js';
import type { KubeClient } from './client.js';
import type { KubeObject } from './informer.js';
import { objectPath, type WatchedKind } from './kinds.js';
import { conditionUpdate, generationOf, MAX_CONDITION_MESSAGE, record, type ReadyCondition } from './status.js';

export const SIGNING_RULE_KIND: WatchedKind = Object.freeze({ kind: 'SigningRule', plural: 'signingrules', namespaced: false });

/** Why a rule is not (or no longer) in effect; undefined: accepted. */
export interface RuleProblem {
  /** CamelCase condition reason: InvalidSpec, KeyUnavailable, RemovingSignatures, RemovalFailed, ... */
  readonly reason: string;
  readonly message: string;
}

function bounded(text: string): string {
  return text.length > MAX_CONDITION_MESSAGE ? `${text.slice(0, MAX_CONDITION_MESSAGE - 20)}\n... (truncated)` : text;
}

/** The Ready message of an accepted rule: what it signs, how, and with which key door. */
export function acceptedMessage(rule: SigningRuleConfig): string {
  const door = rule.key.door === 'secret' ? `the key file in Secret ${rule.key.secretName}` : rule.key.door === 'file' ? 'a key file' : rule.key.door === 'pkcs11' ? 'a PKCS#11 key' : `the Notation plugin ${rule.key.name}`;
  const what = `signs ${rule.registry}/${rule.namespace}/... with ${door} (${rule.signatureType}, ${rule.envelope}, ${rule.trigger})`;
  return rule.enabled ? what : `${what}; disabled (spec.enabled: false): signs nothing until enabled`;
}

/** The status fields of `counts` (absent: the rule signs nothing in this process, so the shown counts stay). */
function countFields(counts: RuleStatus | undefined): Record<string, unknown> {
  if (counts === undefined) return {};
  return {
    signed: counts.signed,
    failed: counts.failed,
    ...(counts.lastSigned === undefined ? {} : { lastSigned: counts.lastSigned.replace(/\.\d{3}Z$/, 'Z') }),
    ...(counts.lastSignedImage === undefined ? {} : { lastSignedImage: counts.lastSignedImage }),
    ...(counts.lastError === undefined ? {} : { lastError: bounded(counts.lastError) }),
  };
}

/** The merge patch of `object`'s status, or undefined when the object already shows it. */
export function ruleStatusPatch(object: KubeObject, problem: RuleProblem | undefined, accepted: SigningRuleConfig | undefined, counts: RuleStatus | undefined, now: Date): Record<string, unknown> | undefined {
  const observedGeneration = generationOf(object);
  const desired: Omit<ReadyCondition, 'lastTransitionTime'> =
    problem !== undefined
      ? { type: 'Ready', status: 'False', reason: problem.reason, message: bounded(problem.message), observedGeneration }
      : { type: 'Ready', status: 'True', reason: 'Accepted', message: accepted === undefined ? 'accepted' : acceptedMessage(accepted), observedGeneration };
  const condition = conditionUpdate(object, desired, now);
  const fields = countFields(counts);
  const shown = record(object.status);
  const countsChanged = Object.entries(fields).some(([k, v]) => shown[k] !== v);
  if (condition === undefined && !countsChanged) return undefined;
  return { status: { observedGeneration, ...(condition === undefined ? {} : { conditions: [condition] }), ...fields } };
}

/** Writes `patch` through the status subresource of the SigningRule `name`. */
export async function writeRuleStatus(client: KubeClient, name: string, patch: Record<string, unknown>): Promise<void> {
  await client.request('PATCH', objectPath(SIGNING_RULE_KIND, undefined, name, 'status'), { contentType: 'application/merge-patch+json', body: patch });
}
