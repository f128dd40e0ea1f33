import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotationError, type NotationErrorCode } from '../../../../provider/src/notation/errors.js';
import { openTrustStore } from '../../../../provider/src/notation/truststore/index.js';
import type { TrustStoreType } from '../../../../provider/src/notation/types.js';
import { createKeyPair, createPki, issueCertificate, YEAR_MS, type Pki } from '../../../support/pki.js';
import { createTestTsa, type TestTsa } from '../../../support/tsa.js';
import { requireShared } from '../../../support/requirements.js';

const AT = new Date('2025-06-01T00:00:00Z');
const SHARED_STORES = fileURLToPath(new URL('../../../../../shared/vectors/notation/files/truststores', import.meta.url));

async function rejectsCode(p: Promise<unknown>, code: NotationErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof NotationError, `expected NotationError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('notation/truststore: openTrustStore on temporary folders', () => {
  let root: string;
  let pki: Pki;
  let tsa: TestTsa;

  before(async () => {
    pki = await createPki({ at: AT });
    tsa = await createTestTsa({ at: AT });
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'signgate-truststore-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function store(type: TrustStoreType, name: string, files: Record<string, string | Uint8Array>): Promise<string> {
    const dir = join(root, 'x509', type, name);
    await mkdir(dir, { recursive: true });
    for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content);
    return dir;
  }

  it('reads a multi-certificate PEM file and a DER file, in file-name order', async () => {
    await store('ca', 'acme', { 'b-root.cer': pki.root.der, 'a-chain.pem': `${pki.intermediate.pem}\n${pki.root.pem}` });
    const certs = await openTrustStore(root).getCertificates('ca', 'acme');
    assert.deepEqual(
      certs.map((c) => c.subject),
      [pki.intermediate, pki.root, pki.root].map((c) => c.cert.subject.split(', ').reverse().join(',')),
    );
  });

  it('accepts self-signed signing certificates (not CA) in ca and signingAuthority stores', async () => {
    const self = await issueCertificate({
      subject: 'CN=self,O=signgate,C=US',
      key: await createKeyPair('ec-p256', { shared: true }),
      notBefore: AT,
      notAfter: new Date(AT.getTime() + YEAR_MS),
      keyUsages: ['digitalSignature'],
    });
    await store('signingAuthority', 'self', { 'self.pem': self.pem });
    assert.equal((await openTrustStore(root).getCertificates('signingAuthority', 'self')).length, 1);
  });

  it('caches a store for its life: later changes on disk are not seen', async () => {
    const dir = await store('ca', 'cached', { 'root.pem': pki.root.pem });
    const ts = openTrustStore(root);
    const first = await ts.getCertificates('ca', 'cached');
    await writeFile(join(dir, 'int.pem'), pki.intermediate.pem);
    assert.equal(await ts.getCertificates('ca', 'cached'), first);
    assert.equal((await openTrustStore(root).getCertificates('ca', 'cached')).length, 2);
  });

  it('reports a missing store with TRUST_STORE_NOT_FOUND naming the path and how to create it', async () => {
    const expected = join(root, 'x509', 'tsa', 'absent');
    await rejectsCode(
      openTrustStore(root).getCertificates('tsa', 'absent'),
      'TRUST_STORE_NOT_FOUND',
      new RegExp(`"tsa:absent" does not exist: directory ${expected} is missing; create it \\(mkdir -p`),
    );
  });

  it('rejects invalid store names and types', async () => {
    const ts = openTrustStore(root);
    for (const name of ['a/b', '..', '.', '', 'with space', 'ü']) {
      await rejectsCode(ts.getCertificates('ca', name), 'TRUST_STORE_INVALID', /invalid name/);
    }
    await rejectsCode(ts.getCertificates('x509' as TrustStoreType, 'a'), 'TRUST_STORE_INVALID', /unsupported type/);
  });

  it('rejects sub-folders, symlinked files and a symlinked store', async () => {
    const dir = await store('ca', 'sub', { 'root.pem': pki.root.pem });
    await mkdir(join(dir, 'nested'));
    await rejectsCode(openTrustStore(root).getCertificates('ca', 'sub'), 'TRUST_STORE_INVALID', /"nested", which is a sub-folder/);

    const dir2 = await store('ca', 'link', { 'root.pem': pki.root.pem });
    await symlink(join(dir2, 'root.pem'), join(dir2, 'alias.pem'));
    await rejectsCode(openTrustStore(root).getCertificates('ca', 'link'), 'TRUST_STORE_INVALID', /"alias\.pem", which is a symbolic link/);

    await symlink(dir, join(root, 'x509', 'ca', 'linked'));
    await rejectsCode(openTrustStore(root).getCertificates('ca', 'linked'), 'TRUST_STORE_INVALID', /symbolic link/);
  });

  it('rejects an empty store and a file that is not a certificate', async () => {
    await store('ca', 'empty', {});
    await rejectsCode(openTrustStore(root).getCertificates('ca', 'empty'), 'TRUST_STORE_INVALID', /has no certificates/);
    await store('ca', 'junk', { 'notes.txt': 'hello' });
    await rejectsCode(openTrustStore(root).getCertificates('ca', 'junk'), 'TRUST_STORE_INVALID', /"notes\.txt" that cannot be read/);
  });

  it('rejects a certificate that is neither CA nor self-signed', async () => {
    await store('ca', 'leaf', { 'leaf.pem': pki.leaf.pem });
    await rejectsCode(
      openTrustStore(root).getCertificates('ca', 'leaf'),
      'TRUST_STORE_INVALID',
      /certificate "C=US,ST=WA,L=Seattle,O=signgate,CN=signgate test signer" in file "leaf\.pem" that is neither a CA/,
    );
  });

  it('requires tsa stores to hold root CA certificates only', async () => {
    await store('tsa', 'good', { 'root.pem': tsa.root.pem });
    assert.equal((await openTrustStore(root).getCertificates('tsa', 'good')).length, 1);
    await store('tsa', 'intermediate', { 'int.pem': tsa.intermediate.pem });
    await rejectsCode(openTrustStore(root).getCertificates('tsa', 'intermediate'), 'TRUST_STORE_INVALID', /not a root CA certificate/);
    const selfLeaf = await issueCertificate({
      subject: 'CN=self tsa,O=signgate,C=US',
      key: await createKeyPair('ec-p256', { shared: true }),
      notBefore: AT,
      notAfter: new Date(AT.getTime() + YEAR_MS),
      keyUsages: ['digitalSignature'],
      basicConstraints: { ca: false },
    });
    await store('tsa', 'selfleaf', { 'self.pem': selfLeaf.pem });
    await rejectsCode(openTrustStore(root).getCertificates('tsa', 'selfleaf'), 'TRUST_STORE_INVALID', /not a root CA certificate/);
  });

  it('reads a store again after a failure once it has been fixed', async () => {
    const ts = openTrustStore(root);
    await rejectsCode(ts.getCertificates('ca', 'later'), 'TRUST_STORE_NOT_FOUND');
    await store('ca', 'later', { 'root.pem': pki.root.pem });
    assert.equal((await ts.getCertificates('ca', 'later')).length, 1);
  });
});

describe('notation/truststore: the shared reference trust stores', function () {
  function skipWithoutVectors(ctx: Mocha.Context): void {
    requireShared(ctx, SHARED_STORES);
  }

  it('loads every named store of every trust store folder', async function () {
    if (!existsSync(SHARED_STORES)) return skipWithoutVectors(this);
    let loaded = 0;
    for (const folder of readdirSync(SHARED_STORES)) {
      const ts = openTrustStore(join(SHARED_STORES, folder));
      for (const type of ['ca', 'signingAuthority', 'tsa'] as const) {
        const typeDir = join(SHARED_STORES, folder, 'x509', type);
        if (!existsSync(typeDir)) continue;
        for (const name of readdirSync(typeDir)) {
          const certs = await ts.getCertificates(type, name);
          assert.ok(certs.length > 0, `${folder} ${type}:${name} is empty`);
          loaded++;
        }
      }
    }
    assert.ok(loaded >= 15, `only ${loaded} stores were loaded`);
  });

  it('reads the DER GlobalSign root next to its PEM twin', async function () {
    if (!existsSync(SHARED_STORES)) return skipWithoutVectors(this);
    const certs = await openTrustStore(join(SHARED_STORES, 'notation-go')).getCertificates('ca', 'valid-trust-store-2');
    assert.deepEqual(
      certs.map((c) => c.subject),
      ['CN=GlobalSign,O=GlobalSign,OU=GlobalSign Root CA - R3', 'CN=GlobalSign,O=GlobalSign,OU=GlobalSign Root CA - R3'],
    );
    assert.equal(certs[0]?.fingerprint256, certs[1]?.fingerprint256);
  });

  it('reads the GlobalSign TSA root as a tsa store', async function () {
    if (!existsSync(SHARED_STORES)) return skipWithoutVectors(this);
    const [root] = await openTrustStore(join(SHARED_STORES, 'notation-go')).getCertificates('tsa', 'test-timestamp');
    assert.equal(root?.subject, 'CN=GlobalSign,O=GlobalSign,OU=GlobalSign Root CA - R6');
    assert.ok(root?.isCA && root.selfSigned);
  });
});
