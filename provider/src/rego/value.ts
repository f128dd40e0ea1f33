/**
 * Rego values: null, boolean, number, string, array (a plain readonly array), object (RObject: any value as key)
 * and set (RSet). Numbers are JS doubles (OPA uses arbitrary precision; integers beyond 2^53 lose precision here).
 * Every value has a canonical key string (cached for composites) used for hashing, equality and set/object lookups.
 */
export type Value = null | boolean | number | string | readonly Value[] | RObject | RSet | RBig;

/**
 * An integer literal too large for a double (beyond 2^53), kept exactly so that it prints as written
 * (`sprintf("%d", [123456789123456789123])`). Arithmetic and builtins see it as the nearest double.
 */
export class RBig {
  constructor(readonly value: bigint) {}
  toNumber(): number { return Number(this.value); }
}

/** A number literal: a double, or an RBig when it is an integer a double cannot hold exactly. */
export function numberLiteral(text: string): number | RBig {
  const n = Number(text);
  if (/^-?\d+$/.test(text) && !Number.isSafeInteger(n) && Number.isFinite(n) && BigInt(n) !== BigInt(text)) return new RBig(BigInt(text));
  return n;
}

const keyCache = new WeakMap<object, string>();

export function keyOf(v: Value): string {
  if (typeof v === 'string') return v.charCodeAt(0) === 0 ? '\u0000s' + v : v;
  if (v === null) return '\u0000z';
  if (typeof v === 'boolean') return v ? '\u0000t' : '\u0000f';
  if (typeof v === 'number') return '\u0000n' + (Object.is(v, -0) ? '0' : String(v));
  if (v instanceof RBig) return '\u0000n' + v.value.toString();
  const cached = keyCache.get(v);
  if (cached !== undefined) return cached;
  let k: string;
  if (Array.isArray(v)) k = '\u0000a[' + (v as readonly Value[]).map(keyOf).join('\u0000,') + '\u0000]';
  else if (v instanceof RObject) {
    k = '\u0000o{' + [...v.map.keys()].sort().map((kk) => kk + '\u0000:' + keyOf((v.map.get(kk) as readonly [Value, Value])[1])).join('\u0000,') + '\u0000}';
  } else k = '\u0000S{' + [...(v as RSet).map.keys()].sort().join('\u0000,') + '\u0000}';
  keyCache.set(v, k);
  return k;
}

export class RObject {
  readonly map = new Map<string, readonly [Value, Value]>();
  constructor(entries?: Iterable<readonly [Value, Value]>) {
    if (entries) for (const [k, v] of entries) this.map.set(keyOf(k), [k, v]);
  }
  get size(): number { return this.map.size; }
  get(k: Value): Value | undefined { return this.map.get(keyOf(k))?.[1]; }
  has(k: Value): boolean { return this.map.has(keyOf(k)); }
  /** Mutates; only while building a fresh object. */
  set(k: Value, v: Value): void { this.map.set(keyOf(k), [k, v]); }
  entries(): IterableIterator<readonly [Value, Value]> { return this.map.values(); }
  keys(): Value[] { return [...this.map.values()].map((e) => e[0]); }
  sortedEntries(): (readonly [Value, Value])[] { return [...this.map.values()].sort((a, b) => compare(a[0], b[0])); }
}

export class RSet {
  readonly map = new Map<string, Value>();
  constructor(items?: Iterable<Value>) {
    if (items) for (const v of items) this.map.set(keyOf(v), v);
  }
  get size(): number { return this.map.size; }
  has(v: Value): boolean { return this.map.has(keyOf(v)); }
  add(v: Value): void { this.map.set(keyOf(v), v); }
  values(): IterableIterator<Value> { return this.map.values(); }
  sorted(): Value[] { return [...this.map.values()].sort(compare); }
}

export function isArray(v: Value | undefined): v is readonly Value[] { return Array.isArray(v); }
export function isObject(v: Value | undefined): v is RObject { return v instanceof RObject; }
export function isSet(v: Value | undefined): v is RSet { return v instanceof RSet; }

export function typeName(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (v instanceof RBig) return 'number';
  if (Array.isArray(v)) return 'array';
  return v instanceof RObject ? 'object' : 'set';
}

function rank(v: Value): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean': return 1;
    case 'number': return 2;
    case 'string': return 3;
    default: return v instanceof RBig ? 2 : Array.isArray(v) ? 4 : v instanceof RObject ? 5 : 6;
  }
}

/** OPA's total order: null < booleans < numbers < strings < arrays < objects < sets. */
export function compare(a: Value, b: Value): number {
  const ra = rank(a), rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0: return 0;
    case 1: return a === b ? 0 : a ? 1 : -1;
    case 2: {
      const x = a instanceof RBig ? a.toNumber() : (a as number), y = b instanceof RBig ? b.toNumber() : (b as number);
      if (x === y && (a instanceof RBig || b instanceof RBig)) {
        const bx = a instanceof RBig ? a.value : BigInt(a as number), by = b instanceof RBig ? b.value : BigInt(b as number);
        return bx < by ? -1 : bx > by ? 1 : 0;
      }
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 3: return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
    case 4: return compareLists(a as readonly Value[], b as readonly Value[]);
    case 5: {
      const ea = (a as RObject).sortedEntries(), eb = (b as RObject).sortedEntries();
      const n = Math.min(ea.length, eb.length);
      for (let i = 0; i < n; i++) {
        const x = ea[i] as readonly [Value, Value], y = eb[i] as readonly [Value, Value];
        const c = compare(x[0], y[0]) || compare(x[1], y[1]);
        if (c !== 0) return c;
      }
      return ea.length - eb.length;
    }
    default: return compareLists((a as RSet).sorted(), (b as RSet).sorted());
  }
}

function compareLists(a: readonly Value[], b: readonly Value[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compare(a[i] as Value, b[i] as Value);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export function equal(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return keyOf(a) === keyOf(b);
}

/** JSON-ish input (parsed JSON or YAML) to a Value. Throws on values JSON cannot hold. */
export function fromJSON(x: unknown, depth = 0): Value {
  if (depth > 1000) throw new Error('value nested too deeply');
  if (x === null || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
  if (typeof x === 'bigint') return Number(x);
  if (Array.isArray(x)) return x.map((e) => fromJSON(e, depth + 1));
  if (x instanceof RObject || x instanceof RSet || x instanceof RBig) return x;
  if (x instanceof Map) {
    const o = new RObject();
    for (const [k, v] of x) o.set(fromJSON(k, depth + 1), fromJSON(v, depth + 1));
    return o;
  }
  if (typeof x === 'object') {
    const o = new RObject();
    // Sorted like OPA's conversion of Go maps, so that iteration order does not depend on the JSON text.
    for (const [k, v] of Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (v !== undefined) o.set(k, fromJSON(v, depth + 1));
    }
    return o;
  }
  throw new Error(`cannot convert ${typeof x} to a Rego value`);
}

export type JSONValue = null | boolean | number | string | JSONValue[] | { [k: string]: JSONValue };

/** Value to JSON: sets become sorted arrays, non-string object keys are serialized as JSON text (like OPA). */
export function toJSON(v: Value): JSONValue {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof RBig) return v.toNumber();
  if (Array.isArray(v)) return (v as readonly Value[]).map(toJSON);
  if (v instanceof RSet) return v.sorted().map(toJSON);
  const out: { [k: string]: JSONValue } = {};
  for (const [k, val] of (v as RObject).sortedEntries()) out[typeof k === 'string' ? k : JSON.stringify(toJSON(k))] = toJSON(val);
  return out;
}

export function isTruthy(v: Value | undefined): boolean { return v !== undefined && v !== false; }

/** `v[key]` for arrays (integer index), objects and sets (membership); undefined otherwise. */
export function index(v: Value, key: Value): Value | undefined {
  if (Array.isArray(v)) return typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < v.length ? (v[key] as Value) : undefined;
  if (v instanceof RObject) return v.get(key);
  if (v instanceof RSet) return v.has(key) ? key : undefined;
  return undefined;
}
