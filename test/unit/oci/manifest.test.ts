import assert from 'node:assert/strict';
import { parseManifest } from '../../../provider/src/oci/manifest.js';
import { parseDigest, verifyContent } from '../../../provider/src/oci/digest.js';
import { signatureManifestForm } from '../../../provider/src/oci/signatureManifest.js';
import { OciError, type OciErrorCode } from '../../../provider/src/oci/index.js';
import { ARTIFACT_MANIFEST, EMPTY, NOTARY, OCI_INDEX, OCI_MANIFEST, sha256 } from './layoutBuilder.js';

const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';
const d = (mediaType: string, text = '{}') => ({ mediaType, digest: sha256(text), size: text.length });
const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

function throwsCode(fn: () => unknown, code: OciErrorCode, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OciError);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('oci manifest parsing', () => {
  it('parses an OCI 1.1 signature manifest into a frozen typed value', () => {
    const m = parseManifest(enc({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: NOTARY, config: d(EMPTY), layers: [d('application/jose+json', 'x')], subject: d(OCI_MANIFEST, 's') }), OCI_MANIFEST, 'm');
    assert.equal(m.kind, 'image');
    assert.ok(Object.isFrozen(m));
    assert.equal(signatureManifestForm(m), 'oci-1.1');
  });

  it('classifies the three signature forms and rejects look-alikes', () => {
    const img = (body: Record<string, unknown>) => parseManifest(enc({ schemaVersion: 2, layers: [], ...body }), OCI_MANIFEST, 'm');
    assert.equal(signatureManifestForm(img({ config: d(NOTARY) })), 'oci-1.0');
    assert.equal(signatureManifestForm(img({ artifactType: NOTARY, config: d('application/vnd.example') })), undefined);
    assert.equal(signatureManifestForm(img({ artifactType: 'application/spdx+json', config: d(NOTARY) })), undefined);
    const art = parseManifest(enc({ mediaType: ARTIFACT_MANIFEST, artifactType: NOTARY, blobs: [] }), ARTIFACT_MANIFEST, 'a');
    assert.equal(signatureManifestForm(art), 'artifact');
    const docker = parseManifest(enc({ schemaVersion: 2, mediaType: DOCKER, config: d(NOTARY), layers: [] }), DOCKER, 'd');
    assert.equal(signatureManifestForm(docker), undefined);
  });

  it('keeps a "__proto__" annotation as an ordinary key', () => {
    const m = parseManifest(enc('{"schemaVersion":2,"config":' + JSON.stringify(d(EMPTY)) + ',"layers":[],"annotations":{"__proto__":"x"}}'), OCI_MANIFEST, 'm');
    assert.equal(Object.getPrototypeOf(m.annotations), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(m.annotations, '__proto__')?.value, 'x');
  });

  const bad: ReadonlyArray<readonly [string, string | object, string, OciErrorCode, RegExp]> = [
    ['invalid UTF-8', '\u0000', OCI_MANIFEST, 'MANIFEST_INVALID', /not valid JSON/],
    ['an array', [], OCI_MANIFEST, 'MANIFEST_INVALID', /expected a JSON object/],
    ['schemaVersion missing', { config: d(EMPTY), layers: [] }, OCI_MANIFEST, 'MANIFEST_INVALID', /schemaVersion: expected 2/],
    ['layers not an array', { schemaVersion: 2, config: d(EMPTY), layers: {} }, OCI_MANIFEST, 'MANIFEST_INVALID', /layers: expected an array/],
    ['fractional size', { schemaVersion: 2, config: { ...d(EMPTY), size: 1.5 }, layers: [] }, OCI_MANIFEST, 'MANIFEST_INVALID', /config\.size/],
    ['annotation not a string', { schemaVersion: 2, config: d(EMPTY), layers: [], annotations: { a: 1 } }, OCI_MANIFEST, 'MANIFEST_INVALID', /annotations\["a"\]/],
    ['bad media type', { schemaVersion: 2, config: { ...d(EMPTY), mediaType: 'nope' }, layers: [] }, OCI_MANIFEST, 'MANIFEST_INVALID', /config\.mediaType/],
    ['Docker manifest without mediaType', { schemaVersion: 2, config: d(EMPTY), layers: [] }, DOCKER, 'MANIFEST_INVALID', /must name its media type/],
    ['index addressed as manifest', { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }, OCI_MANIFEST, 'MANIFEST_INVALID', /addressed as/],
    ['artifact manifest without artifactType', { mediaType: ARTIFACT_MANIFEST, blobs: [] }, ARTIFACT_MANIFEST, 'MANIFEST_INVALID', /artifactType/],
    ['unknown media type', {}, 'application/vnd.docker.distribution.manifest.v1+json', 'MANIFEST_UNSUPPORTED', /not a manifest type/],
  ];
  for (const [name, body, mediaType, code, message] of bad) {
    it(`rejects ${name}`, () => {
      const bytes = name === 'invalid UTF-8' ? new Uint8Array([0xff, 0xfe]) : enc(body);
      throwsCode(() => parseManifest(bytes, mediaType, 'manifest sha256:x'), code, name === 'invalid UTF-8' ? /not valid UTF-8/ : message);
    });
  }
});

describe('oci digests', () => {
  it('accepts sha256 and sha512 of exact length and checks content', () => {
    assert.deepEqual(parseDigest(sha256('x')), { algorithm: 'sha256', hex: sha256('x').slice(7) });
    assert.equal(parseDigest(`sha512:${'a'.repeat(128)}`).algorithm, 'sha512');
    verifyContent(enc('x'), { digest: sha256('x'), size: 1 }, 'blob');
    throwsCode(() => verifyContent(enc('y'), { digest: sha256('x'), size: 1 }, 'blob'), 'DIGEST_MISMATCH', /blob: content hashes to sha256:/);
    throwsCode(() => verifyContent(enc('xx'), { digest: sha256('x'), size: 1 }, 'blob'), 'SIZE_MISMATCH');
  });
  for (const bad of ['sha256:abc', `sha384:${'a'.repeat(96)}`, `SHA256:${'a'.repeat(64)}`, `sha256:${'g'.repeat(64)}`, 'sha256', '']) {
    it(`rejects digest "${bad.slice(0, 20)}"`, () => throwsCode(() => parseDigest(bad), 'DIGEST_INVALID'));
  }
});
