/**
 * ConstraintTemplates (templates.gatekeeper.sh v1, v1beta1, v1alpha1): the constraint kind, the parameters schema
 * and the Rego of the admission target, from `targets[].rego` + `libs` or from `targets[].code[]` entries with
 * `engine: Rego` (CEL entries are ignored). Also checks Gatekeeper's rules for template Rego.
 */
import { PolicyTestError } from './errors.js';
import { type Json, isObj } from './yamlFiles.js';

export const ADMISSION_TARGET = 'admission.k8s.gatekeeper.sh';

export interface TemplateInfo {
  readonly name: string;
  readonly kind: string;
  readonly rego: string;
  readonly libs: readonly string[];
  readonly schema: Json | undefined;
  readonly path: string;
}

const invalid = (path: string, msg: string): never => {
  throw new PolicyTestError('TEMPLATE_INVALID', `${path}: invalid ConstraintTemplate: ${msg}`);
};

export function parseTemplate(doc: Json, path: string): TemplateInfo {
  if (!isObj(doc) || doc['kind'] !== 'ConstraintTemplate') return invalid(path, 'kind must be ConstraintTemplate');
  const api = doc['apiVersion'];
  if (typeof api !== 'string' || !/^templates\.gatekeeper\.sh\/(v1|v1beta1|v1alpha1)$/.test(api)) return invalid(path, `unsupported apiVersion ${JSON.stringify(api)}`);
  const meta = isObj(doc['metadata']) ? doc['metadata'] : {};
  const spec = isObj(doc['spec']) ? doc['spec'] : invalid(path, 'spec is required');
  const crd = isObj(spec['crd']) && isObj(spec['crd']['spec']) ? spec['crd']['spec'] : invalid(path, 'spec.crd.spec is required');
  const names = isObj(crd['names']) ? crd['names'] : invalid(path, 'spec.crd.spec.names is required');
  const kind = typeof names['kind'] === 'string' && names['kind'] !== '' ? names['kind'] : invalid(path, 'spec.crd.spec.names.kind is required');
  const name = typeof meta['name'] === 'string' ? meta['name'] : invalid(path, 'metadata.name is required');
  if (name !== kind.toLowerCase()) invalid(path, `metadata.name "${name}" must equal the lowercase of spec.crd.spec.names.kind "${kind}"`);
  const validation = isObj(crd['validation']) ? crd['validation'] : undefined;
  const schema = validation && isObj(validation['openAPIV3Schema']) ? validation['openAPIV3Schema'] : undefined;
  const targets = Array.isArray(spec['targets']) ? spec['targets'] : invalid(path, 'spec.targets is required');
  if (targets.length !== 1) invalid(path, `exactly one target is supported, found ${targets.length}`);
  const t = targets[0];
  if (!isObj(t) || t['target'] !== ADMISSION_TARGET) return invalid(path, `the target must be ${ADMISSION_TARGET}`);
  let rego = typeof t['rego'] === 'string' ? t['rego'] : undefined;
  let libs = stringList(path, t['libs'], 'spec.targets[0].libs');
  if (Array.isArray(t['code'])) {
    for (const c of t['code']) {
      if (!isObj(c) || c['engine'] !== 'Rego') continue;
      const src = isObj(c['source']) ? c['source'] : invalid(path, 'code entry with engine Rego has no source');
      if (typeof src['rego'] === 'string') {
        if (rego !== undefined && rego !== src['rego']) invalid(path, 'both targets[].rego and a Rego code entry are set, with different Rego');
        rego = src['rego'];
        libs = stringList(path, src['libs'], 'source.libs');
      }
    }
  }
  if (rego === undefined || rego.trim() === '') return invalid(path, 'the admission target has no Rego (neither rego nor a code entry with engine: Rego)');
  return { name, kind, rego, libs, schema, path };
}

function stringList(path: string, v: Json | undefined, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return invalid(path, `${where} must be a list of strings`);
  return v as string[];
}
