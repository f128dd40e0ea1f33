/**
 * The sign-on-push service. Push events are hints that queue a tag; the periodic resync over the registry's catalog
 * and tags is the truth (a lost event costs latency, never a signature). Each rule's baseline is taken once, before
 * it signs anything automatically; backfill signs the baseline too. Every tag goes through reconcileTag, so events,
 * resync and backfill follow one rule. Failures are remembered per tag (digest, reason) for status until the tag is
 * signed.
 */
import type { SigningRuleConfig } from '../config/index.js';
import type { PushEvent } from '../events/index.js';
import { isTransientOciError, OciError, parseReferrersTag, type Registry } from '../oci/index.js';
import type { Baseline, BaselineStore } from './baseline.js';
import { SigningError } from './errors.js';
import { WorkQueue } from './queue.js';
import { reconcileTag, tagName, type RuleKey, type TagOutcome, type TagWork } from './reconcile.js';
import { removeRuleSignatures, type RemovalSummary } from './removal.js';
import { ruleFor, ruleScope } from './rules.js';

export interface SigningMetrics {
  outcome(rule: string, state: TagOutcome['state'] | 'failed'): void;
  /** Seconds from the push event to the pushed signature. */
  latency(rule: string, seconds: number): void;
  queueDepth(depth: number): void;
  /** Tags a resync signed that no event had covered. */
  resyncFound(rule: string, count: number): void;
}

export interface SigningLogEvent {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly rule?: string;
  readonly image?: string;
  readonly digest?: string;
  readonly error?: string;
}

export interface SigningServiceOptions {
  readonly rules: readonly SigningRuleConfig[];
  /** The registry client of a rule (its credentials). */
  readonly registryFor: (rule: SigningRuleConfig) => Registry;
  /** The opened key of a rule. */
  readonly keyFor: (rule: SigningRuleConfig) => RuleKey;
  readonly baselines: BaselineStore;
  readonly clock: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: (event: SigningLogEvent) => void;
  readonly metrics?: SigningMetrics;
  readonly queue?: Partial<{ concurrency: number; maxPending: number; retries: number; backoffMs: number; maxBackoffMs: number }>;
  /** Bound of one tag's work (resolve, check, sign, push). Default 60 s. */
  readonly tagTimeoutMs?: number;
}

interface Queued extends TagWork {
  readonly reason: 'event' | 'resync';
  readonly receivedAt: Date;
}

/** What a new rule set changed, by rule name. */
export interface RuleChanges {
  readonly added: readonly SigningRuleConfig[];
  readonly changed: readonly SigningRuleConfig[];
  readonly removed: readonly SigningRuleConfig[];
}

export interface TagFailure {
  readonly digest?: string;
  readonly reason: string;
  readonly at: string;
}

export interface RuleStatus {
  readonly rule: string;
  readonly scope: string;
  signed: number;
  failed: number;
  lastSigned?: string;
  /** `registry/repository:tag@digest` of the last tag signed. */
  lastSignedImage?: string;
  lastError?: string;
}

export interface TagStatus {
  readonly repository: string;
  readonly tag: string;
  readonly digest?: string;
  readonly state: 'signed' | 'unsigned' | 'failed' | 'pending' | 'baseline';
  readonly rule: string;
  readonly thumbprint?: string;
  readonly reason?: string;
}

export interface BackfillSummary {
  readonly rule: string;
  readonly total: number;
  readonly signed: number;
  readonly covered: number;
  readonly skipped: number;
  readonly wouldSign: number;
  readonly failed: readonly { readonly image: string; readonly reason: string }[];
}

/**
 * docker-registry sends a tag's push event when the manifest is stored, before the tag is linked to it, so the tag
 * may not resolve yet, or still name the manifest it named before: for an event, both are retried like transient
 * errors.
 */
function isNotYetTagged(error: unknown): boolean {
  return (error instanceof OciError && error.code === 'MANIFEST_NOT_FOUND') || (error instanceof SigningError && error.code === 'TAG_NOT_UPDATED');
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class SigningService {
  private readonly queue: WorkQueue<Queued, TagOutcome>;
  private readonly baselines = new Map<string, Baseline>();
  private readonly failures = new Map<string, TagFailure>();
  private readonly statuses = new Map<string, RuleStatus>();
  private currentRules: readonly SigningRuleConfig[];

  constructor(private readonly options: SigningServiceOptions) {
    this.currentRules = options.rules;
    for (const rule of options.rules) this.statuses.set(rule.name, { rule: rule.name, scope: ruleScope(rule), signed: 0, failed: 0 });
    const q = options.queue ?? {};
    this.queue = new WorkQueue<Queued, TagOutcome>({
      concurrency: q.concurrency ?? 4,
      maxPending: q.maxPending ?? 10_000,
      retries: q.retries ?? 4,
      backoffMs: q.backoffMs ?? 500,
      maxBackoffMs: q.maxBackoffMs ?? 30_000,
      run: (item) => this.run(item),
      isTransient: (error, item) => isTransientOciError(error) || (item.reason === 'event' && isNotYetTagged(error)),
      settled: (item, outcome) => this.settled(item, outcome),
      sleep: options.sleep,
    });
  }

  get rules(): readonly SigningRuleConfig[] {
    return this.currentRules;
  }

  /**
   * Swaps the rule set (a reloaded configuration): a rule is `changed` when its name stays and anything else differs.
   * Queued work of a removed or changed rule is dropped when its turn comes (resync queues it again under the new
   * rule); a new or changed rule takes its baseline at the next resync before it signs anything. The caller opens
   * the keys of new rules first (`keyFor`), and removes a deleted rule's signatures with `removeSignatures`.
   */
  replaceRules(rules: readonly SigningRuleConfig[]): RuleChanges {
    const before = new Map(this.currentRules.map((r) => [r.name, r]));
    const after = new Set(rules.map((r) => r.name));
    const changes: RuleChanges = {
      added: rules.filter((r) => !before.has(r.name)),
      changed: rules.filter((r) => before.has(r.name) && JSON.stringify(before.get(r.name)) !== JSON.stringify(r)),
      removed: this.currentRules.filter((r) => !after.has(r.name)),
    };
    this.currentRules = rules;
    for (const rule of [...changes.removed, ...changes.changed]) this.baselines.delete(rule.name);
    for (const rule of changes.removed) this.statuses.delete(rule.name);
    for (const rule of [...changes.added, ...changes.changed]) this.statuses.set(rule.name, { rule: rule.name, scope: ruleScope(rule), signed: 0, failed: 0 });
    return changes;
  }

  /**
   * Deletes from `rule`'s namespace the signatures made with its certificate (removeSignaturesOnDelete; see
   * removal.ts: SIGNER_IDENTITY_UNKNOWN, REGISTRY_DELETE_REFUSED, SIGNATURE_REMOVAL_FAILED).
   */
  async removeSignatures(rule: SigningRuleConfig, signal?: AbortSignal): Promise<RemovalSummary> {
    return removeRuleSignatures({ rule, registry: this.options.registryFor(rule), key: this.options.keyFor(rule), clock: this.options.clock, ...(signal === undefined ? {} : { signal }) });
  }

  /** Queues the tagged pushes that an enabled Automatic rule covers; the rest is counted as ignored. */
  handle(pushes: readonly PushEvent[]): { readonly queued: number; readonly ignored: number } {
    let queued = 0;
    const receivedAt = this.options.clock();
    for (const push of pushes) {
      const rule = ruleFor(this.currentRules, push.registry, push.repository);
      // a baseline must exist first, else a tag that was there before the rule would be signed on its next push event
      if (push.tag === undefined || rule === undefined || !this.signsAutomatically(rule) || parseReferrersTag(push.tag) !== undefined || !this.baselines.has(rule.name)) continue;
      if (this.enqueue({ rule, repository: push.repository, tag: push.tag, ...(push.digest === undefined ? {} : { pushedDigest: push.digest }), includeBaseline: false, dryRun: false, reason: 'event', receivedAt })) queued++;
    }
    return { queued, ignored: pushes.length - queued };
  }

  /** Baselines for every enabled rule, then a resync. Registry errors are logged; the next resync retries. */
  async resync(signal?: AbortSignal): Promise<void> {
    for (const rule of this.currentRules.filter((r) => this.signsAutomatically(r))) {
      try {
        await this.baselineOf(rule, signal);
        const receivedAt = this.options.clock();
        for (const { repository, tag } of await this.listTags(rule, undefined, signal)) {
          this.enqueue({ rule, repository, tag, includeBaseline: false, dryRun: false, reason: 'resync', receivedAt });
        }
      } catch (error) {
        this.options.log({ level: 'error', msg: `resync of SigningRule ${rule.name} (${ruleScope(rule)}) failed; retried at the next resync`, rule: rule.name, error: reasonOf(error) });
      }
    }
  }

  /** Resolves when the queue is empty and nothing runs. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  queueDepth(): number {
    return this.queue.depth();
  }

  ruleStatuses(): readonly RuleStatus[] {
    return [...this.statuses.values()].map((s) => ({ ...s }));
  }

  /** Signs every tag of a rule, baseline included (`dryRun`: only says what it would sign). */
  async backfill(name: string, options: { readonly dryRun: boolean; readonly onProgress?: (done: number, total: number) => void; readonly signal?: AbortSignal }): Promise<BackfillSummary> {
    const rule = this.currentRules.find((r) => r.name === name);
    if (rule === undefined) {
      throw new SigningError('RULE_NOT_FOUND', `no SigningRule "${name}" in the configuration; the rules are: ${this.currentRules.map((r) => r.name).join(', ') || '(none)'}`);
    }
    const baseline = await this.baselineOf(rule, options.signal);
    const tags = await this.listTags(rule, undefined, options.signal);
    const counts = { signed: 0, covered: 0, skipped: 0, wouldSign: 0 };
    const failed: { image: string; reason: string }[] = [];
    let done = 0;
    const work = async (item: { repository: string; tag: string }): Promise<void> => {
      const image = tagName(rule, item.repository, item.tag);
      try {
        const outcome = await this.withRetries(() => this.reconcile({ rule, ...item, includeBaseline: true, dryRun: options.dryRun }, baseline, options.signal));
        if (outcome.state === 'would-sign') counts.wouldSign++;
        else counts[outcome.state]++;
        this.record(rule, item, outcome);
      } catch (error) {
        failed.push({ image, reason: reasonOf(error) });
        this.recordFailure(rule, item, error);
      }
      options.onProgress?.(++done, tags.length);
    };
    const lanes = Math.max(1, this.options.queue?.concurrency ?? 4);
    let next = 0;
    await Promise.all(Array.from({ length: lanes }, async () => {
      while (next < tags.length) await work(tags[next++] as { repository: string; tag: string });
    }));
    return { rule: rule.name, total: tags.length, ...counts, failed };
  }

  /** Per tag of `registry/prefix...`: signed (verified signature of the rule), pending, failed, baseline or unsigned. */
  async status(registry: string, prefix: string, signal?: AbortSignal): Promise<readonly TagStatus[]> {
    const rule = this.currentRules.find((r) => r.registry === registry && (prefix === r.namespace || prefix.startsWith(`${r.namespace}/`)));
    if (rule === undefined) {
      throw new SigningError('RULE_NOT_FOUND', `no SigningRule covers ${registry}/${prefix}; the rules cover: ${this.currentRules.map(ruleScope).join(', ') || '(none)'}`);
    }
    const baseline = this.baselines.get(rule.name) ?? (await this.options.baselines.load(rule.name, ruleScope(rule)));
    const rows: TagStatus[] = [];
    for (const { repository, tag } of await this.listTags(rule, prefix, signal)) {
      const key = `${rule.registry}/${repository}:${tag}`;
      try {
        const outcome = await reconcileTag({ rule, repository, tag, includeBaseline: false, dryRun: true }, this.contextFor(rule, baseline, signal));
        const failure = this.failures.get(key);
        const base = { repository, tag, digest: outcome.digest, rule: rule.name } as const;
        if (outcome.state === 'covered') rows.push({ ...base, state: 'signed', ...this.thumbprintOf(rule) });
        else if (this.queue.has(`${rule.name} ${key}`)) rows.push({ ...base, state: 'pending' });
        else if (failure !== undefined && (failure.digest === undefined || failure.digest === outcome.digest)) rows.push({ ...base, state: 'failed', reason: failure.reason });
        else if (outcome.state === 'skipped') rows.push({ ...base, state: outcome.reason.startsWith('in the baseline') ? 'baseline' : 'unsigned', reason: outcome.reason });
        else rows.push({ ...base, state: 'unsigned' });
      } catch (error) {
        rows.push({ repository, tag, rule: rule.name, state: 'failed', reason: reasonOf(error) });
      }
    }
    return rows;
  }

  private thumbprintOf(rule: SigningRuleConfig): { thumbprint?: string } {
    const thumbprint = this.options.keyFor(rule).identity?.thumbprints[0];
    return thumbprint === undefined ? {} : { thumbprint };
  }

  private signsAutomatically(rule: SigningRuleConfig): boolean {
    return rule.enabled && rule.trigger === 'Automatic';
  }

  private enqueue(item: Queued): boolean {
    const key = `${item.rule.name} ${item.rule.registry}/${item.repository}:${item.tag}`;
    try {
      const added = this.queue.add(key, item);
      this.options.metrics?.queueDepth(this.queue.depth());
      return added;
    } catch (error) {
      this.options.log({ level: 'warn', msg: reasonOf(error), rule: item.rule.name, image: tagName(item.rule, item.repository, item.tag) });
      return false;
    }
  }

  private async run(item: Queued): Promise<TagOutcome> {
    if (!this.currentRules.includes(item.rule)) return { state: 'skipped', reason: `SigningRule ${item.rule.name} was removed or changed after this tag was queued` };
    const baseline = this.baselines.get(item.rule.name);
    return this.reconcile(item, baseline);
  }

  private async reconcile(work: TagWork, baseline: Baseline | undefined, signal?: AbortSignal): Promise<TagOutcome> {
    const timeout = AbortSignal.timeout(this.options.tagTimeoutMs ?? 60_000);
    return reconcileTag(work, this.contextFor(work.rule, baseline, signal === undefined ? timeout : AbortSignal.any([signal, timeout])));
  }

  private contextFor(rule: SigningRuleConfig, baseline: Baseline | undefined, signal: AbortSignal | undefined): Parameters<typeof reconcileTag>[1] {
    return { registry: this.options.registryFor(rule), key: this.options.keyFor(rule), baseline, clock: this.options.clock, ...(signal === undefined ? {} : { signal }) };
  }

  private async withRetries<R>(run: () => Promise<R>): Promise<R> {
    const retries = this.options.queue?.retries ?? 4;
    for (let attempt = 0; ; attempt++) {
      try {
        return await run();
      } catch (error) {
        if (attempt >= retries || !isTransientOciError(error)) throw error;
        await this.options.sleep(Math.min(this.options.queue?.maxBackoffMs ?? 30_000, (this.options.queue?.backoffMs ?? 500) * 2 ** attempt));
      }
    }
  }

  private settled(item: Queued, outcome: { readonly result: TagOutcome } | { readonly error: unknown }): void {
    this.options.metrics?.queueDepth(this.queue.depth());
    if ('error' in outcome) {
      this.recordFailure(item.rule, item, outcome.error);
      return;
    }
    const result = outcome.result;
    this.record(item.rule, item, result);
    if (result.state === 'signed') {
      if (item.reason === 'event') this.options.metrics?.latency(item.rule.name, (this.options.clock().getTime() - item.receivedAt.getTime()) / 1000);
      else this.options.metrics?.resyncFound(item.rule.name, 1);
    }
  }

  private record(rule: SigningRuleConfig, item: { repository: string; tag: string }, outcome: TagOutcome): void {
    this.options.metrics?.outcome(rule.name, outcome.state);
    this.failures.delete(`${rule.registry}/${item.repository}:${item.tag}`);
    if (outcome.state !== 'signed') return;
    const status = this.statuses.get(rule.name);
    if (status !== undefined) {
      status.signed++;
      status.lastSigned = this.options.clock().toISOString();
      status.lastSignedImage = `${tagName(rule, item.repository, item.tag)}@${outcome.digest}`;
    }
    this.options.log({ level: 'info', msg: 'signed', rule: rule.name, image: tagName(rule, item.repository, item.tag), digest: outcome.digest });
  }

  private recordFailure(rule: SigningRuleConfig, item: { repository: string; tag: string }, error: unknown): void {
    const image = tagName(rule, item.repository, item.tag);
    const reason = reasonOf(error);
    this.options.metrics?.outcome(rule.name, 'failed');
    this.failures.set(`${rule.registry}/${item.repository}:${item.tag}`, { reason, at: this.options.clock().toISOString() });
    const status = this.statuses.get(rule.name);
    if (status !== undefined) {
      status.failed++;
      status.lastError = `${image}: ${reason}`;
    }
    this.options.log({ level: 'error', msg: `signing ${image} with SigningRule ${rule.name} failed; the next resync tries again`, rule: rule.name, image, error: reason });
  }

  /** The rule's baseline, taken (and stored) the first time the rule is seen. */
  private async baselineOf(rule: SigningRuleConfig, signal?: AbortSignal): Promise<Baseline> {
    const known = this.baselines.get(rule.name);
    if (known !== undefined) return known;
    const scope = ruleScope(rule);
    let baseline = await this.options.baselines.load(rule.name, scope);
    if (baseline === undefined) {
      const registry = this.options.registryFor(rule);
      const tags: Record<string, string> = {};
      const options = signal === undefined ? {} : { signal };
      for (const { repository, tag } of await this.listTags(rule, undefined, signal)) {
        tags[`${repository}:${tag}`] = (await registry.repository({ registry: rule.registry, repository }).resolve(tag, options)).digest;
      }
      baseline = Object.freeze({ rule: rule.name, scope, takenAt: this.options.clock().toISOString(), tags: Object.freeze(tags) });
      await this.options.baselines.save(baseline);
      this.options.log({ level: 'info', msg: `took the baseline of SigningRule ${rule.name}: ${Object.keys(tags).length} existing tags, signed only by backfill`, rule: rule.name });
    }
    this.baselines.set(rule.name, baseline);
    return baseline;
  }

  /** Repositories under the rule's namespace (or `prefix`) and their tags, referrers-tag indexes left out. */
  private async listTags(rule: SigningRuleConfig, prefix: string | undefined, signal?: AbortSignal): Promise<{ repository: string; tag: string }[]> {
    const registry = this.options.registryFor(rule);
    const options = signal === undefined ? {} : { signal };
    const under = prefix ?? rule.namespace;
    const repositories = (await registry.catalog(rule.registry, options)).filter((r) => r === under || r.startsWith(`${under}/`));
    const out: { repository: string; tag: string }[] = [];
    for (const repository of repositories.filter((r) => r.startsWith(`${rule.namespace}/`)).sort()) {
      const repo = registry.repository({ registry: rule.registry, repository });
      for (const tag of [...(await repo.tags(options))].sort()) if (parseReferrersTag(tag) === undefined) out.push({ repository, tag });
    }
    return out;
  }
}

