/** Builds OCI image layouts in temp dirs for the layout tests (content-addressed blobs, index.json, oci-layout). */
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Descriptor } from '../../../provider/src/oci/index.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';
export const EMPTY = 'application/vnd.oci.empty.v1+json';
export const NOTARY = 'application/vnd.cncf.notary.signature';
export const JWS = 'application/jose+json';

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export class LayoutBuilder {
  readonly blobs = new Map<string, Uint8Array>();

  constructor(readonly dir: string) {}

  static async create(): Promise<LayoutBuilder> {
    return new LayoutBuilder(await mkdtemp(join(tmpdir(), 'signgate-layout-')));
  }

  blob(content: Uint8Array | string, mediaType: string): Descriptor {
    const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
    const digest = sha256(bytes);
    this.blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.byteLength };
  }

  json(value: unknown, mediaType: string): Descriptor {
    return this.blob(JSON.stringify(value), mediaType);
  }

  /** A plain image manifest with one layer: the subject of the signatures. */
  image(text = 'hello'): Descriptor {
    const config = this.blob('{}', EMPTY);
    const layer = this.blob(text, 'application/vnd.oci.image.layer.v1.tar');
    return this.json({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example', config, layers: [layer] }, OCI_MANIFEST);
  }

  /** A signature manifest of the given form for `subject`, with one JWS envelope layer. */
  signature(subject: Descriptor, form: 'oci-1.1' | 'oci-1.0' | 'artifact', envelope = '{"payload":"x"}'): { manifest: Descriptor; envelope: Descriptor } {
    const env = this.blob(envelope, JWS);
    const annotations = { 'io.cncf.notary.x509chain.thumbprint#S256': '["ab"]' };
    if (form === 'artifact') {
      const m = this.json({ mediaType: ARTIFACT_MANIFEST, artifactType: NOTARY, blobs: [env], subject, annotations }, ARTIFACT_MANIFEST);
      return { manifest: m, envelope: env };
    }
    const config = form === 'oci-1.1' ? this.blob('{}', EMPTY) : this.blob('{}', NOTARY);
    const body: Record<string, unknown> = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [env], subject, annotations };
    if (form === 'oci-1.1') body['artifactType'] = NOTARY;
    return { manifest: this.json(body, OCI_MANIFEST), envelope: env };
  }

  index(manifests: readonly Descriptor[]): Descriptor {
    return this.json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }, OCI_INDEX);
  }

  tagged(d: Descriptor, tag: string): Descriptor {
    return { ...d, annotations: { 'org.opencontainers.image.ref.name': tag } };
  }

  /** Writes oci-layout, index.json listing `entries`, and every blob (except those in `omit`). */
  async write(entries: readonly Descriptor[], options: { omit?: readonly string[]; layoutVersion?: string } = {}): Promise<string> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: options.layoutVersion ?? '1.0.0' }));
    await writeFile(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: entries }));
    for (const [digest, bytes] of this.blobs) {
      if (options.omit?.includes(digest)) continue;
      await writeFile(this.blobPath(digest), bytes);
    }
    return this.dir;
  }

  blobPath(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
