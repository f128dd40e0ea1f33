/**
 * Typed resources -> one frozen Config. The cluster scope is built from the cluster-wide kinds. Each namespace with
 * Namespaced* resources gets its own scope: its NamespacedVerifiers replace cluster Verifiers of the same name and add
 * to the others, its NamespacedStore / NamespacedPolicy replace the cluster's, and its verifiers find
 * KeyManagementProviders in the namespace first, then cluster-wide. One Store and one Policy per scope.
 */
import type { IssueList } from './errors.js';
import type { InputTracker } from './inputs.js';
import type { ConfigResource } from './kinds.js';
import { resolveKmp, type ResolvedKmp, type SecretResolver } from './kmp.js';
import type { DockerConfigWriter } from './registryCredentials.js';
import { buildPolicy, buildStore, DEFAULT_POLICY, DEFAULT_STORE } from './settings.js';
import { configDigest, scopeDigest } from './digest.js';
import { buildSigningRules } from './signingRules.js';
import type { Config, PolicyConfig, ScopeConfig, StoreConfig, VerifierConfig } from './types.js';
import { buildVerifier, type KmpLookup } from './verifiers.js';

export interface BuildContext {
  readonly generation: number;
  readonly tracker: InputTracker;
  readonly issues: IssueList;
  readonly resolveSecret?: SecretResolver;
  readonly writeDockerConfig?: DockerConfigWriter;
  /** Where a SigningRule's authProvider Secrets that name no namespace are read (the signer's namespace). */
  readonly signerNamespace?: string;
}

type Of<K extends ConfigResource['kind']> = Extract<ConfigResource, { kind: K }>;
const CLUSTER = '';

interface Scoped {
  kmps: Map<string, ResolvedKmp | 'invalid'>;
  verifiers: Of<'Verifier'>[];
  stores: Of<'Store'>[];
  policies: Of<'Policy'>[];
}

function group(resources: readonly ConfigResource[]): Map<string, Scoped> {
  const scopes = new Map<string, Scoped>([[CLUSTER, { kmps: new Map(), verifiers: [], stores: [], policies: [] }]]);
  for (const r of resources) {
    const key = r.namespace ?? CLUSTER;
    let scope = scopes.get(key);
    if (!scope) {
      scope = { kmps: new Map(), verifiers: [], stores: [], policies: [] };
      scopes.set(key, scope);
    }
    if (r.kind === 'Verifier') scope.verifiers.push(r);
    else if (r.kind === 'Store') scope.stores.push(r);
    else if (r.kind === 'Policy') scope.policies.push(r);
  }
  return scopes;
}

/** At most one Store / Policy per scope: every extra one is an issue. */
function single<R extends Of<'Store'> | Of<'Policy'>>(list: readonly R[], issues: IssueList): R | undefined {
  const [first, ...extra] = list;
  for (const r of extra) {
    const scope = r.namespace === undefined ? 'cluster-wide' : `in namespace ${r.namespace}`;
    const line = first?.origin.lineOf?.([]);
    issues.add(
      'CONFIG_INVALID',
      r.origin,
      ['metadata', 'name'],
      `is a second ${r.kind} ${scope}; signgate uses one ${r.kind} per scope (the first is "${first?.name ?? ''}" in ` +
        `${first?.origin.file ?? ''}${line === undefined ? '' : `:${line}`}); merge them into one`,
    );
  }
  return first;
}

async function buildVerifiers(list: readonly Of<'Verifier'>[], lookup: KmpLookup, issues: IssueList, tracker: InputTracker): Promise<VerifierConfig[]> {
  const out: VerifierConfig[] = [];
  for (const r of list) {
    const v = await buildVerifier(r, lookup, issues, tracker);
    if (v) out.push(v);
  }
  return out;
}

function scope(verifiers: readonly VerifierConfig[], store: StoreConfig, policy: PolicyConfig): ScopeConfig {
  const parts = { verifiers: Object.freeze([...verifiers]), store, policy };
  return Object.freeze({ ...parts, digest: scopeDigest(parts) });
}

export async function buildConfig(resources: readonly ConfigResource[], ctx: BuildContext): Promise<Config> {
  const { issues, tracker } = ctx;
  const scopes = group(resources);
  for (const r of resources) {
    if (r.kind !== 'KeyManagementProvider') continue;
    const resolved = await resolveKmp(r, tracker, issues, ctx.resolveSecret);
    scopes.get(r.namespace ?? CLUSTER)?.kmps.set(r.name, resolved ?? 'invalid');
  }
  const cluster = scopes.get(CLUSTER) as Scoped;
  const clusterVerifiers = await buildVerifiers(cluster.verifiers, (name) => cluster.kmps.get(name), issues, tracker);
  const clusterStoreResource = single(cluster.stores, issues);
  const clusterPolicyResource = single(cluster.policies, issues);
  const clusterStore = clusterStoreResource ? await buildStore(clusterStoreResource, tracker, issues, ctx) : DEFAULT_STORE;
  const clusterPolicy = clusterPolicyResource ? buildPolicy(clusterPolicyResource) : DEFAULT_POLICY;

  const namespaces = new Map<string, ScopeConfig>();
  for (const [namespace, own] of [...scopes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (namespace === CLUSTER) continue;
    const lookup: KmpLookup = (name) => own.kmps.get(name) ?? cluster.kmps.get(name);
    const merged = new Map(clusterVerifiers.map((v) => [v.name, v]));
    for (const v of await buildVerifiers(own.verifiers, lookup, issues, tracker)) merged.set(v.name, v);
    const storeResource = single(own.stores, issues);
    const policyResource = single(own.policies, issues);
    const store = storeResource ? await buildStore(storeResource, tracker, issues, ctx) : clusterStore;
    const policy = policyResource ? buildPolicy(policyResource) : clusterPolicy;
    if (merged.size > 0) namespaces.set(namespace, scope([...merged.values()], store, policy));
  }
  const clusterScope = clusterVerifiers.length > 0 ? scope(clusterVerifiers, clusterStore, clusterPolicy) : undefined;
  return Object.freeze({
    generation: ctx.generation,
    digest: configDigest(clusterScope, namespaces),
    cluster: clusterScope,
    namespaces,
    signingRules: await buildSigningRules(resources, issues, ctx),
  });
}
