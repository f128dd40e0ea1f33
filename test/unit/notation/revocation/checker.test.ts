/**
 * The revocation checker against real services on loopback: `openssl ca` CRLs served over HTTP and `openssl ocsp`
 * responders. Certificates, revocations and CRLs are made per run; the clock is the real time (openssl stamps its
 * answers with it) or a fixed offset from it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRevocationChecker,
  createRevocationFetch,
  openCrlDirectory,
  parseCrlFile,
  type RevocationCheckerOptions,
} from '../../../../provider/src/notation/index.js';
import { NotationError } from '../../../../provider/src/notation/errors.js';
import { parseCertificate, type Certificate } from '../../../../provider/src/notation/x509/index.js';
import { createRevocationPki, type IssuedCert, type RevocationPki } from '../../../support/revocation.js';
import { requireComponent } from '../../../support/requirements.js';

const HOUR = 3600_000;

describe('notation/revocation: checker with openssl CRLs and OCSP responders', function () {
  this.timeout(60_000);
  let pki: RevocationPki;
  const leaves: Record<string, IssuedCert> = {};

  before(async function () {
    requireComponent(this, 'openssl');
    pki = await createRevocationPki();
    const leaf = (name: string, endpoints?: { ocsp?: boolean; crl?: boolean }): Promise<IssuedCert> =>
      pki.intermediate.issue(name, `/C=US/ST=WA/O=signgate/CN=${name}`, 'leaf', endpoints);
    for (const name of ['good', 'revoked', 'compromised', 'held']) leaves[name] = await leaf(name);
    for (const name of ['crlGood', 'crlRevoked']) leaves[name] = await leaf(name, { crl: true });
    for (const name of ['ocspOnly', 'ocspUnknown']) leaves[name] = await leaf(name, { ocsp: true });
    leaves.unknownWithCrl = await leaf('unknownWithCrl');
    leaves.plain = await leaf('plain', {});
    await pki.intermediate.revoke(leaves.revoked as IssuedCert, { reason: 'keyCompromise' });
    await pki.intermediate.revoke(leaves.crlRevoked as IssuedCert, { reason: 'superseded' });
    await pki.intermediate.revoke(leaves.compromised as IssuedCert, { compromiseTime: new Date(Date.now() - HOUR) });
    await pki.intermediate.revoke(leaves.held as IssuedCert, { reason: 'certificateHold' });
    await pki.intermediate.forget(leaves.ocspUnknown as IssuedCert);
    await pki.intermediate.forget(leaves.unknownWithCrl as IssuedCert);
    await pki.publishCrls();
    await pki.startResponders();
  });
  after(async () => pki?.close());

  const chainOf = (leaf: IssuedCert): Certificate[] => pki.chainFor(leaf).map((der) => parseCertificate(der));
  const checker = (o: Partial<RevocationCheckerOptions> = {}) =>
    createRevocationChecker({ clock: () => new Date(), fetch: createRevocationFetch(fetch), ...o });

  it('good: the leaf by its OCSP responder, the intermediate by the root\'s, the root not checked', async () => {
    const results = await checker().checkChain(chainOf(leaves.good as IssuedCert));
    assert.deepEqual(results.map((r) => r.status), ['ok', 'ok', 'nonRevokable']);
    assert.equal(results[0]?.servers[0]?.method, 'ocsp');
    assert.match(results[0]?.servers[0]?.server ?? '', /\/ocsp\/intermediate$/);
    assert.match(results[1]?.servers[0]?.server ?? '', /\/ocsp\/root$/);
    assert.ok((results[0]?.servers[0]?.validUntil?.getTime() ?? 0) > Date.now(), 'an OCSP answer carries its nextUpdate');
  });

  it('revoked leaf (OCSP): revoked, with its time and reason', async () => {
    const [leaf] = await checker().checkChain(chainOf(leaves.revoked as IssuedCert));
    assert.equal(leaf?.status, 'revoked');
    assert.equal(leaf?.servers[0]?.method, 'ocsp');
    assert.equal(leaf?.servers[0]?.reason, 'keyCompromise');
    assert.ok(leaf?.servers[0]?.revocationTime instanceof Date);
  });

  it('certificateHold counts as revoked', async () => {
    const [leaf] = await checker().checkChain(chainOf(leaves.held as IssuedCert));
    assert.equal(leaf?.status, 'revoked');
    assert.equal(leaf?.servers[0]?.reason, 'certificateHold');
  });

  it('CRL only: good, and revoked with its reason', async () => {
    const [good] = await checker().checkChain(chainOf(leaves.crlGood as IssuedCert));
    assert.equal(good?.status, 'ok');
    assert.equal(good?.servers[0]?.method, 'crl');
    const [revoked] = await checker().checkChain(chainOf(leaves.crlRevoked as IssuedCert));
    assert.equal(revoked?.status, 'revoked');
    assert.equal(revoked?.servers[0]?.reason, 'superseded');
  });

  it('OCSP "unknown" falls back to the CRL; without a CRL the status is unknown', async () => {
    const [fallback] = await checker().checkChain(chainOf(leaves.unknownWithCrl as IssuedCert));
    assert.equal(fallback?.status, 'ok');
    assert.deepEqual(fallback?.servers.map((s) => `${s.method}:${s.status}`), ['ocsp:unknown', 'crl:ok']);
    const [unknown] = await checker().checkChain(chainOf(leaves.ocspUnknown as IssuedCert));
    assert.equal(unknown?.status, 'unknown');
    assert.match(unknown?.servers[0]?.error ?? '', /OCSP status unknown/);
  });

  it('the invalidity date decides for a signature made before the key was compromised (OCSP and CRL)', async () => {
    const chain = chainOf(leaves.compromised as IssuedCert);
    const before = await checker().checkChain(chain, { signingTime: new Date(Date.now() - 2 * HOUR) });
    assert.equal(before[0]?.status, 'ok');
    const after = await checker().checkChain(chain, { signingTime: new Date(Date.now() - HOUR / 2) });
    assert.equal(after[0]?.status, 'revoked');
    const none = await checker().checkChain(chain);
    assert.equal(none[0]?.status, 'revoked', 'without an authentic signing time a revoked certificate is revoked');
    const crl = parseCrlFile(pki.server.crls.get('intermediate') as Uint8Array, 'intermediate.crl');
    const offline = createRevocationChecker({ clock: () => new Date() });
    assert.equal((await offline.checkChain(chain, { crls: crl, signingTime: new Date(Date.now() - 2 * HOUR) }))[0]?.status, 'ok');
    assert.equal((await offline.checkChain(chain, { crls: crl, signingTime: new Date(Date.now() - HOUR / 2) }))[0]?.status, 'revoked');
  });

  it('a certificate without OCSP or CRL endpoints is not checked (nonRevokable)', async () => {
    const results = await checker().checkChain(chainOf(leaves.plain as IssuedCert));
    assert.equal(results[0]?.status, 'nonRevokable');
    assert.deepEqual(results[0]?.servers, []);
  });

  it('responder down and no CRL: unknown, naming the responder and the failure', async () => {
    const port = pki.server.responders.get('intermediate');
    pki.server.responders.delete('intermediate');
    try {
      const [leaf] = await checker().checkChain(chainOf(leaves.ocspOnly as IssuedCert));
      assert.equal(leaf?.status, 'unknown');
      assert.match(leaf?.servers[0]?.error ?? '', /request failed: HTTP status 503/);
      // with a CRL to fall back on, the status is decided by the CRL
      const [withCrl] = await checker().checkChain(chainOf(leaves.good as IssuedCert));
      assert.equal(withCrl?.status, 'ok');
      assert.deepEqual(withCrl?.servers.map((s) => `${s.method}:${s.status}`), ['ocsp:unknown', 'crl:ok']);
    } finally {
      pki.server.responders.set('intermediate', port as number);
    }
  });

  it('an expired CRL is "could not be determined", never good', async () => {
    const crl = await pki.intermediate.crl({ hours: 1 });
    const saved = pki.server.crls.get('intermediate') as Uint8Array;
    pki.server.crls.set('intermediate', crl);
    try {
      const later = checker({ clock: () => new Date(Date.now() + 2 * HOUR) });
      const [leaf] = await later.checkChain(chainOf(leaves.crlGood as IssuedCert));
      assert.equal(leaf?.status, 'unknown');
      assert.match(leaf?.servers[0]?.error ?? '', /expired: its nextUpdate .* has passed/);
    } finally {
      pki.server.crls.set('intermediate', saved);
    }
  });

  it('a CRL signed by another key under the issuer\'s name is rejected', async () => {
    const forged = await pki.intermediate.crl({ signer: pki.impostor });
    const saved = pki.server.crls.get('intermediate') as Uint8Array;
    pki.server.crls.set('intermediate', forged);
    try {
      const [leaf] = await checker().checkChain(chainOf(leaves.crlRevoked as IssuedCert));
      assert.equal(leaf?.status, 'unknown');
      assert.match(leaf?.servers[0]?.error ?? '', /not signed by the CA "C=US,ST=WA,O=signgate,CN=revocation test intermediate"/);
    } finally {
      pki.server.crls.set('intermediate', saved);
    }
  });

  it('an OCSP answer signed by an unauthorized key is rejected; a delegated responder is accepted', async () => {
    const delegated = await pki.intermediate.issue('responder', '/C=US/ST=WA/O=signgate/CN=ocsp responder', 'ocsp');
    await pki.startResponders({ intermediate: pki.impostor.cert });
    try {
      const [leaf] = await checker().checkChain(chainOf(leaves.ocspOnly as IssuedCert));
      assert.equal(leaf?.status, 'unknown');
      assert.match(leaf?.servers[0]?.error ?? '', /not signed by an authorized responder/);
      await pki.startResponders({ intermediate: delegated });
      const [ok] = await checker().checkChain(chainOf(leaves.ocspOnly as IssuedCert));
      assert.equal(ok?.status, 'ok');
    } finally {
      await pki.startResponders();
    }
  });

  it('caches OCSP answers and CRLs until nextUpdate and runs identical fetches once', async () => {
    let now = Date.now();
    const c = checker({ clock: () => new Date(now) });
    const chain = chainOf(leaves.good as IssuedCert);
    const crlChain = chainOf(leaves.crlGood as IssuedCert);
    const start = { ...pki.server.hits };
    await Promise.all([c.checkChain(chain), c.checkChain(chain), c.checkChain(crlChain), c.checkChain(crlChain)]);
    assert.equal(pki.server.hits.ocsp - start.ocsp, 2, 'one OCSP request per certificate (leaf and intermediate)');
    assert.equal(pki.server.hits.crl - start.crl, 1, 'one CRL download for two concurrent checks');
    await c.checkChain(chain);
    await c.checkChain(crlChain);
    assert.equal(pki.server.hits.ocsp - start.ocsp, 2, 'answers served from the cache');
    assert.equal(pki.server.hits.crl - start.crl, 1);
    now += 2 * HOUR; // past the OCSP nextUpdate (60 minutes), before the CRLs' (24 hours)
    const later = await c.checkChain(chain);
    assert.equal(pki.server.hits.ocsp - start.ocsp, 4, 'expired OCSP answers are not reused: both responders are asked again');
    // openssl stamps its new answers with the real time, so at the advanced clock they are stale: the CRLs decide
    assert.deepEqual(later.map((r) => r.status), ['ok', 'ok', 'nonRevokable']);
    assert.deepEqual(later[0]?.servers.map((s) => `${s.method}:${s.status}`), ['ocsp:unknown', 'crl:ok']);
    assert.equal(pki.server.hits.crl - start.crl, 2, 'the cached intermediate CRL is reused, the root CRL is downloaded once');
  });

  it('keeps cached CRLs within a byte bound: a CRL over it decides its check and is downloaded again next time', async () => {
    const crlChain = chainOf(leaves.crlGood as IssuedCert);
    const bounded = checker({ maxCachedCrlBytes: 1024 });
    const start = pki.server.hits.crl;
    const first = await bounded.checkChain(crlChain);
    assert.deepEqual(first.map((r) => r.status), ['ok', 'ok', 'nonRevokable'], 'the CRL over the bound still decides');
    const perCheck = pki.server.hits.crl - start;
    assert.ok(perCheck >= 1);
    await bounded.checkChain(crlChain);
    assert.equal(pki.server.hits.crl - start, 2 * perCheck, 'nothing was kept: every CRL downloaded again');
    const roomy = checker();
    const before = pki.server.hits.crl;
    await roomy.checkChain(crlChain);
    await roomy.checkChain(crlChain);
    assert.equal(pki.server.hits.crl - before, perCheck, 'under the default bound the CRLs are kept');
  });

  it('air-gapped: supplied CRLs decide with no network at all; a stale one does not', async () => {
    const offline = createRevocationChecker({ clock: () => new Date() });
    const crls = [
      ...parseCrlFile(pki.server.crls.get('intermediate') as Uint8Array, 'intermediate.crl'),
      ...parseCrlFile(pki.server.crls.get('root') as Uint8Array, 'root.crl'),
    ];
    const good = await offline.checkChain(chainOf(leaves.good as IssuedCert), { crls });
    assert.deepEqual(good.map((r) => r.status), ['ok', 'ok', 'nonRevokable']);
    assert.equal(good[0]?.servers[0]?.server, 'file intermediate.crl');
    const revoked = await offline.checkChain(chainOf(leaves.revoked as IssuedCert), { crls });
    assert.equal(revoked[0]?.status, 'revoked');
    const noCrl = await offline.checkChain(chainOf(leaves.good as IssuedCert));
    assert.equal(noCrl[0]?.status, 'unknown');
    assert.match(noCrl[0]?.servers[0]?.error ?? '', /offline/);
    const stale = createRevocationChecker({ clock: () => new Date(Date.now() + 48 * HOUR) });
    const r = await stale.checkChain(chainOf(leaves.good as IssuedCert), { crls });
    assert.equal(r[0]?.status, 'unknown');
    assert.match(r[0]?.servers[0]?.error ?? '', /expired/);
  });

  it('a CRL file that is not a CRL fails with REVOCATION_LIST_INVALID naming the file', () => {
    assert.throws(
      () => parseCrlFile(new TextEncoder().encode('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n'), '/etc/crls/bad.pem'),
      (err: unknown) => err instanceof NotationError && err.code === 'REVOCATION_LIST_INVALID' && /file \/etc\/crls\/bad\.pem/.test(err.message),
    );
  });

  it('the CRL directory: written atomically, read back and verified again; a damaged file is not trusted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'signgate-crl-cache-'));
    try {
      const online = checker({ crlDirectory: openCrlDirectory(dir) });
      assert.equal((await online.checkChain(chainOf(leaves.crlGood as IssuedCert)))[0]?.status, 'ok');
      const files = await readdir(dir);
      assert.equal(files.length, 1);
      assert.match(files[0] ?? '', /^[0-9a-f]{64}\.crl$/);
      const offline = createRevocationChecker({ clock: () => new Date(), crlDirectory: openCrlDirectory(dir) });
      assert.equal((await offline.checkChain(chainOf(leaves.crlRevoked as IssuedCert)))[0]?.status, 'revoked', 'read from disk');
      await writeFile(join(dir, files[0] as string), await pki.intermediate.crl({ signer: pki.impostor }));
      const fresh = createRevocationChecker({ clock: () => new Date(), crlDirectory: openCrlDirectory(dir) });
      const [leaf] = await fresh.checkChain(chainOf(leaves.crlRevoked as IssuedCert));
      assert.equal(leaf?.status, 'unknown', 'a forged file in the cache directory is not used');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a CRL larger than the cap is not read', async () => {
    const [leaf] = await checker({ maxCrlBytes: 64 }).checkChain(chainOf(leaves.crlGood as IssuedCert));
    assert.equal(leaf?.status, 'unknown');
    assert.match(leaf?.servers[0]?.error ?? '', /more than the 64-byte limit/);
  });
});
