/**
 * SigningRule baselines in ConfigMaps (one per rule, in the signer's namespace): the BaselineStore of
 * `signgate signer serve --kubernetes`, behind the interface signing/ uses (the file store of --state-dir is the
 * other). A ConfigMap holds at most 1 MiB, so the tags are kept compactly: gzip of one line per repository
 * (`repository`) followed by its tags (`<tab>tag<space>hex` of the sha256 digest), in `binaryData.tags.gz`; `rule`,
 * `scope`, `takenAt` and `count` are plain data. A baseline that would not fit is refused with a message that says so;
 * nothing partial is written. Writes are guarded by resourceVersion (a 409 is reported, never overwritten).
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SigningError, type Baseline, type BaselineStore } from '../signing/index.js';
import type { KubeClient } from './client.js';
import { KubeError } from './errors.js';
import { record } from './status.js';

/** What a ConfigMap may hold (the API server's limit on data + binaryData), less room for metadata. */
export const MAX_BASELINE_CONFIGMAP_BYTES = 1024 * 1024 - 16 * 1024;
/** Bound on the decompressed tag list read back. */
const MAX_TAG_TEXT_BYTES = 64 * 1024 * 1024;
const PREFIX = 'signgate-baseline-';

/** The ConfigMap name of a rule's baseline: `signgate-baseline-<rule>`, hashed when that would exceed 253 characters. */
export function baselineConfigMapName(rule: string): string {
  const name = `${PREFIX}${rule}`;
  return name.length <= 253 ? name : `${PREFIX}${createHash('sha256').update(rule).digest('hex').slice(0, 32)}`;
}

/** The compact text of `tags` (`repository:tag` -> `sha256:<hex>`), grouped by repository, sorted. */
export function encodeTags(tags: Readonly<Record<string, string>>, rule: string): string {
  const byRepository = new Map<string, string[]>();
  for (const [image, digest] of Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const colon = image.lastIndexOf(':');
    const hex = /^sha256:([a-f0-9]{64})$/.exec(digest)?.[1];
    if (colon <= 0 || hex === undefined) throw new SigningError('BASELINE_STORE_FAILED', `baseline of SigningRule ${rule}: entry "${image}" -> "${digest}" is not repository:tag -> sha256 digest`);
    const list = byRepository.get(image.slice(0, colon)) ?? [];
    list.push(`\t${image.slice(colon + 1)} ${hex}`);
    byRepository.set(image.slice(0, colon), list);
  }
  return [...byRepository].map(([repository, lines]) => `${repository}\n${lines.join('\n')}`).join('\n');
}

/** The inverse of encodeTags; throws SigningError naming the ConfigMap and the line. */
export function decodeTags(text: string, what: string): Record<string, string> {
  const tags: Record<string, string> = {};
  let repository: string | undefined;
  const broken = (n: number): SigningError =>
    new SigningError('BASELINE_STORE_FAILED', `${what}: line ${n} of binaryData.tags.gz is not a repository or a "<tab>tag hex" line; delete the ConfigMap to take a new baseline`);
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    if (!line.startsWith('\t')) {
      if (!/^[a-z0-9]+(?:(?:[._]|__|-+|\/)[a-z0-9]+)*$/.test(line)) throw broken(i + 1);
      repository = line;
      return;
    }
    const m = /^\t([A-Za-z0-9_][A-Za-z0-9._-]{0,127}) ([a-f0-9]{64})$/.exec(line);
    if (m === null || repository === undefined) throw broken(i + 1);
    tags[`${repository}:${m[1] as string}`] = `sha256:${m[2] as string}`;
  });
  return tags;
}

export interface ConfigMapBaselineOptions {
  readonly client: KubeClient;
  /** The signer's namespace: where the ConfigMaps live. */
  readonly namespace: string;
  /** Labels put on every baseline ConfigMap (e.g. the chart's app labels). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Baselines as ConfigMaps `signgate-baseline-<rule>` in `namespace`. */
export function configMapBaselineStore(options: ConfigMapBaselineOptions): BaselineStore {
  const { client, namespace } = options;
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  const pathOf = (rule: string): string => `${base}/${encodeURIComponent(baselineConfigMapName(rule))}`;
  const label = (rule: string): string => `ConfigMap ${namespace}/${baselineConfigMapName(rule)}`;
  const failure = (rule: string, doing: string, error: unknown, hint: string): SigningError =>
    new SigningError('BASELINE_STORE_FAILED', `cannot ${doing} the baseline of SigningRule ${rule} (${label(rule)}): ${error instanceof Error ? error.message : String(error)}${hint}`, { cause: error });

  async function get(rule: string): Promise<Record<string, unknown> | undefined> {
    try {
      return record(await client.request('GET', pathOf(rule)));
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return undefined;
      throw failure(rule, 'read', error, '; RBAC needs configmaps get in this namespace');
    }
  }

  return {
    async load(rule, scope) {
      const configMap = await get(rule);
      if (configMap === undefined) return undefined;
      const data = record(configMap.data);
      const what = label(rule);
      if (data.rule !== rule || data.scope !== scope) return undefined; // another rule's, or the rule now covers another scope
      const packed = record(configMap.binaryData)['tags.gz'];
      if (typeof data.takenAt !== 'string' || typeof packed !== 'string') {
        throw new SigningError('BASELINE_STORE_FAILED', `${what} has no takenAt or binaryData.tags.gz; delete it to take a new baseline`);
      }
      let text: string;
      try {
        text = gunzipSync(Buffer.from(packed, 'base64'), { maxOutputLength: MAX_TAG_TEXT_BYTES }).toString('utf8');
      } catch (error) {
        throw new SigningError('BASELINE_STORE_FAILED', `${what}: binaryData.tags.gz is not gzip of at most ${MAX_TAG_TEXT_BYTES} bytes (${(error as Error).message}); delete it to take a new baseline`, { cause: error });
      }
      return Object.freeze({ rule, scope, takenAt: data.takenAt, tags: Object.freeze(decodeTags(text, what)) });
    },

    async save(baseline: Baseline) {
      const packed = gzipSync(Buffer.from(encodeTags(baseline.tags, baseline.rule), 'utf8'), { level: 9 }).toString('base64');
      const count = Object.keys(baseline.tags).length;
      if (packed.length > MAX_BASELINE_CONFIGMAP_BYTES) {
        throw new SigningError(
          'BASELINE_STORE_FAILED',
          `the baseline of SigningRule ${baseline.rule} (${baseline.scope}: ${count} tags) needs ${packed.length} bytes, more than a ConfigMap holds (${MAX_BASELINE_CONFIGMAP_BYTES}); split the namespace into narrower SigningRules (e.g. ${baseline.scope}/<team>)`,
        );
      }
      const existing = await get(baseline.rule);
      const resourceVersion = record(existing?.metadata).resourceVersion;
      const body = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: baselineConfigMapName(baseline.rule),
          namespace,
          labels: { ...options.labels, 'app.kubernetes.io/component': 'signer-baseline' },
          ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}),
        },
        data: { rule: baseline.rule, scope: baseline.scope, takenAt: baseline.takenAt, count: String(count) },
        binaryData: { 'tags.gz': packed },
      };
      try {
        await (existing === undefined ? client.request('POST', base, { body }) : client.request('PUT', pathOf(baseline.rule), { body }));
      } catch (error) {
        const conflict = error instanceof KubeError && error.status === 409;
        throw failure(baseline.rule, 'write', error, conflict ? '; another signer wrote it at the same time (only the Lease holder should): the next resync reads it again' : '; RBAC needs configmaps create and update in this namespace');
      }
    },
  };
}
