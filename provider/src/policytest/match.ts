/**
 * Constraint `spec.match` as Gatekeeper applies it: kinds, namespaces / excludedNamespaces (with `prefix*` and
 * `*suffix` globs; they do not apply to objects without a namespace), scope, name, labelSelector and namespaceSelector (Namespace objects come from the inventory).
 */
import { type Json, type JsonObject, isObj } from './yamlFiles.js';
import { gvk } from './review.js';

function glob(pattern: string, s: string): boolean {
  if (pattern.endsWith('*')) return s.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith('*')) return s.endsWith(pattern.slice(1));
  return pattern === s;
}

function strings(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Kubernetes LabelSelector semantics (matchLabels AND matchExpressions). */
export function selectorMatches(sel: Json | undefined, labels: Readonly<Record<string, Json>>): boolean {
  if (!isObj(sel)) return true;
  const ml = isObj(sel['matchLabels']) ? sel['matchLabels'] : {};
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of Array.isArray(sel['matchExpressions']) ? sel['matchExpressions'] : []) {
    if (!isObj(e)) return false;
    const key = String(e['key'] ?? '');
    const values = strings(e['values']);
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (e['operator']) {
      case 'In': if (!has || !values.includes(String(labels[key]))) return false; break;
      case 'NotIn': if (has && values.includes(String(labels[key]))) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false;
    }
  }
  return true;
}

function labelsOf(o: JsonObject): Record<string, Json> {
  const m = isObj(o['metadata']) ? o['metadata'] : {};
  return isObj(m['labels']) ? m['labels'] : {};
}

export function constraintMatches(match: Json | undefined, object: JsonObject, namespaces: ReadonlyMap<string, JsonObject>): boolean {
  if (!isObj(match)) return true;
  const { group, kind } = gvk(object);
  const m = isObj(object['metadata']) ? object['metadata'] : {};
  const isNamespace = group === '' && kind === 'Namespace';
  const ns = isNamespace ? String(m['name'] ?? '') : typeof m['namespace'] === 'string' ? m['namespace'] : '';
  const kinds = Array.isArray(match['kinds']) ? match['kinds'] : [];
  if (kinds.length > 0 && !kinds.some((k) => isObj(k)
    && (strings(k['apiGroups']).some((g) => g === '*' || g === group))
    && (strings(k['kinds']).some((x) => x === '*' || x === kind)))) return false;
  const scope = typeof match['scope'] === 'string' ? match['scope'] : '*';
  const namespaced = !isNamespace && ns !== '';
  if (scope === 'Cluster' && namespaced) return false;
  if (scope === 'Namespaced' && !namespaced) return false;
  const included = strings(match['namespaces']);
  // Namespace criteria do not apply to cluster-scoped objects (nor to objects given without a namespace).
  if (included.length > 0 && ns !== '' && !included.some((p) => glob(p, ns))) return false;
  if (ns !== '' && strings(match['excludedNamespaces']).some((p) => glob(p, ns))) return false;
  if (typeof match['name'] === 'string' && !glob(match['name'], String(m['name'] ?? ''))) return false;
  if (!selectorMatches(match['labelSelector'], labelsOf(object))) return false;
  if (isObj(match['namespaceSelector'])) {
    if (isNamespace) return selectorMatches(match['namespaceSelector'], labelsOf(object));
    if (ns === '') return true;
    const nsObj = namespaces.get(ns);
    if (!nsObj) return false;
    if (!selectorMatches(match['namespaceSelector'], labelsOf(nsObj))) return false;
  }
  return true;
}
