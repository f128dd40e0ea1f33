import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { createDevCertificate, ServerError, startServer, type RunningServer } from '../../../provider/src/server/index.js';
import { createKeyPair, issueCertificate, type IssuedCertificate } from '../../support/pki.js';
import { TempDirs } from '../verify/fixtures.js';
import { httpsCall } from './tlsClient.js';
import { writeAtomically } from '../../support/files.js';
import { certificateRequired, droppedAfterHandshake, protocolVersionRefused, untrustedServerCertificate } from '../../support/tlsFailures.js';
import { waitFor } from '../../support/waitFor.js';

const logger = pino({ level: 'silent' });
const NOW = new Date('2025-11-01T00:00:00Z');
let handled = 0;
const handler = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
  handled++;
  res.end('ok');
};
const wallClock = (): Date => new Date(Date.now());

async function clientPki(cn: string): Promise<{ root: IssuedCertificate; certPem: string; keyPem: string }> {
  const key = await createKeyPair('ec-p256');
  const now = Date.now();
  const root = await issueCertificate({ subject: `CN=${cn} root`, key, notBefore: new Date(now - 3600_000), notAfter: new Date(now + 86_400_000), basicConstraints: { ca: true }, keyUsages: ['keyCertSign'] });
  const leaf = await issueCertificate({
    subject: `CN=${cn} client`,
    key: await createKeyPair('ec-p256'),
    issuer: root,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 86_400_000),
    keyUsages: ['digitalSignature'],
    extendedKeyUsages: ['1.3.6.1.5.5.7.3.2'],
  });
  return { root, certPem: leaf.pem, keyPem: leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

describe('server/listen: HTTPS, TLS 1.3, mTLS, certificate reload, metrics listener', function () {
  const dirs = new TempDirs();
  const running: RunningServer[] = [];
  const start = async (s: Partial<Parameters<typeof startServer>[0]> = {}): Promise<RunningServer> => {
    const r = await startServer({ handler, address: '127.0.0.1:0', logger, clock: wallClock, reloadDelayMs: 50, ...s });
    running.push(r);
    return r;
  };
  afterEach(async function () {
    await Promise.all(running.splice(0).map((r) => r.close()));
  });
  after(() => dirs.cleanup());

  it('generates a development certificate whose base64 CA bundle a client can trust, over TLS 1.3 only', async function () {
    const s = await start();
    assert.ok(s.devCertificate);
    const caPem = Buffer.from(s.devCertificate.caBundle, 'base64').toString('utf8');
    assert.equal(caPem, s.devCertificate.caPem);
    const res = await httpsCall(s.url, { ca: caPem });
    assert.equal(res.status, 200);
    assert.equal(res.protocol, 'TLSv1.3');
    await assert.rejects(httpsCall(s.url, { ca: caPem, maxVersion: 'TLSv1.2' }), protocolVersionRefused);
    await assert.rejects(httpsCall(s.url), untrustedServerCertificate, 'an untrusting client refuses it');
  });

  it('development certificates name localhost, loopback IPs and extra hosts, issued by a CA', function () {
    const dev = createDevCertificate({ now: NOW, hosts: ['signgate.gatekeeper-system.svc'] });
    const leaf = new X509Certificate(dev.certPem);
    const ca = new X509Certificate(dev.caPem);
    assert.match(leaf.subjectAltName ?? '', /DNS:localhost.*IP Address:127.0.0.1.*DNS:signgate.gatekeeper-system.svc/);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    assert.equal(ca.ca, true);
    assert.equal(leaf.validFrom, 'Oct 31 23:00:00 2025 GMT');
  });

  it('with a client CA, accepts clients it issued and refuses others and certificate-less ones', async function () {
    const dir = await dirs.make();
    const gatekeeper = await clientPki('gatekeeper');
    const stranger = await clientPki('stranger');
    await writeFile(join(dir, 'client-ca.pem'), gatekeeper.root.pem);
    const s = await start({ clientCaFile: join(dir, 'client-ca.pem') });
    const ca = s.devCertificate?.caPem ?? '';
    assert.equal((await httpsCall(s.url, { ca, cert: gatekeeper.certPem, key: gatekeeper.keyPem })).status, 200);
    const handledBefore = handled;
    await assert.rejects(httpsCall(s.url, { ca }), certificateRequired);
    await assert.rejects(httpsCall(s.url, { ca, cert: stranger.certPem, key: stranger.keyPem }), droppedAfterHandshake);
    assert.equal(handled, handledBefore, 'no refused client reached the request handler');
  });

  it('re-reads certificate and key when their files change, without a restart; a broken pair keeps the old one', async function () {
    const dir = await dirs.make();
    const first = createDevCertificate({ now: new Date(Date.now()) });
    const second = createDevCertificate({ now: new Date(Date.now()) });
    const certFile = join(dir, 'tls.crt');
    const keyFile = join(dir, 'tls.key');
    await writeFile(certFile, first.certPem);
    await writeFile(keyFile, first.keyPem);
    const s = await start({ tls: { certFile, keyFile } });
    assert.equal(s.devCertificate, undefined);
    const fp1 = (await httpsCall(s.url, { ca: first.caPem })).fingerprint;
    // replace both files atomically, as a Secret update does
    await writeFile(join(dir, 'tls.crt.new'), second.certPem);
    await writeFile(join(dir, 'tls.key.new'), second.keyPem);
    await rename(join(dir, 'tls.key.new'), keyFile);
    await rename(join(dir, 'tls.crt.new'), certFile);
    await waitFor(async () => (await httpsCall(s.url, { ca: second.caPem })).fingerprint !== undefined, 'the new certificate to be served');
    assert.notEqual((await httpsCall(s.url, { ca: second.caPem })).fingerprint, fp1);
    // a key that does not match: the reload fails and the second certificate keeps serving
    await writeAtomically(keyFile, first.keyPem);
    await assert.rejects(s.reloadTls(), (e: unknown) => e instanceof ServerError && e.code === 'TLS_INVALID');
    assert.equal((await httpsCall(s.url, { ca: second.caPem })).status, 200);
  });

  it('refuses to start on unreadable TLS files and bad addresses', async function () {
    await assert.rejects(start({ tls: { certFile: '/nonexistent/tls.crt', keyFile: '/nonexistent/tls.key' } }), (e: unknown) => e instanceof ServerError && e.code === 'TLS_INVALID' && /cannot read the TLS certificate/.test(e.message));
    await assert.rejects(start({ address: 'localhost' }), (e: unknown) => e instanceof ServerError && e.code === 'SETTINGS_INVALID');
  });

  it('serves metrics on a separate plain-HTTP listener', async function () {
    const s = await start({ metricsAddress: '127.0.0.1:0', metricsHandler: (_q, r) => r.end('signgate_inflight_keys 0\n') });
    assert.ok(s.metricsUrl?.startsWith('http://127.0.0.1:'));
    const text = await (await fetch(`${s.metricsUrl}/metrics`)).text();
    assert.match(text, /signgate_inflight_keys/);
  });
});
