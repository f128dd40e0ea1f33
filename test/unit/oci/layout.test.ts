import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OciError, openOciLayout, type Descriptor, type OciErrorCode } from '../../../provider/src/oci/index.js';
import { JWS, LayoutBuilder, OCI_INDEX, OCI_MANIFEST, sha256, NOTARY, EMPTY } from './layoutBuilder.js';
import { requireShared } from '../../support/requirements.js';

const SHARED_LAYOUTS = join(dirname(fileURLToPath(import.meta.url)), '../../../../shared/vectors/notation/files/layouts');
const E2E_SUBJECT: Descriptor = {
  mediaType: OCI_MANIFEST,
  digest: 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9',
  size: 517,
};

async function rejects(p: Promise<unknown>, code: OciErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof OciError, `expected OciError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('oci layout: reference vectors in ../shared', function () {
  before(function () {
    requireShared(this, SHARED_LAYOUTS);
  });

  it('resolves tag v1 and the same digest to the e2e subject descriptor', async () => {
    const layout = await openOciLayout(join(SHARED_LAYOUTS, 'e2e-valid-signature'));
    const byTag = await layout.resolve('v1');
    assert.deepEqual([byTag.mediaType, byTag.digest, byTag.size], [E2E_SUBJECT.mediaType, E2E_SUBJECT.digest, E2E_SUBJECT.size]);
    const byDigest = await layout.resolve(E2E_SUBJECT.digest);
    assert.equal(byDigest.digest, E2E_SUBJECT.digest);
  });

  it('finds the OCI 1.0 form signature and reads its JWS envelope digest-checked', async () => {
    const layout = await openOciLayout(join(SHARED_LAYOUTS, 'e2e-valid-signature'));
    const sigs = await layout.signatureManifests(await layout.resolve('v1'));
    assert.equal(sigs.length, 1);
    const [sig] = sigs;
    assert.ok(sig);
    assert.equal(sig.form, 'oci-1.0');
    assert.equal(sig.descriptor.digest, 'sha256:90ceaff260d657d797c408ac73564a9c7bb9d86055877c2a811f0e63b8c6524f');
    assert.equal(sig.descriptor.artifactType, NOTARY);
    assert.equal(sig.blobs.length, 1);
    assert.equal(sig.blobs[0]?.mediaType, JWS);
    const envelope = await layout.fetchBlob(sig.blobs[0] as Descriptor, 1024 * 1024);
    assert.equal(envelope.byteLength, 2070);
    assert.equal(sha256(envelope), sig.blobs[0]?.digest);
    assert.ok(JSON.parse(new TextDecoder().decode(envelope)).signature);
  });

  it('reports a signature whose layer is not an envelope, as listed (integrity is the verifier\'s call)', async () => {
    const layout = await openOciLayout(join(SHARED_LAYOUTS, 'e2e-invalid-signature'));
    const sigs = await layout.signatureManifests(await layout.resolve('v1'));
    assert.deepEqual(sigs.map((s) => s.blobs.map((b) => b.mediaType)), [['application/vnd.oci.image.layer.v1.tar']]);
  });

  it('finds no signature for the unsigned e2e layout', async () => {
    const layout = await openOciLayout(join(SHARED_LAYOUTS, 'e2e'));
    assert.deepEqual(await layout.signatureManifests(await layout.resolve('v1')), []);
  });

  it('finds the legacy artifact-manifest signature of the historic layout', async () => {
    const layout = await openOciLayout(join(SHARED_LAYOUTS, 'historic-e2e-valid-signature'));
    const subject = await layout.resolve('v1');
    assert.equal(subject.mediaType, 'application/vnd.oci.artifact.manifest.v1+json');
    const sigs = await layout.signatureManifests(subject);
    assert.deepEqual(sigs.map((s) => [s.form, s.descriptor.digest, s.blobs.length]), [
      ['artifact', 'sha256:273243a7a64e9312761ca0aa8f43b6ba805e677a561558143b6e92981c487339', 1],
    ]);
  });

  it('finds the signature of an OCI 1.1 subject with an artifactType', async () => {
    const layout = await openOciLayout(join(SHARED_LAYOUTS, 'e2e-with-invalid-timestamped-signature'));
    const subject = await layout.resolve('v1');
    assert.equal(subject.artifactType, 'application/vnd.unknown.artifact.v1');
    const sigs = await layout.signatureManifests(subject);
    assert.equal(sigs.length, 1);
    assert.equal(sigs[0]?.form, 'oci-1.0');
  });

  it('opens every shared layout and finds exactly one signature for v1 in each signed one', async () => {
    for (const name of ['e2e-expired-signature', 'e2e-with-expired-cert', 'historic-e2e-expired-signature']) {
      const layout = await openOciLayout(join(SHARED_LAYOUTS, name));
      assert.equal((await layout.signatureManifests(await layout.resolve('v1'))).length, 1, name);
    }
  });
});

describe('oci layout: layouts built by the test', () => {
  let b: LayoutBuilder;
  beforeEach(async () => {
    b = await LayoutBuilder.create();
  });
  afterEach(async () => {
    await b.remove();
  });

  it('finds all three signature forms for one subject and ignores other artifacts', async () => {
    const subject = b.image();
    const s11 = b.signature(subject, 'oci-1.1', '{"a":1}');
    const s10 = b.signature(subject, 'oci-1.0', '{"a":2}');
    const sArt = b.signature(subject, 'artifact', '{"a":3}');
    const sbom = b.json({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/spdx+json', config: b.blob('{}', EMPTY), layers: [], subject }, OCI_MANIFEST);
    const otherSubject = b.signature(b.image('other'), 'oci-1.1', '{"a":4}');
    await b.write([b.tagged(subject, 'v1'), s11.manifest, s10.manifest, sArt.manifest, sbom, otherSubject.manifest]);
    const layout = await openOciLayout(b.dir);
    const sigs = await layout.signatureManifests(await layout.resolve('v1'));
    assert.deepEqual(sigs.map((s) => [s.form, s.descriptor.digest]), [
      ['oci-1.1', s11.manifest.digest],
      ['oci-1.0', s10.manifest.digest],
      ['artifact', sArt.manifest.digest],
    ]);
    assert.deepEqual(sigs[0]?.blobs, [s11.envelope]);
  });

  it('requires the subject to match in mediaType, digest and size', async () => {
    const subject = b.image();
    const wrongSize = b.signature({ ...subject, size: subject.size + 1 }, 'oci-1.1', '{"s":1}');
    const wrongType = b.signature({ ...subject, mediaType: OCI_INDEX }, 'oci-1.1', '{"s":2}');
    await b.write([b.tagged(subject, 'v1'), wrongSize.manifest, wrongType.manifest]);
    const layout = await openOciLayout(b.dir);
    assert.deepEqual(await layout.signatureManifests(await layout.resolve('v1')), []);
  });

  it('finds signatures listed only in nested indexes, once each', async () => {
    const subject = b.image();
    const deep = b.signature(subject, 'oci-1.0', '{"deep":1}');
    const inner = b.index([deep.manifest]);
    const outer = b.index([inner, deep.manifest]);
    await b.write([b.tagged(subject, 'v1'), outer]);
    const layout = await openOciLayout(b.dir);
    const sigs = await layout.signatureManifests(subject);
    assert.deepEqual(sigs.map((s) => s.descriptor.digest), [deep.manifest.digest]);
  });

  it('does not need the sha256-<hex> tag index: a signature missing from it is still found', async () => {
    const subject = b.image();
    const one = b.signature(subject, 'oci-1.0', '{"n":1}');
    const two = b.signature(subject, 'oci-1.0', '{"n":2}');
    const tagIndex = b.tagged(b.index([one.manifest]), `sha256-${subject.digest.slice(7)}`);
    await b.write([b.tagged(subject, 'v1'), one.manifest, two.manifest, tagIndex]);
    const layout = await openOciLayout(b.dir);
    assert.equal((await layout.signatureManifests(subject)).length, 2);
  });

  it('rejects indexes nested deeper than 8', async () => {
    const subject = b.image();
    let d = b.signature(subject, 'oci-1.0').manifest;
    for (let i = 0; i < 10; i++) d = b.index([d]);
    await b.write([b.tagged(subject, 'v1'), d]);
    await rejects((await openOciLayout(b.dir)).signatureManifests(subject), 'LAYOUT_INVALID', /nested more than 8 deep/);
  });

  it('fails with DIGEST_MISMATCH when a blob was tampered with (same size)', async () => {
    const subject = b.image();
    const sig = b.signature(subject, 'oci-1.0', '{"payload":"good"}');
    await b.write([b.tagged(subject, 'v1'), sig.manifest]);
    await writeFile(b.blobPath(sig.envelope.digest), '{"payload":"evil"}');
    const layout = await openOciLayout(b.dir);
    await rejects(layout.fetchBlob(sig.envelope, 1024), 'DIGEST_MISMATCH', /tampered/);
  });

  it('fails with DIGEST_MISMATCH when a signature manifest was tampered with', async () => {
    const subject = b.image();
    const sig = b.signature(subject, 'oci-1.0');
    await b.write([b.tagged(subject, 'v1'), sig.manifest]);
    const bytes = await readFile(b.blobPath(sig.manifest.digest));
    await writeFile(b.blobPath(sig.manifest.digest), Buffer.from(bytes.toString('utf8').replace('ab', 'cd')));
    await rejects((await openOciLayout(b.dir)).signatureManifests(subject), 'DIGEST_MISMATCH', new RegExp(sig.manifest.digest));
  });

  it('fails with SIZE_MISMATCH when a blob has another length than its descriptor says', async () => {
    const subject = b.image();
    const sig = b.signature(subject, 'oci-1.0', '{"payload":"good"}');
    await b.write([b.tagged(subject, 'v1'), sig.manifest]);
    await writeFile(b.blobPath(sig.envelope.digest), '{"payload":"good"} ');
    await rejects((await openOciLayout(b.dir)).fetchBlob(sig.envelope, 1024), 'SIZE_MISMATCH');
  });

  it('fails with SIZE_LIMIT_EXCEEDED before reading a blob larger than maxBytes', async () => {
    const subject = b.image();
    const sig = b.signature(subject, 'oci-1.0', `{"p":"${'x'.repeat(2000)}"}`);
    await b.write([b.tagged(subject, 'v1'), sig.manifest]);
    await rejects((await openOciLayout(b.dir)).fetchBlob(sig.envelope, 1024), 'SIZE_LIMIT_EXCEEDED', /1024-byte limit/);
  });

  it('fails with BLOB_NOT_FOUND for a missing manifest or blob', async () => {
    const subject = b.image();
    const sig = b.signature(subject, 'oci-1.0');
    await b.write([b.tagged(subject, 'v1'), sig.manifest], { omit: [sig.manifest.digest, sig.envelope.digest] });
    const layout = await openOciLayout(b.dir);
    await rejects(layout.signatureManifests(subject), 'BLOB_NOT_FOUND', /is missing/);
    await rejects(layout.fetchBlob(sig.envelope, 1024), 'BLOB_NOT_FOUND');
  });

  it('fails with BLOB_NOT_FOUND when the tagged manifest is missing', async () => {
    const subject = b.image();
    await b.write([b.tagged(subject, 'v1')], { omit: [subject.digest] });
    await rejects((await openOciLayout(b.dir)).resolve('v1'), 'BLOB_NOT_FOUND');
  });

  it('rejects a manifest whose own mediaType differs from its descriptor', async () => {
    const subject = b.image();
    await b.write([b.tagged({ ...subject, mediaType: OCI_INDEX }, 'v1')]);
    await rejects((await openOciLayout(b.dir)).resolve('v1'), 'MANIFEST_INVALID', /addressed as "application\/vnd\.oci\.image\.index\.v1\+json"/);
  });

  it('reports unknown and ambiguous tags, and unlisted digests', async () => {
    const one = b.image('one');
    const two = b.image('two');
    await b.write([b.tagged(one, 'v1'), b.tagged(one, 'dup'), b.tagged(two, 'dup')]);
    const layout = await openOciLayout(b.dir);
    await rejects(layout.resolve('v2'), 'TAG_NOT_FOUND', /"v2" is not listed in index\.json \(tags listed: v1, dup, dup\)/);
    await rejects(layout.resolve('dup'), 'TAG_AMBIGUOUS', /2 different manifests/);
    await rejects(layout.resolve(`sha256:${'0'.repeat(64)}`), 'TAG_NOT_FOUND');
    assert.equal((await layout.resolve(two.digest)).digest, two.digest);
  });

  describe('refuses broken layouts when opening', () => {
    it('missing folder -> LAYOUT_NOT_FOUND', async () => {
      await rejects(openOciLayout(join(b.dir, 'nope')), 'LAYOUT_NOT_FOUND', /does not exist/);
    });
    it('missing oci-layout file -> LAYOUT_NOT_FOUND', async () => {
      await rejects(openOciLayout(b.dir), 'LAYOUT_NOT_FOUND', /oci-layout file/);
    });
    it('unsupported layout version -> LAYOUT_INVALID', async () => {
      await b.write([], { layoutVersion: '2.0.0' });
      await rejects(openOciLayout(b.dir), 'LAYOUT_INVALID', /imageLayoutVersion is "2\.0\.0"/);
    });
    const badIndexes: ReadonlyArray<readonly [string, string, RegExp]> = [
      ['not JSON', '{"schemaVersion":2,', /not valid JSON/],
      ['schemaVersion 1', '{"schemaVersion":1,"manifests":[]}', /schemaVersion: expected 2/],
      ['manifests missing', '{"schemaVersion":2}', /manifests: expected an array/],
      ['bad digest in an entry', `{"schemaVersion":2,"manifests":[{"mediaType":"${OCI_MANIFEST}","digest":"sha256:xyz","size":1}]}`, /manifests\[0\]\.digest/],
      ['negative size', `{"schemaVersion":2,"manifests":[{"mediaType":"${OCI_MANIFEST}","digest":"${sha256('')}","size":-1}]}`, /manifests\[0\]\.size/],
    ];
    for (const [name, text, message] of badIndexes) {
      it(`index.json ${name} -> LAYOUT_INVALID`, async () => {
        await b.write([]);
        await writeFile(join(b.dir, 'index.json'), text);
        await rejects(openOciLayout(b.dir), 'LAYOUT_INVALID', message);
      });
    }
    it('index.json missing -> LAYOUT_INVALID', async () => {
      await b.write([]);
      await writeFile(join(b.dir, 'index.json'), '');
      await rejects(openOciLayout(b.dir), 'LAYOUT_INVALID');
    });
  });
});
