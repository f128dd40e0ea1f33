/**
 * What a registry client remembers per registry (referrers API support, authentication scheme) is bounded: image
 * references come from the cluster's pods, so a stream of made-up registry names must not grow it without end. The
 * least recently named registries are forgotten and re-learnt (one request) when named again.
 */
import assert from 'node:assert/strict';
import { MAX_REMEMBERED_REGISTRIES } from '../../../provider/src/oci/cache.js';
import { Registry, type FetchInit, type FetchResponse } from '../../../provider/src/oci/index.js';

const SUBJECT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 };

/** Every registry answers 404 to the referrers API and to the referrers tag: no API, no signatures. */
async function notFound(_url: string, _init: FetchInit): Promise<FetchResponse> {
  const body = new TextEncoder().encode('{"errors":[{"code":"MANIFEST_UNKNOWN"}]}');
  return {
    status: 404,
    headers: { get: (n: string) => (n.toLowerCase() === 'content-type' ? 'application/json' : null) },
    body: (async function* () {
      yield body;
    })(),
  };
}

describe('oci registry client: per-registry memory is bounded', () => {
  it(`remembers referrers API support for the ${MAX_REMEMBERED_REGISTRIES} most recently named registries only`, async function () {
    this.timeout(60_000);
    const registry = new Registry({ fetch: notFound, clock: () => new Date(0), cache: { ttlMs: 0 } });
    const host = (i: number): string => `r${i}.example`;
    for (let i = 0; i <= MAX_REMEMBERED_REGISTRIES; i++) assert.deepEqual(await registry.repository(`${host(i)}/app`).referrers(SUBJECT), []);
    assert.equal(registry.referrersSupport(host(MAX_REMEMBERED_REGISTRIES)), 'unsupported');
    assert.equal(registry.referrersSupport(host(1)), 'unsupported');
    assert.equal(registry.referrersSupport(host(0)), 'unknown', 'the least recently named registry was forgotten');
    assert.deepEqual(await registry.repository(`${host(0)}/app`).referrers(SUBJECT), []);
    assert.equal(registry.referrersSupport(host(0)), 'unsupported', 'and is learnt again when named');
  });
});
