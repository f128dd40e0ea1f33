/**
 * Rego engine benchmark: a realistic Gatekeeper template (allowed repos + required labels + resource limits, the
 * builtins real templates use most) evaluated over 10,000 admission reviews, as objects per second. When an `opa`
 * binary is on PATH the same template also runs through opa-wasm and the line carries wasm rate / builtin rate.
 */
import { builtinEngine, findOpa, wasmEngine, type CompiledTemplate, type JsonObject } from '../provider/src/policytest/index.js';

const TEMPLATE_REGO = `package k8sbench

violation[{"msg": msg}] {
  container := input_containers[_]
  not strings.any_prefix_match(container.image, input.parameters.repos)
  msg := sprintf("container <%v> has an invalid image repo <%v>, allowed repos are %v", [container.name, container.image, input.parameters.repos])
}

violation[{"msg": msg, "details": {"missing_labels": missing}}] {
  provided := {label | input.review.object.metadata.labels[label]}
  required := {label | label := input.parameters.labels[_]}
  missing := required - provided
  count(missing) > 0
  msg := sprintf("you must provide labels: %v", [missing])
}

violation[{"msg": msg}] {
  container := input_containers[_]
  not container.resources.limits.memory
  msg := sprintf("container <%v> has no memory limit", [container.name])
}

violation[{"msg": msg}] {
  container := input_containers[_]
  endswith(container.image, ":latest")
  msg := sprintf("container <%v> uses the latest tag", [object.get(container, "name", "?")])
}

input_containers[c] { c := input.review.object.spec.containers[_] }
input_containers[c] { c := input.review.object.spec.initContainers[_] }
`;

const OBJECTS = 10_000;

function review(i: number): JsonObject {
  return JSON.parse(JSON.stringify(reviewObject(i))) as JsonObject;
}

function reviewObject(i: number): unknown {
  const repo = i % 3 === 0 ? 'docker.io/library' : 'registry.example.com/team';
  return {
    review: {
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      object: {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: `pod-${i}`, namespace: 'default', labels: i % 5 === 0 ? { app: 'x' } : { app: 'x', owner: 'me' } },
        spec: {
          containers: Array.from({ length: 1 + (i % 3) }, (_, j) => ({
            name: `c${j}`, image: `${repo}/app${j}:${i % 7 === 0 ? 'latest' : '1.0'}`,
            resources: j === 1 ? {} : { limits: { memory: '128Mi', cpu: '100m' } },
          })),
          initContainers: i % 4 === 0 ? [{ name: 'init', image: `${repo}/init:1.0`, resources: { limits: { memory: '64Mi' } } }] : [],
        },
      },
    },
    parameters: { repos: ['registry.example.com/'], labels: ['app', 'owner'] },
  };
}

async function rate(compiled: CompiledTemplate, inputs: readonly JsonObject[]): Promise<{ perSecond: number; violations: number }> {
  for (const input of inputs.slice(0, 500)) compiled.violations(input, {}, undefined);
  let violations = 0;
  const start = performance.now();
  for (const input of inputs) violations += compiled.violations(input, {}, undefined).length;
  return { perSecond: (inputs.length * 1000) / (performance.now() - start), violations };
}

export async function benchRego(): Promise<{ name: string; value: number; unit: string; ratio?: number }[]> {
  const template = { name: 'k8sbench', kind: 'K8sBench', rego: TEMPLATE_REGO, libs: [], schema: undefined, path: 'bench/rego.ts' };
  const inputs = Array.from({ length: OBJECTS }, (_, i) => review(i));
  const builtin = await rate(await builtinEngine.compile(template), inputs);
  const out: { name: string; value: number; unit: string; ratio?: number }[] = [
    { name: `rego builtin engine: ${OBJECTS} admission objects (${builtin.violations} violations)`, value: builtin.perSecond, unit: 'objects/s' },
  ];
  const opa = findOpa(process.env['PATH']);
  if (opa) {
    const wasm = await rate(await wasmEngine(opa).compile(template), inputs);
    out.push({ name: `rego opa-wasm: ${OBJECTS} admission objects (${wasm.violations} violations)`, value: wasm.perSecond, unit: 'objects/s', ratio: wasm.perSecond / builtin.perSecond });
  }
  return out;
}
