/**
 * Config paths -> YAML documents: a path is a multi-document YAML file or a folder of them (its *.yaml and *.yml
 * files, in name order, hidden entries skipped). Parsing is bounded: file size, files, documents per file, alias
 * expansion (the yaml library's maxAliasCount) and nesting depth; duplicate keys are errors.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { DocumentOrigin, IssueList } from './errors.js';
import { InputTooLargeError, type InputTracker } from './inputs.js';

export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
export const MAX_CONFIG_FILES = 256;
export const MAX_DOCUMENTS_PER_FILE = 500;
export const MAX_ALIAS_COUNT = 100;
export const MAX_DEPTH = 64;

/** One document of a config source, with what messages need to point at it. */
export interface SourceDocument {
  /** File (or other origin, e.g. a Kubernetes object reference) shown in messages. */
  readonly file: string;
  /** 1-based document number inside the file. */
  readonly document: number;
  readonly value: unknown;
  /** Folder that relative paths inside the document are relative to; absent: paths must be absolute. */
  readonly baseDir?: string;
  readonly lineOf?: (path: readonly (string | number)[]) => number | undefined;
}

function keyOf(node: unknown): unknown {
  return isScalar(node) ? node.value : node;
}

/** The node at `path` (or its nearest existing ancestor): the key's line for a mapping entry. */
function lineLocator(doc: Document, counter: LineCounter): (path: readonly (string | number)[]) => number | undefined {
  return (path) => {
    let node: unknown = doc.contents;
    let line = rangeLine(node, counter);
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && String(keyOf(p.key)) === String(segment));
        if (!pair) break;
        line = rangeLine(pair.key, counter) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
        line = rangeLine(node, counter) ?? line;
      } else {
        break;
      }
    }
    return line;
  };
}

function rangeLine(node: unknown, counter: LineCounter): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? counter.linePos(range[0]).line : undefined;
}

/** Depth of nested lists and mappings, computed without recursion. */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop() as { v: unknown; d: number };
    if (typeof v !== 'object' || v === null) continue;
    if (d >= limit) return true;
    for (const child of Object.values(v as Record<string, unknown>)) stack.push({ v: child, d: d + 1 });
  }
  return false;
}

/** The YAML documents of one file's text; problems go to `issues`. Empty documents are skipped. */
export function parseYamlDocuments(text: string, file: string, issues: IssueList, baseDir?: string): SourceDocument[] {
  const counter = new LineCounter();
  const origin: DocumentOrigin = { file };
  const docs = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: true, version: '1.2' });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > MAX_DOCUMENTS_PER_FILE) {
    issues.add('CONFIG_LIMIT', origin, [], `has ${list.length} YAML documents, more than the ${MAX_DOCUMENTS_PER_FILE} allowed; split it`);
    return [];
  }
  const out: SourceDocument[] = [];
  for (const [i, doc] of list.entries()) {
    const at: DocumentOrigin = { file, document: i + 1 };
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const line = error.linePos?.[0].line;
        const where: DocumentOrigin = line === undefined ? at : { ...at, lineOf: () => line };
        issues.add('CONFIG_SYNTAX', where, [], `is not valid YAML: ${error.message.split('\n')[0] ?? error.code}`);
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      issues.add('CONFIG_LIMIT', at, [], `cannot be expanded: ${(err as Error).message}; do not build large values from YAML aliases`);
      continue;
    }
    if (value === null || value === undefined) continue;
    if (exceedsDepth(value, MAX_DEPTH)) {
      issues.add('CONFIG_LIMIT', at, [], `nests lists and mappings deeper than ${MAX_DEPTH} levels`);
      continue;
    }
    out.push({ file, document: i + 1, value, ...(baseDir === undefined ? {} : { baseDir }), lineOf: lineLocator(doc, counter) });
  }
  return out;
}

function isConfigFileName(name: string): boolean {
  return !name.startsWith('.') && (name.endsWith('.yaml') || name.endsWith('.yml'));
}

/** The config files named by `paths` (folders expanded), each read and parsed into documents. */
export async function readConfigDocuments(
  paths: readonly string[],
  tracker: InputTracker,
  issues: IssueList,
): Promise<SourceDocument[]> {
  const files: string[] = [];
  for (const path of paths) {
    const kind = await tracker.kindOf(resolve(path));
    if (kind === 'missing') {
      issues.add('CONFIG_UNREADABLE', { file: path }, [], 'does not exist; pass a YAML file or a folder of YAML files to --config');
    } else if (kind === 'directory') {
      const names = (await tracker.listDirectory(resolve(path))).filter(isConfigFileName);
      if (names.length === 0) issues.add('CONFIG_UNREADABLE', { file: path }, [], 'is a folder without *.yaml or *.yml files');
      files.push(...names.map((n) => join(path, n)));
    } else if (kind === 'file') {
      files.push(path);
    } else {
      issues.add('CONFIG_UNREADABLE', { file: path }, [], 'is neither a file nor a folder');
    }
  }
  if (files.length > MAX_CONFIG_FILES) {
    const reason = `name ${files.length} config files, more than the ${MAX_CONFIG_FILES} allowed`;
    issues.add('CONFIG_LIMIT', { file: paths.join(', ') }, [], reason);
    return [];
  }
  const documents: SourceDocument[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = await tracker.readFile(resolve(file), MAX_CONFIG_FILE_BYTES);
    } catch (err) {
      const code = err instanceof InputTooLargeError ? 'CONFIG_LIMIT' : 'CONFIG_UNREADABLE';
      issues.add(code, { file }, [], err instanceof InputTooLargeError ? err.message : `cannot be read: ${(err as Error).message}`);
      continue;
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      issues.add('CONFIG_SYNTAX', { file }, [], `is not UTF-8 text (${basename(file)} must be YAML)`);
      continue;
    }
    documents.push(...parseYamlDocuments(text, file, issues, dirname(resolve(file))));
  }
  if (documents.length === 0 && issues.empty) {
    // Also what a half-written file looks like: never take it for a configuration without any resource.
    issues.add('CONFIG_INVALID', { file: paths.join(', ') }, [], 'holds no resource; add at least a Verifier (see config/default.yaml)');
  }
  return documents;
}
