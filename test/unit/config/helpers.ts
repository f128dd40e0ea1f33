/** Shared fixtures of the config tests: temp folders, a minted PKI, the issue's YAML and error assertions. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, type ConfigErrorCode, type ConfigIssue } from '../../../provider/src/config/index.js';
import { createKeyPair, createPki, issueCertificate, YEAR_MS, type IssuedCertificate, type Pki } from '../../support/pki.js';

export const AT = new Date('2025-11-01T00:00:00Z');

const dirs: string[] = [];

export async function tempDir(prefix = 'signgate-config-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export async function writeFiles(dir: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
}

export interface Material {
  readonly pki: Pki;
  /** A second, unrelated self-signed root. */
  readonly otherRoot: IssuedCertificate;
}

let material: Promise<Material> | undefined;

/** One PKI for the whole run (key generation is slow), minted at the fixed time AT. */
export function testMaterial(): Promise<Material> {
  material ??= (async () => {
    const pki = await createPki({ at: AT });
    const otherRoot = await issueCertificate({
      subject: 'CN=other root,O=elsewhere,C=US',
      key: await createKeyPair('ec-p256', { shared: true }),
      notBefore: new Date(AT.getTime() - YEAR_MS),
      notAfter: new Date(AT.getTime() + YEAR_MS),
      basicConstraints: { ca: true, critical: true },
      keyUsages: ['keyCertSign', 'cRLSign'],
    });
    return { pki, otherRoot };
  })();
  return material;
}

/** The YAML of issue 4 item 3, verbatim except that the PEM placeholder is replaced by `pem` (as a quoted scalar). */
export function issueYaml(pem: string): string {
  return `apiVersion: config.signgate.dev/v1alpha1
kind: KeyManagementProvider
metadata: {name: my-certs}
spec: {type: inline, parameters: {contentType: certificate, value: ${JSON.stringify(pem)}}}
---
apiVersion: config.signgate.dev/v1alpha1
kind: Verifier
metadata: {name: notation}
spec:
  type: notation
  artifactTypes: [application/vnd.cncf.notary.signature]
  parameters:
    verificationCertStores: {ca: {my-store: [my-certs]}}
    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: default, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ["ca:my-store"], trustedIdentities: ["*"]}]}
---
apiVersion: config.signgate.dev/v1alpha1
kind: Store
metadata: {name: oras}
spec: {type: oras, parameters: {cacheEnabled: true, ttl: 10}}
---
apiVersion: config.signgate.dev/v1alpha1
kind: Policy
metadata: {name: default}
spec: {type: config-policy, parameters: {artifactVerificationPolicies: {default: all}}}
`;
}

/** Awaits a rejection with ConfigError of `code` and returns the issue matching `path` (asserting it exists). */
export async function rejectsWith(promise: Promise<unknown>, code: ConfigErrorCode, path: string): Promise<ConfigIssue> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  const issue = caught.issues.find((i) => i.code === code && i.path === path);
  assert.ok(issue, `no ${code} issue at "${path}" in:\n${caught.message}`);
  assert.ok(caught.message.includes(issue.file), 'the message names the file');
  if (path !== '') assert.ok(caught.message.includes(`${path}: `), 'the message names the field path');
  return issue;
}
