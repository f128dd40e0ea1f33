/**
 * A rule's baseline: the tags (and their digests) that existed when the rule was first seen. Like ACR and TCR rules,
 * a SigningRule signs new pushes; the baseline is signed only by backfill. A tag of the baseline that is pushed again
 * with another digest is a new push. The record is keyed by the rule's name and scope, so a rule that is pointed at
 * another namespace gets a new baseline. `fileBaselineStore(dir)` keeps one JSON file per rule (--state-dir),
 * written atomically; the Kubernetes ConfigMap store lives in k8s/ behind the same interface.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SigningError } from './errors.js';

export interface Baseline {
  readonly rule: string;
  /** `registry/namespace` the baseline was taken of. */
  readonly scope: string;
  /** ISO time it was taken. */
  readonly takenAt: string;
  /** `repository:tag` -> digest. */
  readonly tags: Readonly<Record<string, string>>;
}

export interface BaselineStore {
  load(rule: string, scope: string): Promise<Baseline | undefined>;
  save(baseline: Baseline): Promise<void>;
}

const MAX_BASELINE_BYTES = 64 * 1024 * 1024;

function fileName(rule: string): string {
  // rule names are DNS subdomain names (config checks them): safe as file names
  return `baseline-${rule}.json`;
}

function parseBaseline(text: string, file: string): Baseline {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SigningError('BASELINE_STORE_FAILED', `baseline ${file} is not JSON (${(err as Error).message}); delete it to take a new baseline`, { cause: err });
  }
  const v = value as Partial<Record<keyof Baseline, unknown>>;
  const tags = v.tags;
  const ok =
    typeof value === 'object' && value !== null && typeof v.rule === 'string' && typeof v.scope === 'string' && typeof v.takenAt === 'string' &&
    typeof tags === 'object' && tags !== null && !Array.isArray(tags) && Object.values(tags).every((d) => typeof d === 'string');
  if (!ok) throw new SigningError('BASELINE_STORE_FAILED', `baseline ${file} is not a baseline record {rule, scope, takenAt, tags}; delete it to take a new baseline`);
  return Object.freeze({ rule: v.rule as string, scope: v.scope as string, takenAt: v.takenAt as string, tags: Object.freeze({ ...(tags as Record<string, string>) }) });
}

/** Baselines as JSON files in `dir` (created when missing). */
export function fileBaselineStore(dir: string): BaselineStore {
  return {
    async load(rule, scope) {
      const file = join(dir, fileName(rule));
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new SigningError('BASELINE_STORE_FAILED', `baseline ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); check --state-dir`, { cause: err });
      }
      if (text.length > MAX_BASELINE_BYTES) throw new SigningError('BASELINE_STORE_FAILED', `baseline ${file} is larger than ${MAX_BASELINE_BYTES} bytes`);
      const baseline = parseBaseline(text, file);
      return baseline.rule === rule && baseline.scope === scope ? baseline : undefined;
    },
    async save(baseline) {
      const file = join(dir, fileName(baseline.rule));
      try {
        await mkdir(dir, { recursive: true });
        await writeFile(`${file}.tmp`, `${JSON.stringify(baseline, null, 1)}\n`, { mode: 0o600 });
        await rename(`${file}.tmp`, file);
      } catch (err) {
        throw new SigningError('BASELINE_STORE_FAILED', `baseline ${file} cannot be written (${(err as NodeJS.ErrnoException).code ?? String(err)}); check that --state-dir is writable`, { cause: err });
      }
    },
  };
}
