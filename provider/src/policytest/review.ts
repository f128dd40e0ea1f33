/**
 * Gatekeeper's admission input: a plain object becomes an AdmissionRequest-shaped `review` the way gator builds it
 * (kind from apiVersion/kind, name, namespace, operation "" unless given); an AdmissionReview contributes its
 * `request` (kind filled from the object when absent). Inventory objects go to `data.inventory` as
 * `cluster[apiVersion][kind][name]` and `namespace[ns][apiVersion][kind][name]`.
 */
import { PolicyTestError } from './errors.js';
import { type Json, type JsonObject, isObj } from './yamlFiles.js';

export interface Review {
  readonly review: JsonObject;
  /** The object the constraint match looks at (oldObject for a DELETE). */
  readonly object: JsonObject;
}

export function gvk(obj: JsonObject): { group: string; version: string; kind: string } {
  const api = typeof obj['apiVersion'] === 'string' ? obj['apiVersion'] : '';
  const [group, version] = api.includes('/') ? (api.split('/', 2) as [string, string]) : ['', api];
  return { group, version, kind: typeof obj['kind'] === 'string' ? obj['kind'] : '' };
}

function meta(obj: JsonObject): JsonObject { return isObj(obj['metadata']) ? obj['metadata'] : {}; }

export function toReview(doc: Json, path: string): Review {
  if (!isObj(doc)) throw new PolicyTestError('OBJECT_INVALID', `${path}: the object must be a mapping`);
  if (doc['kind'] === 'AdmissionReview') {
    const req = isObj(doc['request']) ? { ...doc['request'] } : undefined;
    if (!req) throw new PolicyTestError('OBJECT_INVALID', `${path}: AdmissionReview has no request`);
    const obj = isObj(req['object']) ? req['object'] : isObj(req['oldObject']) ? req['oldObject'] : undefined;
    if (!obj) throw new PolicyTestError('OBJECT_INVALID', `${path}: AdmissionReview request has neither object nor oldObject`);
    if (!isObj(req['kind'])) req['kind'] = gvk(obj);
    const m = meta(obj);
    if (req['name'] === undefined && typeof m['name'] === 'string') req['name'] = m['name'];
    if (req['namespace'] === undefined && typeof m['namespace'] === 'string') req['namespace'] = m['namespace'];
    const matchObj = req['operation'] === 'DELETE' && isObj(req['oldObject']) ? req['oldObject'] : obj;
    return { review: req, object: matchObj };
  }
  if (typeof doc['kind'] !== 'string' || typeof doc['apiVersion'] !== 'string') {
    throw new PolicyTestError('OBJECT_INVALID', `${path}: the object needs apiVersion and kind`);
  }
  const m = meta(doc);
  const review: JsonObject = {
    uid: '',
    kind: gvk(doc),
    resource: { group: '', version: '', resource: '' },
    name: typeof m['name'] === 'string' ? m['name'] : '',
    operation: '',
    userInfo: {},
    object: doc,
  };
  if (typeof m['namespace'] === 'string') review['namespace'] = m['namespace'];
  return { review, object: doc };
}

export function buildInventory(objects: readonly JsonObject[]): JsonObject {
  const cluster: JsonObject = {};
  const namespace: JsonObject = {};
  const put = (root: JsonObject, keys: readonly string[], value: Json): void => {
    let cur = root;
    for (const k of keys.slice(0, -1)) {
      const next = cur[k];
      cur = isObj(next) ? next : (cur[k] = {}) as JsonObject;
    }
    cur[keys[keys.length - 1] as string] = value;
  };
  for (const o of objects) {
    const m = meta(o);
    const api = String(o['apiVersion'] ?? ''), kind = String(o['kind'] ?? ''), name = String(m['name'] ?? '');
    if (typeof m['namespace'] === 'string' && m['namespace'] !== '') put(namespace, [m['namespace'], api, kind, name], o);
    else put(cluster, [api, kind, name], o);
  }
  return { cluster, namespace };
}
