/**
 * Status conditions: what each resource's `Ready` condition says after a load attempt, and writing it through the
 * status subresource (JSON merge patch of `.status`) only when it differs from what the object already shows, so that
 * the controller's own writes settle instead of looping.
 */
import { formatIssue, type ConfigIssue, type ConfigErrorCode } from '../config/index.js';
import type { KubeClient } from './client.js';
import type { KubeObject } from './informer.js';
import { objectPath, type WatchedKind } from './kinds.js';

export const MAX_CONDITION_MESSAGE = 32_768;

export interface ReadyCondition {
  readonly type: 'Ready';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration: number;
  readonly lastTransitionTime: string;
}

const REASONS: Record<ConfigErrorCode, string> = {
  CONFIG_UNREADABLE: 'Unreadable',
  CONFIG_SYNTAX: 'InvalidSpec',
  CONFIG_LIMIT: 'LimitExceeded',
  CONFIG_SCHEMA: 'InvalidSpec',
  CONFIG_INVALID: 'InvalidSpec',
  CONFIG_REFERENCE: 'ReferenceNotFound',
  CONFIG_TRUST_POLICY: 'InvalidTrustPolicy',
  CONFIG_CERTIFICATE: 'InvalidCertificate',
  CRDS_UNAVAILABLE: 'InstallationIncomplete',
};

export function reasonOf(code: ConfigErrorCode): string {
  return REASONS[code];
}

/** One line per issue: `field.path: reason` (the resource is the one the condition is on). */
export function issueMessage(issues: readonly ConfigIssue[]): string {
  const text = issues.map((i) => (i.kind === undefined ? formatIssue(i) : `${i.path === '' ? '' : `${i.path}: `}${i.reason}`)).join('\n');
  return text.length > MAX_CONDITION_MESSAGE ? `${text.slice(0, MAX_CONDITION_MESSAGE - 20)}\n... (truncated)` : text;
}

/** `value` as a plain object to read fields from (anything else reads as empty): the API's JSON is checked field by field. */
export function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function generationOf(object: KubeObject): number {
  const g = record(object.metadata).generation;
  return typeof g === 'number' ? g : 0;
}

/** The Ready condition the object shows now, if any. */
export function currentReady(object: KubeObject): Record<string, unknown> | undefined {
  const conditions = record(object.status).conditions;
  if (!Array.isArray(conditions)) return undefined;
  return conditions.map(record).find((c) => c.type === 'Ready');
}

/** `desired` with the object's lastTransitionTime kept when the status did not flip; undefined when nothing changes. */
export function conditionUpdate(object: KubeObject, desired: Omit<ReadyCondition, 'lastTransitionTime'>, now: Date): ReadyCondition | undefined {
  const shown = currentReady(object);
  const observed = record(object.status).observedGeneration;
  if (
    shown &&
    shown.status === desired.status &&
    shown.reason === desired.reason &&
    shown.message === desired.message &&
    shown.observedGeneration === desired.observedGeneration &&
    observed === desired.observedGeneration
  ) {
    return undefined;
  }
  const keep = shown && shown.status === desired.status && typeof shown.lastTransitionTime === 'string';
  return { ...desired, lastTransitionTime: keep ? (shown.lastTransitionTime as string) : now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

/** Writes `condition` (and observedGeneration) through the status subresource. */
export async function writeReady(client: KubeClient, kind: WatchedKind, object: KubeObject, condition: ReadyCondition): Promise<void> {
  const meta = record(object.metadata);
  const name = String(meta.name);
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
  await client.request('PATCH', objectPath(kind, namespace, name, 'status'), {
    contentType: 'application/merge-patch+json',
    body: { status: { observedGeneration: condition.observedGeneration, conditions: [condition] } },
  });
}
