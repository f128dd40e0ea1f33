/** Writes OCI image layouts for tests and the demo: blobs by digest, image manifests, Notation signature manifests. */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export const MT = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  empty: 'application/vnd.oci.empty.v1+json',
  signature: 'application/vnd.cncf.notary.signature',
} as const;

export class LayoutWriter {
  private readonly entries: Desc[] = [];
  constructor(readonly dir: string) {}

  async init(): Promise<this> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    return this;
  }

  async blob(mediaType: string, bytes: Uint8Array | string): Promise<Desc> {
    const buf = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes);
    const hex = createHash('sha256').update(buf).digest('hex');
    await writeFile(join(this.dir, 'blobs', 'sha256', hex), buf);
    return { mediaType, digest: `sha256:${hex}`, size: buf.byteLength };
  }

  /** A small image manifest with one config and one layer; listed in index.json under `tag`. */
  async image(tag: string, content = 'hello signgate'): Promise<Desc> {
    const config = await this.blob(MT.config, JSON.stringify({ architecture: 'amd64', os: 'linux' }));
    const layer = await this.blob(MT.layer, content);
    const manifest = await this.blob(MT.manifest, JSON.stringify({ schemaVersion: 2, mediaType: MT.manifest, config, layers: [layer] }));
    const d = { ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } };
    this.entries.push(d);
    return manifest;
  }

  /** A Notation signature manifest in the OCI 1.1 form referring to `subject`, with the envelope as its layer. */
  async signature(subject: Desc, envelopeMediaType: string, envelope: Uint8Array): Promise<Desc> {
    const config = await this.blob(MT.empty, '{}');
    const layer = await this.blob(envelopeMediaType, envelope);
    const manifest = await this.blob(
      MT.manifest,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MT.manifest,
        artifactType: MT.signature,
        config,
        layers: [layer],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '[]' },
      }),
    );
    this.entries.push({ ...manifest, artifactType: MT.signature });
    return manifest;
  }

  async writeIndex(): Promise<void> {
    await writeFile(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: this.entries }));
  }
}
