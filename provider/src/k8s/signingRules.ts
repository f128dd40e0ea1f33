/**
 * SigningRule custom resources for `signgate signer serve --kubernetes`: an informer over
 * `config.signgate.dev/v1alpha1 signingrules` feeds config/'s loader (the same CRD schema and checks as rule files; the
 * oldest rule keeps a registry namespace, a later one is rejected naming it). The rules in effect are handed to
 * `applyRules` (cli/ opens their keys and swaps them into the signing service). The leading signer alone (`isLeader()`)
 * writes each rule's status (signingRuleStatus.ts), keeps the finalizer `signgate.dev/remove-signatures` on rules with
 * `removeSignaturesOnDelete`, and, when such a rule is deleted, calls `removeSignatures` and then lets the deletion
 * finish by removing the finalizer. A rule being deleted stays in the rule set, disabled, until then (its key is
 * needed to know its signatures). Key files of `spec.key.file.secretName` are read from Secrets of the signer's
 * namespace, each watched by name; a rotated Secret reopens the key. Registry credentials of
 * `spec.registryCredentials.authProvider` go through the Store's code: config/ merges the dockerconfigjson Secrets
 * (read by secrets.ts's resolver, the signer's namespace by default) into a content-named file (credentialFiles.ts), so
 * a rotated Secret changes the rule's dockerConfigPath and the rule is applied again.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfigFromDocuments, serialRunner, type ConfigIssue, type SigningRuleConfig, type SourceDocument } from '../config/index.js';
import type { RuleStatus } from '../signing/index.js';
import type { KubeClient } from './client.js';
import { KubeError } from './errors.js';
import { defaultSleep, startInformer, type Backoff, type KubeObject, type Sleep } from './informer.js';
import { collectionPath, GROUP, objectPath, VERSION } from './kinds.js';
import { dockerConfigWriter, removeStaleFiles } from './credentialFiles.js';
import { createSecretWatch, secretData, secretResolver, type SecretWatch } from './secrets.js';
import { ruleStatusPatch, SIGNING_RULE_KIND, writeRuleStatus, type RuleProblem } from './signingRuleStatus.js';
import { reasonOf, record } from './status.js';

export const REMOVE_SIGNATURES_FINALIZER = 'signgate.dev/remove-signatures';

export interface SigningRuleControllerOptions {
  readonly client: KubeClient;
  /** The signer's namespace: key Secrets are read there. */
  readonly namespace: string;
  readonly isLeader: () => boolean;
  /**
   * The rules in effect changed (or a key Secret did: `versions` names each rule's Secret resourceVersion). Resolves
   * the reason of each rule that cannot be used (its key did not open).
   */
  readonly applyRules: (rules: readonly SigningRuleConfig[], versions: ReadonlyMap<string, string>) => Promise<ReadonlyMap<string, Error>>;
  /** The signing service's counts per rule. */
  readonly counts: () => readonly RuleStatus[];
  /** Deletes the rule's signatures (removeSignaturesOnDelete); resolves a one-line summary. */
  readonly removeSignatures: (rule: SigningRuleConfig) => Promise<string>;
  readonly clock: () => Date;
  readonly log: (level: 'info' | 'warn' | 'error', message: string, rule?: string) => void;
  readonly crdsDir?: string;
  /** Private folder for the docker config files of authProvider credentials (default: a folder under the OS temp dir). */
  readonly stateDir?: string;
  readonly sleep?: Sleep;
  readonly backoff?: Backoff;
  /** Status (counts) refresh while leading (default 5 s). */
  readonly statusIntervalMs?: number;
  /** Wait before a failed removal is tried again (default 60 s). */
  readonly removalRetryMs?: number;
}

export interface SigningRuleController {
  /** The rules in effect (disabled copies of rules being deleted included). */
  rules(): readonly SigningRuleConfig[];
  waitForSync(timeoutMs: number): Promise<boolean>;
  /** Loads the rules now and, when leading, writes status, finalizers and removals. */
  reconcile(): Promise<void>;
  /** The key Secret reader for cli/'s key opening (PEM text of two entries). */
  readKeySecret(secretName: string, entries: { readonly key: string; readonly certificateChain: string }): Promise<{ readonly key: string; readonly certificateChain: string; readonly label: string }>;
  close(): Promise<void>;
}

const nameOf = (o: KubeObject): string => String(record(o.metadata).name ?? '');
const finalizersOf = (o: KubeObject): string[] => (Array.isArray(record(o.metadata).finalizers) ? (record(o.metadata).finalizers as unknown[]).filter((f): f is string => typeof f === 'string') : []);
const deleting = (o: KubeObject): boolean => typeof record(o.metadata).deletionTimestamp === 'string';

/** Oldest first (then by name): the rule created first keeps a registry namespace. */
function byAge(a: KubeObject, b: KubeObject): number {
  const ta = String(record(a.metadata).creationTimestamp ?? '');
  const tb = String(record(b.metadata).creationTimestamp ?? '');
  return ta < tb ? -1 : ta > tb ? 1 : nameOf(a) < nameOf(b) ? -1 : 1;
}

function documentOf(o: KubeObject): SourceDocument {
  const name = nameOf(o);
  return { file: `kubernetes signingrules/${name}`, document: 1, value: { apiVersion: `${GROUP}/${VERSION}`, kind: 'SigningRule', metadata: { name }, spec: o.spec } };
}

function problemOf(issues: readonly ConfigIssue[]): RuleProblem {
  const first = issues[0] as ConfigIssue;
  return { reason: reasonOf(first.code), message: issues.map((i) => `${i.path === '' ? '' : `${i.path}: `}${i.reason}`).join('\n') };
}

interface RuleSources {
  readonly crdsDir: string | undefined;
  readonly secrets: SecretWatch;
  /** The signer's namespace (authProvider Secrets that name none). */
  readonly namespace: string;
  readonly stateDir: string;
  /** Filled with the authProvider Secrets read (`namespace/name`) and the docker config files written. */
  readonly used: Set<string>;
  readonly files: Set<string>;
}

/**
 * The rules of `objects` that config/ accepts, and the problem of each it does not: a load that rejects rules is
 * repeated without them, so one bad rule never holds the others back.
 */
async function loadRules(objects: readonly KubeObject[], sources: RuleSources): Promise<{ rules: readonly SigningRuleConfig[]; problems: Map<string, RuleProblem> }> {
  const problems = new Map<string, RuleProblem>();
  let documents = [...objects].sort(byAge).map(documentOf);
  const options = {
    generation: 1,
    resolveSecret: secretResolver(sources.secrets, sources.used),
    writeDockerConfig: dockerConfigWriter(sources.stateDir, sources.files),
    signerNamespace: sources.namespace,
    ...(sources.crdsDir === undefined ? {} : { crdsDir: sources.crdsDir }),
  };
  while (documents.length > 0) {
    try {
      const config = await loadConfigFromDocuments(documents, options);
      return { rules: config.signingRules, problems };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const named = new Map<string, ConfigIssue[]>();
      for (const issue of error.issues) if (issue.kind === 'SigningRule' && issue.name !== undefined) named.set(issue.name, [...(named.get(issue.name) ?? []), issue]);
      if (named.size === 0) {
        for (const d of documents) problems.set(String(record(record(d.value).metadata).name), problemOf(error.issues));
        return { rules: [], problems };
      }
      for (const [name, issues] of named) problems.set(name, problemOf(issues));
      documents = documents.filter((d) => !named.has(String(record(record(d.value).metadata).name)));
    }
  }
  return { rules: [], problems };
}

export function startSigningRuleController(options: SigningRuleControllerOptions): SigningRuleController {
  const { client, clock } = options;
  const stateDir = options.stateDir ?? join(tmpdir(), `signgate-signer-k8s-${process.pid}`);
  const sleep = options.sleep ?? defaultSleep;
  const abort = new AbortController();
  let closed = false;
  let inEffect: readonly SigningRuleConfig[] = [];
  let accepted = new Map<string, SigningRuleConfig>();
  let problems = new Map<string, RuleProblem>();
  let keyProblems: ReadonlyMap<string, Error> = new Map();
  let applied: string | undefined;
  /** Removals under way or failed; a failed one waits for the next status refresh (never retried by its own report). */
  const removals = new Map<string, { running: boolean; waiting: boolean; failure?: { message: string; at: number } }>();
  const secrets = createSecretWatch({ client, onChange: () => void runner.run(), ...(options.sleep ? { sleep: options.sleep } : {}), ...(options.backoff ? { backoff: options.backoff } : {}) });
  const informer = startInformer({
    client,
    path: collectionPath(SIGNING_RULE_KIND),
    onChange: () => void runner.run(),
    onError: (e) => options.log('warn', e.message),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  const runner = serialRunner(async () => {
    try {
      await reconcileOnce();
    } catch (error) {
      options.log('error', `SigningRules could not be reconciled (retried at the next change or status refresh): ${(error as Error).message}`);
    }
    return true;
  }, () => closed);

  /** The key Secrets' resourceVersions; every Secret not in `keep` (a load's authProvider Secrets) stops being watched. */
  async function secretVersions(rules: readonly SigningRuleConfig[], keep: Set<string>): Promise<Map<string, string>> {
    const versions = new Map<string, string>();
    for (const rule of rules) {
      if (rule.key.door !== 'secret') continue;
      keep.add(`${options.namespace}/${rule.key.secretName}`);
      const secret = await secrets.get(options.namespace, rule.key.secretName).catch(() => undefined);
      versions.set(rule.name, String(record(secret?.metadata).resourceVersion ?? 'absent'));
    }
    await secrets.retain(keep);
    return versions;
  }

  async function reconcileOnce(): Promise<void> {
    if (!informer.synced()) return;
    const objects = informer.items();
    const used = new Set<string>();
    const files = new Set<string>();
    const loaded = await loadRules(objects, { crdsDir: options.crdsDir, secrets, namespace: options.namespace, stateDir, used, files });
    const gone = new Set(objects.filter(deleting).map(nameOf));
    accepted = new Map(loaded.rules.map((r) => [r.name, r]));
    problems = loaded.problems;
    const rules = loaded.rules.map((r) => (gone.has(r.name) && r.enabled ? Object.freeze({ ...r, enabled: false }) : r));
    const versions = await secretVersions(rules, used);
    const fingerprint = JSON.stringify([rules, [...versions]]);
    if (fingerprint !== applied) {
      keyProblems = await options.applyRules(rules, versions);
      applied = fingerprint;
      inEffect = rules.filter((r) => !keyProblems.has(r.name));
      await removeStaleFiles(stateDir, files);
    }
    if (!options.isLeader()) return;
    const counts = new Map(options.counts().map((c) => [c.rule, c]));
    for (const object of objects) {
      const name = nameOf(object);
      await keepFinalizer(object);
      const patch = ruleStatusPatch(object, problemFor(object), accepted.get(name), inEffect.some((r) => r.name === name) ? counts.get(name) : undefined, clock());
      if (patch !== undefined) await writeRuleStatus(client, name, patch).catch((e: unknown) => options.log('warn', `cannot write the status of SigningRule ${name}: ${(e as Error).message}`, name));
    }
  }

  function problemFor(object: KubeObject): RuleProblem | undefined {
    const name = nameOf(object);
    const removal = removals.get(name);
    if (deleting(object) && removal?.failure !== undefined) return { reason: 'RemovalFailed', message: `${removal.failure.message}; the finalizer ${REMOVE_SIGNATURES_FINALIZER} stays and the removal is tried again` };
    if (deleting(object) && finalizersOf(object).includes(REMOVE_SIGNATURES_FINALIZER)) return { reason: 'RemovingSignatures', message: 'deleting the signatures this rule made (removeSignaturesOnDelete)' };
    const keyProblem = keyProblems.get(name);
    return problems.get(name) ?? (keyProblem === undefined ? undefined : { reason: 'KeyUnavailable', message: keyProblem.message });
  }

  async function patchFinalizers(object: KubeObject, finalizers: readonly string[]): Promise<void> {
    const name = nameOf(object);
    const body = { metadata: { finalizers, resourceVersion: record(object.metadata).resourceVersion } };
    try {
      await client.request('PATCH', objectPath(SIGNING_RULE_KIND, undefined, name), { contentType: 'application/merge-patch+json', body });
    } catch (error) {
      // 409: the rule changed meanwhile; the informer brings the new version and the next pass decides again
      if (!(error instanceof KubeError && error.status === 409)) options.log('warn', `cannot update the finalizers of SigningRule ${name}: ${(error as Error).message}; RBAC needs signingrules patch`, name);
    }
  }

  async function keepFinalizer(object: KubeObject): Promise<void> {
    const name = nameOf(object);
    const finalizers = finalizersOf(object);
    const has = finalizers.includes(REMOVE_SIGNATURES_FINALIZER);
    const rule = accepted.get(name);
    const without = finalizers.filter((f) => f !== REMOVE_SIGNATURES_FINALIZER);
    if (!deleting(object)) {
      const wants = rule?.removeSignaturesOnDelete === true;
      if (wants && !has) await patchFinalizers(object, [...finalizers, REMOVE_SIGNATURES_FINALIZER]);
      else if (!wants && has && rule !== undefined) await patchFinalizers(object, without);
      return;
    }
    if (!has) return;
    if (rule === undefined || keyProblems.has(name)) {
      const why = rule === undefined ? 'its spec is not valid' : `its key cannot be opened (${keyProblems.get(name)?.message ?? ''})`;
      options.log('warn', `SigningRule ${name} is deleted but ${why}: its signatures were NOT removed; delete them with the registry's own tools`, name);
      await patchFinalizers(object, without);
      return;
    }
    startRemoval(object, rule, without);
  }

  function startRemoval(object: KubeObject, rule: SigningRuleConfig, without: readonly string[]): void {
    const name = rule.name;
    const state = removals.get(name) ?? { running: false, waiting: false };
    removals.set(name, state);
    const retryMs = options.removalRetryMs ?? 60_000;
    if (state.running || state.waiting || (state.failure !== undefined && clock().getTime() < state.failure.at + retryMs)) return;
    state.running = true;
    void (async () => {
      try {
        const summary = await options.removeSignatures(rule);
        options.log('info', `SigningRule ${name} deleted: ${summary}`, name);
        removals.delete(name);
        await patchFinalizers(object, without);
      } catch (error) {
        state.failure = { message: (error as Error).message, at: clock().getTime() };
        state.waiting = true;
        options.log('error', `removing the signatures of deleted SigningRule ${name} failed: ${state.failure.message}`, name);
      } finally {
        state.running = false;
        void runner.run();
      }
    })();
  }

  const refresh = (async () => {
    while (!abort.signal.aborted) {
      await sleep(options.statusIntervalMs ?? 5000, abort.signal);
      for (const state of removals.values()) state.waiting = false;
      if (!abort.signal.aborted && options.isLeader()) await runner.run();
    }
  })();

  return {
    rules: () => inEffect,
    waitForSync: async (timeoutMs) => {
      if (!(await informer.waitForSync(timeoutMs))) return false;
      await runner.run();
      return true;
    },
    reconcile: async () => {
      await runner.run();
    },
    async readKeySecret(secretName, entries) {
      const label = `Secret ${options.namespace}/${secretName}`;
      const secret = await secrets.get(options.namespace, secretName);
      if (secret === undefined) throw new KubeError('KUBE_SECRET', `${label} does not exist (or the signer may not read it): create it with the key and chain, or grant the signer's ServiceAccount get/list/watch on it`);
      const data = secretData(secret, label);
      const text = (entry: string): string => {
        const bytes = data.get(entry);
        if (bytes === undefined) throw new KubeError('KUBE_SECRET', `${label} has no key "${entry}"; its keys are: ${[...data.keys()].join(', ') || 'none'}`);
        return new TextDecoder().decode(bytes);
      };
      return { key: text(entries.key), certificateChain: text(entries.certificateChain), label };
    },
    async close() {
      closed = true;
      abort.abort();
      await informer.close();
      await secrets.close();
      await refresh;
      await runner.settled();
    },
  };
}
