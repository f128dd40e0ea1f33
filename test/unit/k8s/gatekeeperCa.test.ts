import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeError, watchGatekeeperCa, type GatekeeperCa } from '../../../provider/src/k8s/index.js';
import type { KubeApiTestServer } from '../../support/kubeApiServer.js';
import { createPki, type Pki } from '../../support/pki.js';
import { clientFor, secret, startApi } from './helpers.js';
import { waitFor } from '../../support/waitFor.js';

const AT = new Date('2025-11-01T00:00:00Z');

describe("k8s Gatekeeper's CA from its Secret (against the protocol-level API test server)", () => {
  let server: KubeApiTestServer;
  let ca: GatekeeperCa | undefined;
  let dir: string;
  let first: Pki;
  let second: Pki;

  before(async () => {
    first = await createPki({ at: AT });
    second = await createPki({ at: AT });
  });
  beforeEach(async () => {
    server = await startApi();
    dir = await mkdtemp(join(tmpdir(), 'signgate-gkca-'));
  });
  afterEach(async () => {
    await ca?.close();
    ca = undefined;
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads ca.crt from a Secret in another namespace, watching only that Secret, and writes it for the listener', async () => {
    server.apply(secret('gatekeeper-system', 'gatekeeper-webhook-server-cert', { 'ca.crt': first.root.pem, 'tls.key': 'secret-key' }, 'kubernetes.io/tls'));
    const file = join(dir, 'gatekeeper-ca.crt');
    ca = await watchGatekeeperCa({ client: clientFor(server), namespace: 'gatekeeper-system', name: 'gatekeeper-webhook-server-cert', file });
    assert.match(ca.current() ?? '', /BEGIN CERTIFICATE/);
    assert.equal(await readFile(file, 'utf8'), ca.current());
    assert.ok(server.requests.every((r) => r.query.fieldSelector === 'metadata.name=gatekeeper-webhook-server-cert'));
    // rotation: the new CA is seen, written and announced
    const seen: string[] = [];
    ca.subscribe((pem) => seen.push(pem));
    server.apply(secret('gatekeeper-system', 'gatekeeper-webhook-server-cert', { 'ca.crt': second.root.pem }, 'kubernetes.io/tls'));
    await waitFor(() => (seen.length === 1 ? true : undefined), 'the rotated CA');
    assert.equal(seen[0]?.replace(/\s/g, ''), second.root.pem.replace(/\s/g, ''));
    await waitFor(async () => ((await readFile(file, 'utf8')) === seen[0] ? true : undefined), 'the rewritten file');
  });

  it('keeps the last CA when the Secret turns bad, and reports a coded error', async () => {
    server.apply(secret('gk', 'ca', { 'ca.crt': first.root.pem }));
    const errors: KubeError[] = [];
    ca = await watchGatekeeperCa({ client: clientFor(server), namespace: 'gk', name: 'ca', onError: (e) => errors.push(e) });
    const before = ca.current();
    server.apply(secret('gk', 'ca', { 'ca.crt': 'not a certificate' }));
    await waitFor(() => (errors.length > 0 ? true : undefined), 'the error');
    assert.equal(errors[0]?.code, 'KUBE_SECRET');
    assert.match(errors[0]?.message ?? '', /Secret gk\/ca key ca\.crt holds no PEM certificate/);
    assert.equal(ca.current(), before);
  });
});
