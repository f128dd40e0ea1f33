/**
 * Registry JSON: manifests and indexes (parsers), referrers answers and token-server answers (through the registry
 * client, with a fetch that serves the fuzzed body). OciError only; nothing fetched is trusted before it is checked.
 */
import fc from 'fast-check';
import { OciError, Registry, type FetchLike } from '../../../provider/src/oci/index.js';
import { parseManifest } from '../../../provider/src/oci/manifest.js';
import { checkable, mutatedBytes, mutatedJson, typedOnly, typedOnlyAsync, type FuzzTarget } from '../harness.js';

const typed = (e: unknown): boolean => e instanceof OciError;
const D = (c: string): string => `sha256:${c.repeat(64)}`;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const manifest = (): unknown => ({
  schemaVersion: 2,
  mediaType: MANIFEST,
  artifactType: 'application/vnd.cncf.notary.signature',
  config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: D('4'), size: 2 },
  layers: [{ mediaType: 'application/jose+json', digest: D('5'), size: 2048 }],
  subject: { mediaType: MANIFEST, digest: D('6'), size: 512 },
  annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '["ab"]' },
});
const index = (): unknown => ({ schemaVersion: 2, mediaType: INDEX, manifests: [{ mediaType: MANIFEST, digest: D('7'), size: 100, artifactType: 'application/vnd.cncf.notary.signature' }] });
const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v) ?? 'null');
const body = (valid: () => unknown): fc.Arbitrary<Uint8Array> =>
  fc.oneof(mutatedJson(valid).map(json), mutatedBytes(() => json(valid())), fc.jsonValue({ maxDepth: 3 }).map(json), fc.uint8Array({ maxLength: 128 }));

const SUBJECT = { mediaType: MANIFEST, digest: D('6'), size: 512 };

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** A registry whose every answer is `respond(url)`; a token realm on the same host answers the token requests. */
function registryServing(respond: (url: string) => Answer): Registry {
  const fetchLike = (async (url: string) => {
    const r = respond(url);
    return new Response(Buffer.from(r.body), { status: r.status, headers: r.headers });
  }) as unknown as FetchLike;
  return new Registry({ fetch: fetchLike, clock: () => new Date('2025-11-01T00:00:00Z'), retry: { retries: 0 }, plainHttpHosts: ['registry.fuzz'] });
}

export const registryJsonTarget: FuzzTarget = {
  name: 'registry-json',
  what: 'oci: manifest/index parsers; referrers answers and token answers served to the registry client',
  ciRuns: 150,
  property: () =>
    checkable(fc.asyncProperty(fc.nat(3), body(manifest), body(index), body(() => ({ token: 'abc', expires_in: 60, issued_at: '2025-11-01T00:00:00Z' })), async (kind, m, i, t) => {
      if (kind === 0) {
        typedOnly(typed, () => parseManifest(m, MANIFEST, 'fuzzed manifest'));
        typedOnly(typed, () => parseManifest(i, INDEX, 'fuzzed index'));
        return;
      }
      if (kind === 1) {
        const registry = registryServing(() => ({ status: 200, headers: { 'content-type': INDEX }, body: i }));
        await typedOnlyAsync(typed, () => registry.repository('registry.fuzz/app').referrers(SUBJECT));
        return;
      }
      const registry = registryServing((url): Answer =>
        url.includes('/token')
          ? { status: 200, headers: { 'content-type': 'application/json' }, body: t }
          : { status: 401, headers: { 'www-authenticate': 'Bearer realm="http://registry.fuzz/token",service="fuzz",scope="repository:app:pull"' }, body: new Uint8Array() },
      );
      await typedOnlyAsync(typed, () => registry.repository('registry.fuzz/app:v1').resolve());
    })),
};
