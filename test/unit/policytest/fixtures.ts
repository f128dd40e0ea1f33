/** Writes a small gator Suite with a signature-verification template that calls external_data, into a temp dir. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VERIFY_TEMPLATE = `apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: signgateverify
spec:
  crd:
    spec:
      names:
        kind: SigngateVerify
      validation:
        openAPIV3Schema:
          type: object
          properties:
            provider:
              type: string
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package signgateverify

        images := [c.image | c := input.review.object.spec.containers[_]]

        response := external_data({"provider": input.parameters.provider, "keys": images})

        violation[{"msg": msg}] {
          r := response.responses[_]
          not r[1].isSuccess
          msg := sprintf("image %v is not signed", [r[0]])
        }

        violation[{"msg": msg}] {
          e := response.errors[_]
          msg := sprintf("cannot verify %v: %v", [e[0], e[1]])
        }

        violation[{"msg": msg}] {
          response.status_code != 200
          msg := sprintf("provider failed (%v): %v", [response.status_code, response.system_error])
        }
`;

export const CONSTRAINT = `apiVersion: constraints.gatekeeper.sh/v1beta1
kind: SigngateVerify
metadata:
  name: verify-images
spec:
  match:
    kinds:
      - apiGroups: [""]
        kinds: ["Pod"]
    excludedNamespaces: ["kube-system"]
  parameters:
    provider: signgate-verify
`;

export function pod(name: string, images: readonly string[], namespace = 'default'): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  containers:
${images.map((img, i) => `    - name: c${i}\n      image: ${img}`).join('\n')}
`;
}

export function writeTree(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'signgate-policytest-'));
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  }
  return dir;
}

export const SUITE = `kind: Suite
apiVersion: test.gatekeeper.sh/v1alpha1
metadata:
  name: signgate-verify
tests:
- name: verify
  template: template.yaml
  constraint: constraint.yaml
  cases:
  - name: signed-image-allowed
    object: samples/pod-signed.yaml
    externalData:
    - provider: signgate-verify
      responses:
        "registry.example.com/app:2.0": {value: {isSuccess: true, verifierReports: []}}
    assertions:
    - violations: no
  - name: unsigned-image-denied
    object: samples/pod-unsigned.yaml
    externalData:
    - provider: signgate-verify
      responses:
        "registry.example.com/app:1.0": {value: {isSuccess: false, verifierReports: []}}
        "registry.example.com/slow:2.0": {error: "timed out after 4900ms"}
    assertions:
    - violations: 2
    - violations: 1
      message: "app:1.0"
    - violations: 1
      message: "timed out after \\\\d+ms"
  - name: provider-down
    object: samples/pod-signed.yaml
    externalData:
    - provider: signgate-verify
      systemError: "connection refused"
    assertions:
    - violations: 1
      message: "provider failed \\\\(500\\\\): connection refused"
  - name: excluded-namespace
    object: samples/pod-kube-system.yaml
    assertions:
    - violations: no
  - name: not-yet
    skip: true
    object: samples/pod-signed.yaml
    assertions:
    - violations: no
- name: broken-template
  template: broken.yaml
  constraint: constraint.yaml
  invalid: true
`;

export const BROKEN_TEMPLATE = VERIFY_TEMPLATE.replace('name: signgateverify', 'name: signgatebroken')
  .replace('kind: SigngateVerify', 'kind: SigngateBroken')
  .replace('not r[1].isSuccess', 'not r[1].isSuccess {');

export function verifySuiteDir(extraSuite = ''): string {
  return writeTree({
    'suite.yaml': SUITE + extraSuite,
    'template.yaml': VERIFY_TEMPLATE,
    'broken.yaml': BROKEN_TEMPLATE,
    'constraint.yaml': CONSTRAINT,
    'samples/pod-signed.yaml': pod('signed', ['registry.example.com/app:2.0']),
    'samples/pod-unsigned.yaml': pod('unsigned', ['registry.example.com/app:1.0', 'registry.example.com/slow:2.0']),
    'samples/pod-kube-system.yaml': pod('system', ['registry.example.com/unknown:1'], 'kube-system'),
  });
}
