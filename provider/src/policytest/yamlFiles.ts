/** Reading YAML documents from files with size and alias bounds; every failure is a coded PolicyTestError. */
import { readFileSync, statSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { relaxQuotedIndent } from '../rego/index.js';
import { PolicyTestError } from './errors.js';

export const MAX_FILE_BYTES = 16 * 1024 * 1024;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function isObj(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function readText(path: string): string {
  let size: number;
  try { size = statSync(path).size; } catch (e) {
    throw new PolicyTestError('FILE_UNREADABLE', `cannot read ${path}: ${(e as Error).message}; check the path (relative paths are relative to the suite file)`, { cause: e });
  }
  if (size > MAX_FILE_BYTES) throw new PolicyTestError('FILE_UNREADABLE', `${path} is ${size} bytes, more than the ${MAX_FILE_BYTES} allowed`);
  return readFileSync(path, 'utf8');
}

/** All non-empty YAML documents of a file, as JSON values. */
export function readYamlDocs(path: string): Json[] {
  const raw = readText(path);
  let docs = parseAllDocuments(raw);
  const failed = (Array.isArray(docs) ? docs : [docs]).some((d) => d.errors.length > 0);
  if (failed) {
    const relaxed = parseAllDocuments(relaxQuotedIndent(raw));
    if (!(Array.isArray(relaxed) ? relaxed : [relaxed]).some((d) => d.errors.length > 0)) docs = relaxed;
  }
  const out: Json[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length > 0) {
      throw new PolicyTestError('FILE_UNREADABLE', `${path}: invalid YAML: ${d.errors[0]?.message ?? 'parse error'}`);
    }
    const v = d.toJS({ maxAliasCount: 100 }) as Json | undefined;
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

export function str(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
