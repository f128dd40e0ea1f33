/**
 * The CustomResourceDefinitions in crds/ are the one source of the configuration schema: this module reads their
 * openAPIV3Schema at runtime and compiles it with ajv (strict types, no coercion, all errors) when a document of its
 * kind is first checked. Kubernetes prunes or, under strict field validation, rejects fields a structural schema does
 * not declare; here an object that declares `properties` (and neither `additionalProperties` nor
 * `x-kubernetes-preserve-unknown-fields`) is closed, so an unknown field is an error with its path, as
 * `kubectl apply --validate=strict` reports it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import { crdsDirectory } from './paths.js';
import { explainSchemaError } from './schemaErrors.js';

export const API_GROUP = 'config.signgate.dev';
export const API_VERSION_NAME = 'v1alpha1';
export const API_VERSION = `${API_GROUP}/${API_VERSION_NAME}`;

export interface KindSchema {
  readonly kind: string;
  readonly namespaced: boolean;
  /** The CRD file the schema comes from. */
  readonly file: string;
  /**
   * The kind's validator, compiled on first use: ajv's code generation is most of a start-up's time and memory,
   * and a configuration names a few of the kinds (the embedded one 4 of 9).
   */
  readonly validate: () => ValidateFunction;
}

export interface CrdCatalog {
  readonly dir: string;
  readonly kinds: ReadonlyMap<string, KindSchema>;
}

/** A schema violation: the field path inside the document and the reason. */
export interface SchemaViolation {
  readonly path: readonly (string | number)[];
  readonly reason: string;
}

const MAX_CRD_FILE_BYTES = 1024 * 1024;
const catalogs = new Map<string, Promise<CrdCatalog>>();

type SchemaNode = Record<string, unknown>;

function isObject(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of a Kubernetes structural schema as a JSON schema with closed objects. */
export function toValidationSchema(node: SchemaNode): SchemaNode {
  const out: SchemaNode = { ...node };
  if (isObject(node.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([k, v]) => [k, isObject(v) ? toValidationSchema(v) : v]),
    );
  }
  if (isObject(node.items)) out.items = toValidationSchema(node.items);
  if (isObject(node.additionalProperties)) out.additionalProperties = toValidationSchema(node.additionalProperties);
  if (isObject(node.not)) out.not = toValidationSchema(node.not);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = node[key];
    if (Array.isArray(list)) out[key] = list.map((s: unknown) => (isObject(s) ? toValidationSchema(s) : s));
  }
  const open = node['x-kubernetes-preserve-unknown-fields'] === true || node.additionalProperties !== undefined;
  if (node.type === 'object' && isObject(node.properties) && !open) out.additionalProperties = false;
  return out;
}

function newAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: true,
    strictRequired: true,
    coerceTypes: false,
    useDefaults: false,
    verbose: true,
  });
  for (const keyword of [
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-map-type',
    'x-kubernetes-int-or-string',
    'x-kubernetes-embedded-resource',
    'x-kubernetes-validations',
  ]) {
    ajv.addKeyword(keyword);
  }
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/);
  return ajv;
}

function crdProblem(file: string, reason: string, cause?: unknown): ConfigError {
  return new ConfigError(
    [{ code: 'CRDS_UNAVAILABLE', file, path: '', reason: `${reason}; signgate's installation is incomplete, reinstall it` }],
    cause === undefined ? undefined : { cause },
  );
}

function readCrd(ajv: Ajv, file: string, text: string): KindSchema {
  const crd: unknown = parseYaml(text);
  const spec = isObject(crd) ? crd.spec : undefined;
  if (!isObject(crd) || crd.kind !== 'CustomResourceDefinition' || !isObject(spec) || spec.group !== API_GROUP) {
    throw crdProblem(file, `is not a CustomResourceDefinition of group ${API_GROUP}`);
  }
  const names = spec.names;
  const versions = spec.versions;
  if (!isObject(names) || typeof names.kind !== 'string' || !Array.isArray(versions)) {
    throw crdProblem(file, 'has no spec.names.kind or spec.versions');
  }
  const version: unknown = versions.find((v: unknown) => isObject(v) && v.name === API_VERSION_NAME);
  const schema = isObject(version) && isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
  if (!isObject(schema)) throw crdProblem(file, `has no ${API_VERSION_NAME} openAPIV3Schema`);
  const validationSchema = toValidationSchema(schema);
  let compiled: ValidateFunction | undefined;
  const validate = (): ValidateFunction => {
    try {
      compiled ??= ajv.compile(validationSchema);
    } catch (err) {
      throw crdProblem(file, `has a schema that does not compile: ${(err as Error).message}`, err);
    }
    return compiled;
  };
  return { kind: names.kind, namespaced: spec.scope === 'Namespaced', file, validate };
}

async function readCatalog(dir: string): Promise<CrdCatalog> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  } catch (err) {
    throw crdProblem(dir, `cannot be read (${(err as Error).message})`, err);
  }
  const ajv = newAjv();
  const kinds = new Map<string, KindSchema>();
  for (const name of files) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8');
    if (text.length > MAX_CRD_FILE_BYTES) throw crdProblem(file, 'is larger than 1 MiB');
    const kind = readCrd(ajv, file, text);
    if (kinds.has(kind.kind)) throw crdProblem(file, `defines kind ${kind.kind} a second time`);
    kinds.set(kind.kind, kind);
  }
  if (kinds.size === 0) throw crdProblem(dir, 'holds no CustomResourceDefinition');
  return { dir, kinds };
}

/** The schema of every kind, read once per folder (default: the package's crds/); each is compiled on first use. */
export function loadCrdCatalog(dir: string = crdsDirectory()): Promise<CrdCatalog> {
  let pending = catalogs.get(dir);
  if (!pending) {
    pending = readCatalog(dir);
    catalogs.set(dir, pending);
    pending.catch(() => catalogs.delete(dir));
  }
  return pending;
}

/** Every violation of the kind's schema by `value`, each with its path. */
export function schemaViolations(schema: KindSchema, value: unknown): SchemaViolation[] {
  const validate = schema.validate();
  if (validate(value)) return [];
  const errors: readonly ErrorObject[] = validate.errors ?? [];
  const seen = new Set<string>();
  const out: SchemaViolation[] = [];
  for (const error of errors) {
    const violation = explainSchemaError(error, value);
    const key = `${JSON.stringify(violation.path)} ${violation.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(violation);
  }
  return out;
}
