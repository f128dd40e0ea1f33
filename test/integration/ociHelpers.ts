/** Shared helpers of the registry-client integration tests: a fixed clock, a client factory, image pushes. */
import assert from 'node:assert/strict';
import { OciError, createRegistry, type Descriptor, type OciErrorCode, type Registry, type RegistryOptions, type Repository } from '../../provider/src/oci/index.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const NOTARY = 'application/vnd.cncf.notary.signature';
export const JWS = 'application/jose+json';

/** A settable clock, starting at a fixed instant. */
export function testClock(start = '2025-11-01T00:00:00Z'): { now: Date; clock: () => Date; advance(ms: number): void } {
  const c = {
    now: new Date(start),
    clock: () => c.now,
    advance(ms: number) {
      c.now = new Date(c.now.getTime() + ms);
    },
  };
  return c;
}

export const instantSleep = (_ms: number, signal?: AbortSignal): Promise<void> =>
  signal?.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve();

export function client(options: Partial<RegistryOptions> & { clock: () => Date }): Promise<Registry> {
  return createRegistry({ fetch, sleep: instantSleep, ...options });
}

const enc = (s: string) => new TextEncoder().encode(s);

/** Pushes a small single-layer image and tags it; returns the manifest descriptor. */
export async function pushImage(repo: Repository, tag: string, text = `layer for ${tag}`): Promise<Descriptor> {
  const config = await repo.pushBlob(enc(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })), 'application/vnd.oci.image.config.v1+json');
  const layer = await repo.pushBlob(enc(text), 'application/vnd.oci.image.layer.v1.tar');
  const manifest = enc(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] }));
  return repo.pushManifest(manifest, OCI_MANIFEST, { tag });
}

/** An opaque stand-in for a signature envelope (the registry client never parses envelopes). */
export function fakeEnvelope(label: string): Uint8Array {
  return enc(JSON.stringify({ payload: Buffer.from(label).toString('base64url'), protected: 'e30', signature: 'AA' }));
}

/** Awaits `p`, asserts it rejects with an OciError of `code` (and `message`), and returns that error. */
export async function rejects(p: Promise<unknown>, code: OciErrorCode, message?: RegExp): Promise<OciError> {
  let caught: OciError | undefined;
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof OciError, `expected OciError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    caught = err;
    return true;
  });
  return caught as OciError;
}
