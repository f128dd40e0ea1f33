/**
 * File mode of `signgate signer serve --config PATH`: the SigningRules are read again when the files change, through
 * the provider's config watch (config/watch.ts: folders watched, debounced, stamps polled). An invalid change is
 * refused with file, line, field path and reason, and the last good rules keep signing. An accepted change is applied
 * one at a time, in this order:
 *  1. rules that are gone from the files, disabled or changed stop signing at once (their queued work is dropped;
 *     a tag already being signed, at most one per worker and bounded by the tag timeout, still finishes, so a signature
 *     it pushes after step 2 listed that image stays: the removal log then undercounts, and a rerun removes it);
 *  2. each rule gone from the files with `removeSignaturesOnDelete: true` has the signatures made with its
 *     certificate deleted from its namespace (signing/removal.ts), logged with counts; a failure is logged with its
 *     reason and not retried (the rule is gone: put it back and delete it again to retry). A rule that is only
 *     disabled keeps its signatures;
 *  3. keys of new and changed rules are opened and those of the others closed (RuleResources); a rule whose key
 *     cannot be opened is logged and left out until the files change again;
 *  4. the service takes the new rule set, and a resync starts at once: new and changed rules record their baseline
 *     before they sign anything, as at start.
 */
import type { Logger } from 'pino';
import { watchConfigFiles, type Config, type ConfigError, type SigningRuleConfig } from '../config/index.js';
import { removeRuleSignatures, type SigningService } from '../signing/index.js';
import { RuleResources, type SetupOptions } from './signerSetup.js';

export interface RuleWatchOptions {
  readonly configPaths: readonly string[];
  readonly service: SigningService;
  readonly resources: RuleResources;
  /** Every SigningRule of the files at start, enabled or not. */
  readonly configured: readonly SigningRuleConfig[];
  /** What opens a key of a rule the service does not hold (a disabled rule that is deleted). */
  readonly keys: Pick<SetupOptions, 'plugins' | 'env' | 'clock' | 'keyTimeoutMs'>;
  readonly logger: Logger;
}

export interface RuleWatch {
  close(): Promise<void>;
}

const same = (a: SigningRuleConfig | undefined, b: SigningRuleConfig | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Removes the signatures of a rule gone from the files (removeSignaturesOnDelete), logging the outcome. `served`: the
 * service signed with it until now, so its key and registry client are still open; else (a disabled rule) they are
 * opened for the removal only.
 */
async function removeSignatures(rule: SigningRuleConfig, served: boolean, options: RuleWatchOptions): Promise<void> {
  const { service, logger } = options;
  const held = served ? undefined : new RuleResources(options.keys);
  try {
    if (held !== undefined) {
      const opened = await held.update([rule]);
      const failure = opened.failed.get(rule.name);
      if (failure !== undefined) throw failure;
    }
    const summary =
      held === undefined
        ? await service.removeSignatures(rule)
        : await removeRuleSignatures({ rule, registry: held.registryFor(rule), key: held.keyFor(rule), clock: options.keys.clock });
    logger.info(
      { rule: rule.name, scope: summary.scope, removed: summary.removed.length, kept: summary.kept, images: summary.images, indexesUpdated: summary.indexesUpdated, indexesDeleted: summary.indexesDeleted },
      `SigningRule ${rule.name} was deleted (removeSignaturesOnDelete): removed ${summary.removed.length} of its signatures from ${summary.scope}; ${summary.kept} signatures of other signers kept`,
    );
  } catch (error) {
    logger.error(
      { rule: rule.name, code: (error as { code?: string }).code, err: (error as Error).message },
      `SigningRule ${rule.name} was deleted, but removing its signatures failed: ${(error as Error).message}; to retry, put the rule back and delete it again`,
    );
  } finally {
    await held?.close();
  }
}

/** Watches the rule files and applies each accepted change to `service` (see the file header). */
export async function watchSigningRules(options: RuleWatchOptions): Promise<RuleWatch> {
  const { service, resources, logger } = options;
  let configured = options.configured;
  let applying = Promise.resolve();

  const apply = async (config: Config): Promise<void> => {
    const wanted = config.signingRules.filter((r) => r.enabled);
    const gone = configured.filter((r) => !config.signingRules.some((n) => n.name === r.name));
    const before = service.rules;
    const changes = {
      added: wanted.filter((r) => !before.some((o) => o.name === r.name)).map((r) => r.name),
      changed: wanted.filter((r) => before.some((o) => o.name === r.name && !same(o, r))).map((r) => r.name),
      removed: before.filter((o) => !wanted.some((r) => r.name === o.name)).map((r) => r.name),
    };
    configured = config.signingRules;
    if (changes.added.length + changes.changed.length + changes.removed.length + gone.length === 0) return;
    logger.info({ generation: config.generation, ...changes }, 'SigningRules reloaded');
    service.replaceRules(before.filter((o) => wanted.some((r) => same(o, r))));
    for (const rule of gone.filter((r) => r.removeSignaturesOnDelete)) await removeSignatures(rule, before.some((o) => same(o, rule)), options);
    const { usable, failed } = await resources.update(wanted);
    for (const [name, error] of failed) logger.error({ rule: name, err: error.message }, `SigningRule ${name} signs nothing: its key cannot be opened (${error.message}); fix it in the files`);
    // unchanged rules stay the same objects, so that their queued work is not taken for a changed rule's
    service.replaceRules(usable.map((r) => before.find((o) => same(o, r)) ?? r));
    void service.resync();
  };

  const source = await watchConfigFiles(options.configPaths, {
    onError: (error: ConfigError) => logger.error({ code: error.code }, `${error.message}\nthe SigningRules in use keep signing`),
  });
  const enqueue = (config: Config): void => {
    applying = applying.then(() => apply(config)).catch((error: unknown) => logger.error({ err: (error as Error).message }, 'applying the reloaded SigningRules failed'));
  };
  const unsubscribe = source.subscribe(enqueue);
  // the files may have changed between the first load (setUpSigner) and the watch's own first load
  const first = source.current();
  if (first !== undefined) enqueue(first);
  return {
    async close() {
      unsubscribe();
      await source.close();
      await applying;
    },
  };
}
