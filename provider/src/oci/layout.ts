/**
 * OCI image layouts (image-spec image-layout.md) as a read-only signature source: resolve a tag or digest from
 * index.json, find Notary Project signature manifests whose subject is a given descriptor by scanning index.json and
 * the indexes it lists (never the `sha256-<hex>` referrers tag index alone), and read blobs digest- and size-checked.
 */
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OciError } from './errors.js';
import { clip, isDigest, parseDigest, verifyContent } from './digest.js';
import { describe, isPlainObject, type Descriptor } from './descriptor.js';
import { decodeJson, parseImageIndex, parseManifest, type Manifest } from './manifest.js';
import { ANNOTATION_REF_NAME, isIndexMediaType, isSingleManifestMediaType, MAX_MANIFEST_BYTES, MEDIA_TYPE_OCI_INDEX } from './mediaTypes.js';
import { toSignatureManifest, type SignatureManifest } from './signatureManifest.js';

export interface OciLayout {
  /** A tag (an index.json entry's org.opencontainers.image.ref.name) or a digest listed in index.json. */
  resolve(reference: string): Promise<Descriptor>;
  /** Every signature manifest in the layout whose subject equals `subject` (mediaType, digest, size), index.json order. */
  signatureManifests(subject: Descriptor): Promise<readonly SignatureManifest[]>;
  /** The blob's bytes, after checking size (<= maxBytes and == descriptor.size) and digest. */
  fetchBlob(descriptor: Descriptor, maxBytes: number): Promise<Uint8Array>;
}

export interface OciLayoutOptions {
  /** Cap for index.json and every manifest read (default 4 MiB). */
  readonly maxManifestBytes?: number;
}

const LAYOUT_VERSION = '1.0.0';
const MAX_INDEX_DEPTH = 8;
const MAX_MANIFESTS_SCANNED = 10_000;

interface ReadFailure {
  code?: string;
}

async function readCapped(
  path: string,
  cap: number,
  what: string,
  missing: 'BLOB_NOT_FOUND' | 'LAYOUT_NOT_FOUND' | 'LAYOUT_INVALID',
  expectedSize?: number,
): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    const code = (cause as ReadFailure).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new OciError(missing, `${what} is missing (${path})`, { cause });
    throw new OciError('LAYOUT_INVALID', `${what} cannot be read (${path}): ${(cause as Error).message}`, { cause });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new OciError('LAYOUT_INVALID', `${what} is not a regular file (${path})`);
    if (expectedSize !== undefined && info.size !== expectedSize) {
      throw new OciError('SIZE_MISMATCH', `${what} has ${info.size} bytes, its descriptor says ${expectedSize}; the blob was replaced or truncated (${path})`);
    }
    if (info.size > cap) throw new OciError('SIZE_LIMIT_EXCEEDED', `${what} has ${info.size} bytes, more than the ${cap}-byte limit (${path})`);
    const buffer = new Uint8Array(info.size);
    let filled = 0;
    while (filled < info.size) {
      const { bytesRead } = await handle.read(buffer, filled, info.size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === info.size ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/** Opens the layout at `dir`, checking its oci-layout file and index.json. */
export async function openOciLayout(dir: string, options: OciLayoutOptions = {}): Promise<OciLayout> {
  const maxManifestBytes = options.maxManifestBytes ?? MAX_MANIFEST_BYTES;
  const where = `OCI layout ${dir}`;
  try {
    if (!(await stat(dir)).isDirectory()) throw new OciError('LAYOUT_NOT_FOUND', `${where} is not a directory; point to the folder holding oci-layout and index.json`);
  } catch (cause) {
    if (cause instanceof OciError) throw cause;
    throw new OciError('LAYOUT_NOT_FOUND', `${where} does not exist; point to the folder holding oci-layout and index.json`, { cause });
  }

  const marker = decodeLayoutJson(await readCapped(join(dir, 'oci-layout'), 4096, `the oci-layout file of ${where}`, 'LAYOUT_NOT_FOUND'), `${where}: oci-layout`);
  if (!isPlainObject(marker) || marker['imageLayoutVersion'] !== LAYOUT_VERSION) {
    const got = isPlainObject(marker) ? describe(marker['imageLayoutVersion']) : describe(marker);
    throw new OciError('LAYOUT_INVALID', `${where}: oci-layout must be {"imageLayoutVersion":"${LAYOUT_VERSION}"}, imageLayoutVersion is ${got}`);
  }

  const indexBytes = await readCapped(join(dir, 'index.json'), maxManifestBytes, `index.json of ${where}`, 'LAYOUT_INVALID');
  let index;
  try {
    index = parseImageIndex(decodeJson(indexBytes, `${where}: index.json`), MEDIA_TYPE_OCI_INDEX, `${where}: index.json`);
  } catch (cause) {
    throw new OciError('LAYOUT_INVALID', `${(cause as Error).message}; fix or regenerate index.json (for example with oras copy --to-oci-layout)`, { cause });
  }
  return new Layout(dir, where, index.manifests, maxManifestBytes);
}

function decodeLayoutJson(bytes: Uint8Array, where: string): unknown {
  try {
    return decodeJson(bytes, where);
  } catch (cause) {
    throw new OciError('LAYOUT_INVALID', (cause as Error).message, { cause });
  }
}

class Layout implements OciLayout {
  private readonly manifests = new Map<string, Manifest>();

  constructor(
    private readonly dir: string,
    private readonly where: string,
    private readonly entries: readonly Descriptor[],
    private readonly maxManifestBytes: number,
  ) {}

  async resolve(reference: string): Promise<Descriptor> {
    let found: Descriptor | undefined;
    if (isDigest(reference)) {
      found = this.entries.find((d) => d.digest === reference);
      if (found === undefined) {
        for await (const d of this.walk()) {
          if (d.digest === reference) {
            found = d;
            break;
          }
        }
      }
    } else {
      const matches = this.entries.filter((d) => d.annotations?.[ANNOTATION_REF_NAME] === reference);
      const digests = new Set(matches.map((d) => d.digest));
      if (digests.size > 1) {
        throw new OciError('TAG_AMBIGUOUS', `${this.where}: tag "${clip(reference)}" names ${digests.size} different manifests in index.json (${[...digests].join(', ')}); resolve by digest instead`);
      }
      found = matches[0];
    }
    if (found === undefined) {
      const tags = this.entries.flatMap((d) => (d.annotations?.[ANNOTATION_REF_NAME] !== undefined ? [d.annotations[ANNOTATION_REF_NAME]] : []));
      const known = tags.length > 0 ? `tags listed: ${tags.slice(0, 10).join(', ')}` : 'index.json lists no tags';
      throw new OciError('TAG_NOT_FOUND', `${this.where}: "${clip(reference)}" is not listed in index.json (${known}); use a listed tag or sha256:<hex>`);
    }
    await this.readManifest(found);
    return found;
  }

  async signatureManifests(subject: Descriptor): Promise<readonly SignatureManifest[]> {
    const out: SignatureManifest[] = [];
    for await (const descriptor of this.walk()) {
      if (!isSingleManifestMediaType(descriptor.mediaType)) continue;
      const sig = toSignatureManifest(descriptor, await this.readManifest(descriptor), subject);
      if (sig !== undefined) out.push(sig);
    }
    return Object.freeze(out);
  }

  async fetchBlob(descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    return this.readBlob(descriptor, maxBytes, `blob ${descriptor.digest}`);
  }

  /** Every descriptor listed by index.json and the indexes under it, breadth first, each digest once. */
  private async *walk(): AsyncGenerator<Descriptor> {
    const seen = new Set<string>();
    let level: readonly Descriptor[] = this.entries;
    for (let depth = 0; level.length > 0; depth++) {
      if (depth > MAX_INDEX_DEPTH) throw new OciError('LAYOUT_INVALID', `${this.where}: indexes are nested more than ${MAX_INDEX_DEPTH} deep`);
      const next: Descriptor[] = [];
      for (const d of level) {
        if (seen.has(d.digest)) continue;
        seen.add(d.digest);
        if (seen.size > MAX_MANIFESTS_SCANNED) throw new OciError('LAYOUT_INVALID', `${this.where}: lists more than ${MAX_MANIFESTS_SCANNED} manifests`);
        yield d;
        if (isIndexMediaType(d.mediaType)) {
          const nested = await this.readManifest(d);
          if (nested.kind === 'index') next.push(...nested.manifests);
        }
      }
      level = next;
    }
  }

  private async readManifest(descriptor: Descriptor): Promise<Manifest> {
    const cached = this.manifests.get(descriptor.digest);
    if (cached !== undefined && cached.mediaType === descriptor.mediaType) return cached;
    const what = `manifest ${descriptor.digest}`;
    const bytes = await this.readBlob(descriptor, this.maxManifestBytes, what);
    const manifest = parseManifest(bytes, descriptor.mediaType, `${this.where}: ${what}`);
    this.manifests.set(descriptor.digest, manifest);
    return manifest;
  }

  private async readBlob(descriptor: Descriptor, cap: number, what: string): Promise<Uint8Array> {
    const { algorithm, hex } = parseDigest(descriptor.digest, `${this.where}: ${what} digest`);
    if (descriptor.size > cap) {
      throw new OciError('SIZE_LIMIT_EXCEEDED', `${this.where}: ${what} is declared as ${descriptor.size} bytes, more than the ${cap}-byte limit`);
    }
    const path = join(this.dir, 'blobs', algorithm, hex);
    const bytes = await readCapped(path, cap, `${what} of ${this.where}`, 'BLOB_NOT_FOUND', descriptor.size);
    verifyContent(bytes, descriptor, `${this.where}: ${what}`);
    return bytes;
  }
}
