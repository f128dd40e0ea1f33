/**
 * Manifests validated into typed values: OCI image manifests (and Docker schema 2, same shape), OCI image indexes (and
 * Docker manifest lists), and the legacy OCI artifact manifest. Each parser takes untrusted bytes and returns a frozen
 * value or throws OciError MANIFEST_INVALID / MANIFEST_UNSUPPORTED naming the field at fault.
 */
import { OciError } from './errors.js';
import { describe, isPlainObject, parseAnnotations, parseDescriptor, parseMediaType, type Descriptor } from './descriptor.js';
import {
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_ARTIFACT_MANIFEST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
} from './mediaTypes.js';

interface ManifestCommon {
  /** The media type the manifest was addressed by (equal to its own mediaType field when it has one). */
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageManifest extends ManifestCommon {
  readonly kind: 'image';
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

export interface ImageIndex extends ManifestCommon {
  readonly kind: 'index';
  readonly manifests: readonly Descriptor[];
}

export interface ArtifactManifest extends ManifestCommon {
  readonly kind: 'artifact';
  readonly artifactType: string;
  readonly blobs: readonly Descriptor[];
}

export type Manifest = ImageManifest | ImageIndex | ArtifactManifest;

/** At most this many entries in layers / manifests / blobs. */
export const MAX_MANIFEST_ENTRIES = 10_000;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 then JSON.parse; failures become MANIFEST_INVALID naming `where`. */
export function decodeJson(bytes: Uint8Array, where: string): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch (cause) {
    throw new OciError('MANIFEST_INVALID', `${where}: not valid UTF-8`, { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new OciError('MANIFEST_INVALID', `${where}: not valid JSON (${(cause as Error).message})`, { cause });
  }
}

/** Parses manifest bytes addressed with `mediaType` (from the descriptor or Content-Type). */
export function parseManifest(bytes: Uint8Array, mediaType: string, where: string): Manifest {
  return parseManifestObject(decodeJson(bytes, where), mediaType, where);
}

export function parseManifestObject(value: unknown, mediaType: string, where: string): Manifest {
  switch (mediaType) {
    case MEDIA_TYPE_OCI_MANIFEST:
    case MEDIA_TYPE_DOCKER_MANIFEST:
      return parseImageManifest(value, mediaType, where);
    case MEDIA_TYPE_OCI_INDEX:
    case MEDIA_TYPE_DOCKER_MANIFEST_LIST:
      return parseImageIndex(value, mediaType, where);
    case MEDIA_TYPE_OCI_ARTIFACT_MANIFEST:
      return parseArtifactManifest(value, where);
    default:
      throw new OciError('MANIFEST_UNSUPPORTED', `${where}: media type "${mediaType}" is not a manifest type this client reads`);
  }
}

function fail(where: string, problem: string): OciError {
  return new OciError('MANIFEST_INVALID', `${where}: ${problem}`);
}

function common(obj: Record<string, unknown>, mediaType: string, where: string, mediaTypeRequired: boolean): ManifestCommon {
  const own = obj['mediaType'];
  if (own === undefined) {
    if (mediaTypeRequired) throw fail(`${where}.mediaType`, `missing; a ${mediaType} must name its media type`);
  } else if (own !== mediaType) {
    throw fail(`${where}.mediaType`, `is ${describe(own)} but the manifest was addressed as "${mediaType}"`);
  }
  const out: { mediaType: string; artifactType?: string; subject?: Descriptor; annotations?: Readonly<Record<string, string>> } = { mediaType };
  if (obj['artifactType'] !== undefined) out.artifactType = parseMediaType(obj['artifactType'], `${where}.artifactType`);
  if (obj['subject'] !== undefined) out.subject = parseDescriptor(obj['subject'], `${where}.subject`);
  if (obj['annotations'] !== undefined) out.annotations = parseAnnotations(obj['annotations'], `${where}.annotations`);
  return out;
}

function schemaVersion2(obj: Record<string, unknown>, where: string): void {
  if (obj['schemaVersion'] !== 2) throw fail(`${where}.schemaVersion`, `expected 2, got ${describe(obj['schemaVersion'])}`);
}

function descriptorList(value: unknown, where: string, required: boolean): readonly Descriptor[] {
  if (value === undefined && !required) return Object.freeze([]);
  if (!Array.isArray(value)) throw fail(where, `expected an array of descriptors, got ${describe(value)}`);
  if (value.length > MAX_MANIFEST_ENTRIES) throw fail(where, `has ${value.length} entries, at most ${MAX_MANIFEST_ENTRIES} are read`);
  return Object.freeze(value.map((item: unknown, i) => parseDescriptor(item, `${where}[${i}]`)));
}

export function parseImageManifest(value: unknown, mediaType: string, where: string): ImageManifest {
  if (!isPlainObject(value)) throw fail(where, `expected a JSON object, got ${describe(value)}`);
  schemaVersion2(value, where);
  const base = common(value, mediaType, where, mediaType === MEDIA_TYPE_DOCKER_MANIFEST);
  const config = parseDescriptor(value['config'], `${where}.config`);
  const layers = descriptorList(value['layers'], `${where}.layers`, true);
  return Object.freeze({ kind: 'image', ...base, config, layers });
}

export function parseImageIndex(value: unknown, mediaType: string, where: string): ImageIndex {
  if (!isPlainObject(value)) throw fail(where, `expected a JSON object, got ${describe(value)}`);
  schemaVersion2(value, where);
  const base = common(value, mediaType, where, mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST);
  const manifests = descriptorList(value['manifests'], `${where}.manifests`, true);
  return Object.freeze({ kind: 'index', ...base, manifests });
}

export function parseArtifactManifest(value: unknown, where: string): ArtifactManifest {
  if (!isPlainObject(value)) throw fail(where, `expected a JSON object, got ${describe(value)}`);
  const base = common(value, MEDIA_TYPE_OCI_ARTIFACT_MANIFEST, where, true);
  if (base.artifactType === undefined) throw fail(`${where}.artifactType`, 'missing; an artifact manifest must name its artifact type');
  const blobs = descriptorList(value['blobs'], `${where}.blobs`, false);
  return Object.freeze({ kind: 'artifact', ...base, artifactType: base.artifactType, blobs });
}
