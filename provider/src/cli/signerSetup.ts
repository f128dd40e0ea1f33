/**
 * What `signgate signer` commands share: the SigningRules of --config, a registry client per rule (its Docker config
 * and plain-HTTP setting), each rule's key opened through keys/ with the option shapes of `signgate sign`
 * (keyArgs.ts), the baseline store of --state-dir, and the SigningService wired from them. `RuleResources` keeps the
 * keys and registry clients in step with a rule set that changes (SigningRule CRs in --kubernetes mode).
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SigningRuleConfig } from '../config/index.js';
import { loadConfigFromFiles } from '../config/index.js';
import { openSigner, type EnvelopeSigner, type KeySource } from '../keys/index.js';
import { createRegistry, loadDockerConfig, MEDIA_TYPE_OCI_MANIFEST, type Registry } from '../oci/index.js';
import { fileBaselineStore, signerIdentity, SigningService, type BaselineStore, type RuleKey, type SigningLogEvent, type SigningMetrics } from '../signing/index.js';
import { UsageError } from './io.js';
import { fileKeySource, keySourceFromArgs, type KeyArgs } from './keyArgs.js';
import { crossFetch } from './crossFetch.js';

export interface SignerSetup {
  readonly service: SigningService;
  readonly rules: readonly SigningRuleConfig[];
  /** Every SigningRule of --config, selected or not. */
  readonly configured: readonly SigningRuleConfig[];
  /** The opened keys and registry clients of `rules` (serve keeps them in step with reloaded files). */
  readonly resources: RuleResources;
  close(): Promise<void>;
}

/** Notation-style state folder: $XDG_STATE_HOME/signgate, else ~/.local/state/signgate. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  return join(env['XDG_STATE_HOME'] || join(env['HOME'] || homedir(), '.local', 'state'), 'signgate');
}

/** `--plugin-dir` and `--plugin-env` of `signgate signer`: where plugins are and what they may see, for every rule. */
export type PluginArgs = Pick<KeyArgs, 'plugin-dir' | 'plugin-env'>;

/** Reads a key Secret's two entries (the key and the chain, PEM) in --kubernetes mode. */
export type KeySecretReader = (secretName: string, entries: { readonly key: string; readonly certificateChain: string }) => Promise<{ readonly key: string; readonly certificateChain: string; readonly label: string }>;

/** The `signgate sign` key flags that name a rule's key. */
function keyArgsOf(key: Exclude<SigningRuleConfig['key'], { door: 'secret' }>, plugins: PluginArgs): KeyArgs {
  if (key.door === 'file') return { key: key.keyPath, cert: key.certificateChainPath };
  if (key.door === 'pkcs11') return { key: key.uri, ...(key.certificateChainPath === undefined ? {} : { cert: key.certificateChainPath }) };
  return { plugin: key.name, id: key.keyId, 'plugin-config': Object.entries(key.pluginConfig).map(([k, v]) => `${k}=${v}`), ...plugins };
}

async function keySourceOf(rule: SigningRuleConfig, plugins: PluginArgs, env: NodeJS.ProcessEnv, timeoutMs: number, readKeySecret: KeySecretReader | undefined): Promise<KeySource> {
  const key = rule.key;
  if (key.door !== 'secret') return keySourceFromArgs(keyArgsOf(key, plugins), env, timeoutMs);
  if (readKeySecret === undefined) {
    throw new UsageError(`its key is in Secret ${key.secretName} (spec.key.file.secretName), which only signgate signer serve --kubernetes reads; in a config file mount the Secret and give the paths`);
  }
  const pem = await readKeySecret(key.secretName, { key: key.keyEntry, certificateChain: key.certificateChainEntry });
  return fileKeySource(pem.key, `${pem.label} entry ${key.keyEntry}`, pem.certificateChain, `${pem.label} entry ${key.certificateChainEntry}`, `${pem.label} entry ${key.keyEntry}`);
}

/**
 * The certificate chain of a key whose source names none (a Notation plugin; a PKCS#11 key without a chain file): the
 * plugin contract hands the chain out only with a signature (describe-key gives the key id and spec alone), so the key
 * signs one probe payload, which is never pushed. Without the chain the coverage check cannot recognise the rule's own
 * signatures, and every start (or rule change) would sign again the tags it met before its first new signature.
 */
async function probeChain(rule: SigningRuleConfig, signer: EnvelopeSigner, clock: () => Date): Promise<readonly Uint8Array[]> {
  const probe = createHash('sha256').update(`signgate signer: certificate probe of SigningRule ${rule.name}`).digest('hex');
  const signed = await signer.sign({
    format: rule.envelope,
    payload: { targetArtifact: { mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: `sha256:${probe}`, size: 0 } },
    signingScheme: 'notary.x509',
    signingTime: clock(),
  });
  return signed.certificateChain;
}

async function openRuleKey(rule: SigningRuleConfig, plugins: PluginArgs, env: NodeJS.ProcessEnv, timeoutMs: number, clock: () => Date, readKeySecret?: KeySecretReader): Promise<RuleKey> {
  const source = await keySourceOf(rule, plugins, env, timeoutMs, readKeySecret).catch((err: unknown) => {
    throw err instanceof UsageError ? new UsageError(`SigningRule ${rule.name}: ${err.message}`, { cause: err }) : err;
  });
  const signer: EnvelopeSigner = await openSigner(source);
  const named = source.kind === 'file' ? source.certificateChain : source.kind === 'pkcs11' ? source.certificateChain : undefined;
  try {
    const chain = named !== undefined && named.length > 0 ? named : await probeChain(rule, signer, clock);
    return { signer, identity: signerIdentity(rule.name, chain) };
  } catch (err) {
    await signer.close();
    throw err;
  }
}

async function registryOf(rule: SigningRuleConfig, clock: () => Date): Promise<Registry> {
  return createRegistry({
    fetch: crossFetch,
    clock,
    plainHttpHosts: rule.plainHttp ? [rule.registry] : [],
    ...(rule.dockerConfigPath === undefined ? {} : { credentials: await loadDockerConfig(rule.dockerConfigPath) }),
    // events are hints to look again: a tag's answer or a referrer list is never taken from a cache
    cache: { ttlMs: 0 },
    userAgent: 'signgate-signer/0.1.0',
  });
}

/**
 * Each rule's opened key and registry client, for a rule set that changes: `update(rules)` opens what a new or changed
 * rule needs and closes what a removed or changed one held. A rule whose key cannot be opened is left out and named in
 * the answer (its status says why); the others go on.
 */
export class RuleResources {
  private readonly held = new Map<string, { readonly rule: SigningRuleConfig; readonly key: RuleKey; readonly registry: Registry }>();

  constructor(private readonly options: Pick<SetupOptions, 'plugins' | 'env' | 'clock' | 'keyTimeoutMs' | 'readKeySecret'>) {}

  /** Opens new and changed rules; resolves the rules now usable and the reason of each that is not. */
  async update(rules: readonly SigningRuleConfig[]): Promise<{ readonly usable: readonly SigningRuleConfig[]; readonly failed: ReadonlyMap<string, Error> }> {
    const wanted = new Map(rules.map((r) => [r.name, r]));
    for (const [name, entry] of [...this.held]) {
      if (JSON.stringify(wanted.get(name)) === JSON.stringify(entry.rule)) continue;
      this.held.delete(name);
      await this.release(entry);
    }
    const failed = new Map<string, Error>();
    for (const rule of rules) {
      if (this.held.has(rule.name)) continue;
      try {
        const key = await openRuleKey(rule, this.options.plugins ?? {}, this.options.env, this.options.keyTimeoutMs, this.options.clock, this.options.readKeySecret);
        try {
          this.held.set(rule.name, { rule, key, registry: await registryOf(rule, this.options.clock) });
        } catch (err) {
          await key.signer.close();
          throw err;
        }
      } catch (err) {
        failed.set(rule.name, err instanceof Error ? err : new Error(String(err)));
      }
    }
    return { usable: rules.filter((r) => this.held.has(r.name)), failed };
  }

  keyFor(rule: SigningRuleConfig): RuleKey {
    return this.entry(rule).key;
  }

  registryFor(rule: SigningRuleConfig): Registry {
    return this.entry(rule).registry;
  }

  async close(): Promise<void> {
    const all = [...this.held.values()];
    this.held.clear();
    for (const entry of all) await this.release(entry);
  }

  private entry(rule: SigningRuleConfig): { readonly key: RuleKey; readonly registry: Registry } {
    const entry = this.held.get(rule.name);
    if (entry === undefined) throw new UsageError(`SigningRule ${rule.name} has no opened key (it was removed, or its key could not be opened)`);
    return entry;
  }

  private async release(entry: { readonly key: RuleKey; readonly registry: Registry }): Promise<void> {
    await entry.key.signer.close();
    entry.registry.close();
  }
}

export interface SetupOptions {
  readonly configPaths: readonly string[];
  readonly stateDir: string;
  /** Plugin folder and passed-through variables (rules with a plugin key); default Notation's folder. */
  readonly plugins?: PluginArgs;
  /** Only these rules (backfill); default all enabled ones. */
  readonly only?: (rule: SigningRuleConfig) => boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: () => Date;
  readonly log: (event: SigningLogEvent) => void;
  readonly metrics?: SigningMetrics;
  readonly concurrency: number;
  readonly keyTimeoutMs: number;
  /** Key Secrets (spec.key.file.secretName), in --kubernetes mode only. */
  readonly readKeySecret?: KeySecretReader;
}

/** The SigningService over `resources` (which hands it each rule's key and registry client). */
export function signingServiceOf(
  rules: readonly SigningRuleConfig[],
  resources: RuleResources,
  baselines: BaselineStore,
  options: Pick<SetupOptions, 'clock' | 'log' | 'metrics' | 'concurrency'>,
): SigningService {
  return new SigningService({
    rules,
    registryFor: (rule) => resources.registryFor(rule),
    keyFor: (rule) => resources.keyFor(rule),
    baselines,
    clock: options.clock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: options.log,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    queue: { concurrency: options.concurrency },
  });
}

export async function setUpSigner(options: SetupOptions): Promise<SignerSetup> {
  const config = await loadConfigFromFiles(options.configPaths, { generation: 1 });
  const rules = config.signingRules.filter(options.only ?? ((r) => r.enabled));
  if (config.signingRules.length === 0) throw new UsageError(`${options.configPaths.join(', ')} holds no SigningRule; add one (see README "Sign on push")`);
  const resources = new RuleResources(options);
  const { failed } = await resources.update(rules);
  const [firstFailure] = failed.values();
  if (firstFailure !== undefined) {
    await resources.close();
    throw firstFailure;
  }
  return {
    service: signingServiceOf(rules, resources, fileBaselineStore(options.stateDir), options),
    rules,
    configured: config.signingRules,
    resources,
    close: () => resources.close(),
  };
}
