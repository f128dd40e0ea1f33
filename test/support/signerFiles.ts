/**
 * The files `signgate signer` reads, written into a folder for a test or a bench run: the rule's key and certificate
 * chain (PEM, from a test PKI), the bearer token file, and one SigningRule per namespace (a `file` key unless one is
 * given). `args` are the flags every `signgate signer` sub-command takes for them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pki } from './pki.js';

/** The bearer token the registry sends and the signer's --token-file holds. */
export const SIGNER_TOKEN = 'test-token-0123456789abcdef';

export interface SignerRuleSpec {
  readonly name: string;
  readonly namespace: string;
  /** Extra `spec` lines, indented by two spaces (e.g. `  signatureType: Simple\n`). */
  readonly extra?: string;
  /** `spec.key` as a YAML flow mapping; default the key file and chain written here. */
  readonly key?: string;
}

export interface SignerFiles {
  readonly rulesFile: string;
  readonly tokenFile: string;
  readonly stateDir: string;
  /** `--config RULES --token-file TOKEN --state-dir STATE`. */
  readonly args: readonly string[];
}

export async function writeSignerFiles(dir: string, registryHost: string, pki: Pki, rules: readonly SignerRuleSpec[]): Promise<SignerFiles> {
  await writeFile(join(dir, 'key.pem'), pki.leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(join(dir, 'chain.pem'), [pki.leaf.pem, pki.intermediate.pem, pki.root.pem].join('\n'));
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${SIGNER_TOKEN}\n`);
  const rulesFile = join(dir, 'rules.yaml');
  const rule = (r: SignerRuleSpec): string =>
    `apiVersion: config.signgate.dev/v1alpha1\nkind: SigningRule\nmetadata: {name: ${r.name}}\nspec:\n  registry: ${registryHost}\n  namespace: ${r.namespace}\n  key: ${r.key ?? '{file: {key: key.pem, certificateChain: chain.pem}}'}\n${r.extra ?? ''}`;
  await writeFile(rulesFile, rules.map(rule).join('---\n'));
  const stateDir = join(dir, 'state');
  return { rulesFile, tokenFile, stateDir, args: ['--config', rulesFile, '--token-file', tokenFile, '--state-dir', stateDir] };
}
