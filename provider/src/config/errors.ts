/**
 * Configuration failures. Every problem found in one load is collected as a ConfigIssue (file, document, resource,
 * field path, reason) before one ConfigError is thrown, so a user fixes them all in one pass (the sigstore-js
 * `bundle/src/validate.ts` way).
 */
import { SigngateError } from '../errors.js';

/** Append new codes; never rename one. */
export type ConfigErrorCode =
  | 'CONFIG_UNREADABLE' // a path does not exist or cannot be read
  | 'CONFIG_SYNTAX' // not YAML, duplicate keys, alias bomb
  | 'CONFIG_LIMIT' // a bound on size, document count, depth or file count was exceeded
  | 'CONFIG_SCHEMA' // a document does not satisfy its kind's CRD schema (or is no known kind)
  | 'CONFIG_INVALID' // a rule beyond the schema: parameters per type, duplicates, one Store / Policy per scope
  | 'CONFIG_REFERENCE' // a reference to a KeyManagementProvider or trust store that is not defined
  | 'CONFIG_TRUST_POLICY' // the trust policy document breaks a Notary Project rule
  | 'CONFIG_CERTIFICATE' // certificate material (certificates, CRLs) does not parse or breaks a trust store rule
  | 'CRDS_UNAVAILABLE'; // signgate's own crds/ folder is missing or broken (an installation problem)

export interface ConfigIssue {
  readonly code: ConfigErrorCode;
  /** The file (or other origin) the problem is in. */
  readonly file: string;
  /** 1-based line in `file`, when known. */
  readonly line?: number;
  /** 1-based document number inside a multi-document file. */
  readonly document?: number;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** Field path inside the document, e.g. `spec.parameters.ttl`; empty for the whole document or file. */
  readonly path: string;
  readonly reason: string;
}

/** How many issues the message lists before "... and N more". */
const MESSAGE_ISSUES = 20;

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  const parts: string[] = [];
  if (issue.document !== undefined) parts.push(`document ${issue.document}`);
  if (issue.kind !== undefined) {
    const id = issue.namespace === undefined ? issue.name : `${issue.namespace}/${issue.name ?? ''}`;
    parts.push(id === undefined ? issue.kind : `${issue.kind} "${id}"`);
  }
  const context = parts.length > 0 ? ` (${parts.join(', ')})` : '';
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${where}${context}: ${path}${issue.reason}`;
}

export class ConfigError extends SigngateError<ConfigErrorCode> {
  /** Every problem found, in file and document order. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const first = issues[0];
    const shown = issues.slice(0, MESSAGE_ISSUES).map((i) => `  - ${formatIssue(i)}`);
    if (issues.length > MESSAGE_ISSUES) shown.push(`  - ... and ${issues.length - MESSAGE_ISSUES} more`);
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(
      first?.code ?? 'CONFIG_INVALID',
      `configuration rejected, ${count} (fix them and the configuration is reloaded):\n${shown.join('\n')}`,
      options,
    );
    this.issues = Object.freeze([...issues]);
  }
}

/** Where a document came from: enough to point a user at it. */
export interface DocumentOrigin {
  readonly file: string;
  readonly document?: number;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** 1-based line of a field path, when the source can tell. */
  readonly lineOf?: (path: readonly (string | number)[]) => number | undefined;
}

/** Collects issues during one load. */
export class IssueList {
  readonly items: ConfigIssue[] = [];

  add(code: ConfigErrorCode, origin: DocumentOrigin, path: readonly (string | number)[], reason: string): void {
    const line = origin.lineOf?.(path);
    this.items.push({
      code,
      file: origin.file,
      ...(line === undefined ? {} : { line }),
      ...(origin.document === undefined ? {} : { document: origin.document }),
      ...(origin.kind === undefined ? {} : { kind: origin.kind }),
      ...(origin.namespace === undefined ? {} : { namespace: origin.namespace }),
      ...(origin.name === undefined ? {} : { name: origin.name }),
      path: formatPath(path),
      reason,
    });
  }

  get empty(): boolean {
    return this.items.length === 0;
  }

  /** The issues in file (first-seen) order, then document, then line. */
  sorted(): ConfigIssue[] {
    const fileOrder = new Map<string, number>();
    for (const i of this.items) if (!fileOrder.has(i.file)) fileOrder.set(i.file, fileOrder.size);
    return [...this.items].sort(
      (a, b) =>
        (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) ||
        (a.document ?? 0) - (b.document ?? 0) ||
        (a.line ?? 0) - (b.line ?? 0),
    );
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** `spec.parameters.verificationCertStores.ca["my.store"][0]`: dotted where the key allows, bracketed otherwise. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (IDENTIFIER.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}
