/**
 * What `signgate signer` commands share: the SigningRules of --config, a registry client per rule (its Docker config
 * and plain-HTTP setting), each rule's key opened through keys/ with the option shapes of `signgate sign`
 * (keyArgs.ts), the baseline store of --state-dir, and the SigningService wired from them.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import crossFetch from 'cross-fetch';
import type { SigningRuleConfig } from '../config/index.js';
import { loadConfigFromFiles } from '../config/index.js';
import { openSigner, type EnvelopeSigner } from '../keys/index.js';
import { createRegistry, loadDockerConfig, type FetchLike, type Registry } from '../oci/index.js';
import { fileBaselineStore, signerIdentity, SigningService, type RuleKey, type SigningLogEvent, type SigningMetrics } from '../signing/index.js';
import { UsageError } from './io.js';
import { keySourceFromArgs, type KeyArgs } from './keyArgs.js';

export interface SignerSetup {
  readonly service: SigningService;
  readonly rules: readonly SigningRuleConfig[];
  /** Every SigningRule of --config, selected or not. */
  readonly configured: readonly SigningRuleConfig[];
  close(): Promise<void>;
}

/** Notation-style state folder: $XDG_STATE_HOME/signgate, else ~/.local/state/signgate. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  return join(env['XDG_STATE_HOME'] || join(env['HOME'] || homedir(), '.local', 'state'), 'signgate');
}

/** `--plugin-dir` and `--plugin-env` of `signgate signer`: where plugins are and what they may see, for every rule. */
export type PluginArgs = Pick<KeyArgs, 'plugin-dir' | 'plugin-env'>;

/** The `signgate sign` key flags that name a rule's key. */
function keyArgsOf(rule: SigningRuleConfig, plugins: PluginArgs): KeyArgs {
  const key = rule.key;
  if (key.door === 'file') return { key: key.keyPath, cert: key.certificateChainPath };
  if (key.door === 'pkcs11') return { key: key.uri, ...(key.certificateChainPath === undefined ? {} : { cert: key.certificateChainPath }) };
  return { plugin: key.name, id: key.keyId, 'plugin-config': Object.entries(key.pluginConfig).map(([k, v]) => `${k}=${v}`), ...plugins };
}

async function openRuleKey(rule: SigningRuleConfig, plugins: PluginArgs, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RuleKey> {
  const source = await keySourceFromArgs(keyArgsOf(rule, plugins), env, timeoutMs).catch((err: unknown) => {
    throw err instanceof UsageError ? new UsageError(`SigningRule ${rule.name}: ${err.message}`, { cause: err }) : err;
  });
  const signer: EnvelopeSigner = await openSigner(source);
  const chain = source.kind === 'file' ? source.certificateChain : source.kind === 'pkcs11' ? source.certificateChain : undefined;
  return { signer, identity: chain === undefined || chain.length === 0 ? undefined : signerIdentity(rule.name, chain) };
}

async function registryOf(rule: SigningRuleConfig, clock: () => Date): Promise<Registry> {
  return createRegistry({
    fetch: crossFetch as unknown as FetchLike,
    clock,
    plainHttpHosts: rule.plainHttp ? [rule.registry] : [],
    ...(rule.dockerConfigPath === undefined ? {} : { credentials: await loadDockerConfig(rule.dockerConfigPath) }),
    // events are hints to look again: a tag's answer or a referrer list is never taken from a cache
    cache: { ttlMs: 0 },
    userAgent: 'signgate-signer/0.1.0',
  });
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
}

export async function setUpSigner(options: SetupOptions): Promise<SignerSetup> {
  const config = await loadConfigFromFiles(options.configPaths, { generation: 1 });
  const rules = config.signingRules.filter(options.only ?? ((r) => r.enabled));
  if (config.signingRules.length === 0) throw new UsageError(`${options.configPaths.join(', ')} holds no SigningRule; add one (see README "Sign on push")`);
  const keys = new Map<string, RuleKey>();
  const registries = new Map<string, Registry>();
  try {
    for (const rule of rules) {
      keys.set(rule.name, await openRuleKey(rule, options.plugins ?? {}, options.env, options.keyTimeoutMs));
      registries.set(rule.name, await registryOf(rule, options.clock));
    }
  } catch (err) {
    for (const k of keys.values()) await k.signer.close();
    throw err;
  }
  const service = new SigningService({
    rules,
    registryFor: (rule) => registries.get(rule.name) as Registry,
    keyFor: (rule) => keys.get(rule.name) as RuleKey,
    baselines: fileBaselineStore(options.stateDir),
    clock: options.clock,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: options.log,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    queue: { concurrency: options.concurrency },
  });
  return {
    service,
    rules,
    configured: config.signingRules,
    async close() {
      for (const k of keys.values()) await k.signer.close();
      for (const r of registries.values()) r.close();
    },
  };
}
