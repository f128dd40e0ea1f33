/**
 * The smallest config file that verifies something: an inline KeyManagementProvider holding `rootPem`, a notation
 * Verifier trusting it under one strict "*" statement, and (when given) a Store with `storeParameters`.
 */
export function trustConfigYaml(rootPem: string, storeParameters?: Readonly<Record<string, unknown>>): string {
  const store =
    storeParameters === undefined
      ? []
      : ['---', 'apiVersion: config.signgate.dev/v1alpha1', 'kind: Store', 'metadata: {name: oras}', `spec: {type: oras, parameters: ${JSON.stringify(storeParameters)}}`];
  return [
    'apiVersion: config.signgate.dev/v1alpha1',
    'kind: KeyManagementProvider',
    'metadata: {name: certs}',
    `spec: {type: inline, parameters: {contentType: certificate, value: ${JSON.stringify(rootPem)}}}`,
    ...store,
    '---',
    'apiVersion: config.signgate.dev/v1alpha1',
    'kind: Verifier',
    'metadata: {name: notation}',
    'spec:',
    '  type: notation',
    '  artifactTypes: [application/vnd.cncf.notary.signature]',
    '  parameters:',
    '    verificationCertStores: {ca: {store: [certs]}}',
    '    trustPolicyDoc: {version: "1.0", trustPolicies: [{name: default, registryScopes: ["*"], signatureVerification: {level: strict}, trustStores: ["ca:store"], trustedIdentities: ["*"]}]}',
    '',
  ].join('\n');
}
