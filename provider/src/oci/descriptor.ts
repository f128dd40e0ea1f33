/** OCI content descriptors (image-spec descriptor.md): the typed value, its validation, and subject equality. */
import { OciError } from './errors.js';
import { clip, digestProblem } from './digest.js';

/** An OCI content descriptor. Structurally equal to notation's Descriptor, plus the optional artifactType. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly artifactType?: string;
}

const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const MAX_ANNOTATIONS = 1024;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function fail(where: string, problem: string): OciError {
  return new OciError('MANIFEST_INVALID', `${where}: ${problem}`);
}

/** A media type string (RFC 6838 type/subtype), or an error naming the field. */
export function parseMediaType(value: unknown, where: string): string {
  if (typeof value !== 'string' || !MEDIA_TYPE.test(value)) {
    throw fail(where, `expected a media type such as application/vnd.oci.image.manifest.v1+json, got ${describe(value)}`);
  }
  return value;
}

export function parseAnnotations(value: unknown, where: string): Readonly<Record<string, string>> {
  if (!isPlainObject(value)) throw fail(where, `expected an object of string values, got ${describe(value)}`);
  const entries = Object.entries(value);
  if (entries.length > MAX_ANNOTATIONS) throw fail(where, `has ${entries.length} annotations, at most ${MAX_ANNOTATIONS} are read`);
  for (const [key, v] of entries) {
    if (typeof v !== 'string') throw fail(`${where}["${clip(key, 60)}"]`, `expected a string, got ${describe(v)}`);
  }
  // fromEntries defines own data properties, so a "__proto__" key stays an ordinary key.
  return Object.freeze(Object.fromEntries(entries) as Record<string, string>);
}

/** Validates an untrusted descriptor object into a frozen Descriptor; `where` is its path (e.g. `index.json manifests[2]`). */
export function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isPlainObject(value)) throw fail(where, `expected a descriptor object, got ${describe(value)}`);
  const mediaType = parseMediaType(value['mediaType'], `${where}.mediaType`);
  const digest = value['digest'];
  if (typeof digest !== 'string') throw fail(`${where}.digest`, `expected a digest string, got ${describe(digest)}`);
  const problem = digestProblem(digest);
  if (problem !== undefined) throw fail(`${where}.digest`, `"${clip(digest)}" is not a valid digest: ${problem}`);
  const size = value['size'];
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw fail(`${where}.size`, `expected a non-negative integer, got ${describe(size)}`);
  }
  const out: { mediaType: string; digest: string; size: number; annotations?: Readonly<Record<string, string>>; artifactType?: string } = {
    mediaType,
    digest,
    size,
  };
  if (value['annotations'] !== undefined) out.annotations = parseAnnotations(value['annotations'], `${where}.annotations`);
  if (value['artifactType'] !== undefined) out.artifactType = parseMediaType(value['artifactType'], `${where}.artifactType`);
  return Object.freeze(out);
}

/** True when both descriptors address the same content: equal mediaType, digest and size (other fields are ignored). */
export function sameContent(a: Descriptor, b: Descriptor): boolean {
  return a.mediaType === b.mediaType && a.digest === b.digest && a.size === b.size;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${clip(value, 60)}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
