import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { LiveHost, PolicyTestError, builtinEngine, runSuites } from '../../../provider/src/policytest/index.js';
import { createKeyPair, issueCertificate, issueServerCertificate, YEAR_MS } from '../../support/pki.js';
import { untrustedServerCertificate } from '../../support/tlsFailures.js';
import { verifySuiteDir } from './fixtures.js';

const NOW = new Date('2026-01-15T12:00:00Z');

/**
 * LiveHost, the runner's external data client, against a scripted HTTPS stand-in that answers fixed items: what keys
 * it asks for, how answers reach the template, and TLS trust. The runner against the real provider (createApp,
 * the executor and docker-registry) is test/e2e/policy-live.test.ts.
 */
describe('policy test runner: the LiveHost client against a scripted HTTPS stand-in (the real provider: e2e/policy-live)', () => {
  let server: Server;
  let url: URL;
  let caPem: string;
  const requests: string[][] = [];

  before(async () => {
    const caKey = await createKeyPair('ec-p256', { shared: true });
    const ca = await issueCertificate({
      subject: 'CN=policytest CA', key: caKey, notBefore: new Date(NOW.getTime() - YEAR_MS), notAfter: new Date(NOW.getTime() + 50 * YEAR_MS),
      basicConstraints: { ca: true }, keyUsages: ['keyCertSign'],
    });
    const leaf = await issueServerCertificate({ hosts: ['127.0.0.1'], issuer: ca, notBefore: new Date(NOW.getTime() - YEAR_MS), notAfter: new Date(NOW.getTime() + 50 * YEAR_MS) });
    caPem = ca.pem;
    server = createServer({ cert: leaf.pem, key: leaf.keyPem }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        const keys = (JSON.parse(body) as { request: { keys: string[] } }).request.keys;
        requests.push(keys);
        const items = keys.map((key) => (key.includes('slow') ? { key, error: 'timed out after 4900ms' } : { key, value: { isSuccess: key.endsWith(':2.0') } }));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderResponse', response: { idempotent: true, items } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/ratify/gatekeeper/v1/verify`);
  });

  after(() => { server.close(); });

  it('asks the provider for the keys a case needs and evaluates with its answers', async () => {
    const dir = verifySuiteDir(`- name: live
  template: template.yaml
  constraint: constraint.yaml
  cases:
  - name: live-unsigned
    object: samples/pod-unsigned.yaml
    assertions:
    - violations: 1
      message: "app:1.0 is not signed"
    - violations: 1
      message: "cannot verify registry.example.com/slow:2.0: timed out"
  - name: live-signed
    object: samples/pod-signed.yaml
    assertions:
    - violations: no
`);
    const lines: string[] = [];
    const live = new LiveHost(new Map([['signgate-verify', { name: 'signgate-verify', url, ca: caPem }]]));
    const s = await runSuites([dir], { engine: builtinEngine, run: /^live/, live, out: (l) => lines.push(l) });
    assert.deepEqual(lines.filter((l) => l.startsWith('FAIL')), []);
    assert.equal(s.passed, 2);
    assert.deepEqual(requests.flat().sort(), ['registry.example.com/app:1.0', 'registry.example.com/app:2.0', 'registry.example.com/slow:2.0']);
  });

  it('refuses a provider whose certificate is not trusted', async () => {
    const live = new LiveHost(new Map([['p', { name: 'p', url, ca: undefined }]]));
    assert.throws(() => live.lookup('p', ['k']), (e: unknown) => e instanceof Error && /fetching 1 key/.test(e.message));
    await assert.rejects(live.fetchPending(), (e: unknown) => {
      assert.ok(e instanceof PolicyTestError, String(e));
      assert.equal(e.code, 'PROVIDER_FAILED');
      assert.match(e.message, /cannot reach provider "p" at https:\/\/127\.0\.0\.1:\d+\/ratify\/gatekeeper\/v1\/verify: unable to verify the first certificate; check the URL and --provider-ca$/);
      return untrustedServerCertificate(e.cause); // a TLS refusal, not any connection failure
    });
  });
});
