/**
 * Configuration files: mutated YAML text of a valid multi-document config (KMP inline certificate, Verifier with a
 * trust policy, Store, Policy) and arbitrary text, through the YAML reader and the loader: ConfigError only.
 */
import fc from 'fast-check';
import { ConfigError, loadConfigFromDocuments } from '../../../provider/src/config/index.js';
import { IssueList } from '../../../provider/src/config/errors.js';
import { parseYamlDocuments } from '../../../provider/src/config/sources.js';
import { createPki } from '../../support/pki.js';
import { checkable, mutatedBytes, typedOnlyAsync, typedOnly, type FuzzTarget } from '../harness.js';

const typed = (e: unknown): boolean => e instanceof ConfigError;
let validText = '';

function configText(rootPem: string): string {
  return `apiVersion: config.signgate.dev/v1alpha1
kind: KeyManagementProvider
metadata: {name: team}
spec: {type: inline, parameters: {contentType: certificate, value: ${JSON.stringify(rootPem)}}}
---
apiVersion: config.signgate.dev/v1alpha1
kind: Verifier
metadata: {name: notation}
spec:
  type: notation
  artifactTypes: [application/vnd.cncf.notary.signature]
  parameters:
    verificationCertStores: {ca: {team: [team]}}
    trustPolicyDoc:
      version: "1.0"
      trustPolicies:
        - {name: team, registryScopes: ["registry.example.com/app"], signatureVerification: {level: strict}, trustStores: ["ca:team"], trustedIdentities: ["*"]}
---
apiVersion: config.signgate.dev/v1alpha1
kind: Store
metadata: {name: oras}
spec: {type: oras, parameters: {ttl: 10, plainHttp: [registry.lan:5000], maxBlobBytes: 65536}}
---
apiVersion: config.signgate.dev/v1alpha1
kind: Policy
metadata: {name: policy}
spec: {type: config-policy, parameters: {artifactVerificationPolicies: {default: all}}}
`;
}

export const configTarget: FuzzTarget = {
  name: 'config',
  what: 'config: YAML documents of mutated and arbitrary text through parseYamlDocuments and the loader',
  ciRuns: 150,
  async setup() {
    validText = configText((await createPki({ at: new Date('2025-11-01T00:00:00Z') })).root.pem);
    // the valid text must load (or the mutations only ever test refusals), and this warms the CRD schemas once
    const issues = new IssueList();
    const config = await loadConfigFromDocuments(parseYamlDocuments(validText, '/fuzz/config.yaml', issues, '/nonexistent-fuzz-dir'), { generation: 1 });
    if (issues.items.length > 0 || config.cluster === undefined) throw new Error('the fuzz config target\'s valid config does not load');
  },
  property: () =>
    checkable(fc.asyncProperty(
      fc.oneof(
        { weight: 8, arbitrary: mutatedBytes(() => new TextEncoder().encode(validText)).map((b) => Buffer.from(b).toString('utf8')) },
        { weight: 2, arbitrary: fc.string({ maxLength: 300 }) },
      ),
      async (text) => {
        const issues = new IssueList();
        const documents = typedOnly(typed, () => parseYamlDocuments(text, '/fuzz/config.yaml', issues, '/nonexistent-fuzz-dir'));
        if (documents === undefined || issues.items.length > 0) return;
        await typedOnlyAsync(typed, () => loadConfigFromDocuments(documents, { generation: 1 }));
      },
    )),
};
