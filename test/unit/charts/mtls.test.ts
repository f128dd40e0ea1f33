/**
 * The chart wires mTLS end to end (no helm binary or cluster here, so the templates are read as text):
 * - Gatekeeper -> signgate: the Deployment's arguments, parsed by signgate's own flag parser, watch Gatekeeper's CA
 *   Secret (the one RBAC lets signgate read) and write it to the --client-ca file, on a writable mount.
 * - signgate -> Gatekeeper trust: each Provider's caBundle is the CA that issued the serving certificate mounted at
 *   --tls-cert, in every tls.mode, and the Provider URL's host is a name that certificate carries.
 * A real TLS exchange then plays that wiring: serving certificate + client CA on the listener, Gatekeeper's client
 * certificate and the Provider's caBundle on the client.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { parseServeArgs } from '../../../provider/src/cli/serveArgs.js';
import { parseSecretKeyRef } from '../../../provider/src/k8s/index.js';
import { startServer } from '../../../provider/src/server/index.js';
import { createKeyPair, issueCertificate, type IssuedCertificate } from '../../support/pki.js';
import { createTlsServerCertificate } from '../../support/tlsCerts.js';
import { certificateRequired } from '../../support/tlsFailures.js';
import { loadChart } from '../../support/helmTemplate.js';
import { httpsCall } from '../server/tlsClient.js';

const CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'signgate');
const read = (p: string): string => readFileSync(join(CHART, p), 'utf8');
const values = parse(read('values.yaml')) as { gatekeeper: { namespace: string; clientAuth: { enabled: boolean; secretName: string; key: string } } };
const deployment = read('templates/deployment.yaml');
const tlsProviders = read('templates/tls-providers.yaml');
const rbac = read('templates/rbac.yaml');

/** The provider container's arguments as the chart renders them with its default values. */
function defaultArgs(): string[] {
  const chart = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values: {} }, ['deployment.yaml']);
  const d = chart.documents('deployment.yaml').find((doc) => doc.kind === 'Deployment') as { spec: { template: { spec: { containers: { args: string[] }[] } } } } | undefined;
  const args = d?.spec.template.spec.containers[0]?.args;
  assert.ok(args !== undefined, 'the Deployment has a container with args');
  return args;
}

describe('charts/signgate: mTLS wiring (structural, then a real TLS exchange)', function () {
  it('Gatekeeper client authentication is on by default, with Gatekeeper\'s own CA Secret', function () {
    assert.equal(values.gatekeeper.clientAuth.enabled, true);
    assert.deepEqual(
      [values.gatekeeper.namespace, values.gatekeeper.clientAuth.secretName, values.gatekeeper.clientAuth.key],
      ['gatekeeper-system', 'gatekeeper-webhook-server-cert', 'ca.crt'],
    );
  });

  it('the Deployment arguments watch that Secret and write it to --client-ca on a writable mount; --tls-cert is the serving Secret', function () {
    const args = defaultArgs();
    const s = parseServeArgs(args, {}, () => 'cfg');
    assert.ok(s !== 'help');
    assert.equal(s.kubernetes, true);
    const ref = parseSecretKeyRef(s.gatekeeperCaSecret ?? '', '--gatekeeper-ca-secret');
    assert.deepEqual(ref, { namespace: values.gatekeeper.namespace, name: values.gatekeeper.clientAuth.secretName, key: values.gatekeeper.clientAuth.key });
    assert.ok(s.clientCa !== undefined, '--client-ca is set');
    // the root filesystem is read-only: the file the CA watcher writes must lie on a writable mount
    const mounts = [...deployment.matchAll(/- name: (\S+)\n\s+mountPath: (\S+)(\n\s+readOnly: true)?/g)].map((m) => ({ name: m[1], path: m[2] as string, readOnly: m[3] !== undefined }));
    const caMount = mounts.find((m) => (s.clientCa ?? '').startsWith(`${m.path}/`));
    assert.ok(caMount && !caMount.readOnly, `--client-ca ${s.clientCa} is on a writable mount (${JSON.stringify(mounts)})`);
    // --tls-cert/--tls-key come from the volume of the serving Secret (signgate.tlsSecretName)
    const tlsMount = mounts.find((m) => (s.tlsCert ?? '').startsWith(`${m.path}/`));
    assert.equal(tlsMount?.name, 'tls');
    assert.match(deployment, /- name: tls\n\s+secret:\n\s+secretName: \{\{ include "signgate\.tlsSecretName" \. \}\}/);
    assert.equal(s.tlsKey, `${tlsMount?.path}/tls.key`);
  });

  it('RBAC lets signgate read exactly that Secret, in Gatekeeper\'s namespace', function () {
    const role = /kind: Role\nmetadata:\n\s+name: \{\{ include "signgate\.fullname" \. \}\}-gatekeeper-ca\n\s+namespace: \{\{ \.Values\.gatekeeper\.namespace \}\}[\s\S]*?rules:\n([\s\S]*?)\n---/.exec(rbac)?.[1] ?? '';
    assert.match(role, /resources: \[secrets\]/);
    assert.match(role, /resourceNames: \[\{\{ \.Values\.gatekeeper\.clientAuth\.secretName \| quote \}\}\]/);
    assert.match(role, /verbs: \[get, list, watch\]/);
  });

  it('every Provider carries as caBundle the CA that issued the serving certificate, in each tls.mode', function () {
    // the Providers: one caBundle expression, and a URL whose host is <fullname>.<namespace>
    assert.match(tlsProviders, /caBundle: \{\{ \$caBundle \| default "" \| quote \}\}/);
    assert.match(tlsProviders, /url: https:\/\/\{\{ \$fullname \}\}\.\{\{ \$\.Release\.Namespace \}\}:\{\{ \$\.Values\.service\.port \}\}\/ratify\/gatekeeper\/v1\/\{\{ \$route \}\}/);
    // generate: the serving certificate is signed by $gen, whose certificate is both the Secret's ca.crt and the caBundle
    assert.match(tlsProviders, /\$gen := genCA /);
    assert.match(tlsProviders, /\$cert := genSignedCert \$svc nil \(list \$fullname \$svc .*\) \(int \.Values\.tls\.validityDays\) \$gen/);
    assert.match(tlsProviders, /\$svc := printf "%s\.%s" \$fullname \.Release\.Namespace/, 'the certificate names the Provider URL host');
    assert.match(tlsProviders, /\$ca = \$gen\.Cert \| b64enc/);
    assert.match(tlsProviders, /\$ca = index \$existing\.data "ca\.crt"/, 'an upgrade keeps the CA of the kept certificate');
    assert.match(tlsProviders, /\{\{- \$caBundle = \$ca \}\}/);
    assert.match(tlsProviders, /ca\.crt: \{\{ \$ca \}\}\n\s+tls\.crt: \{\{ \$crt \}\}/);
    // certManager: the serving Certificate is issued by the CA Issuer whose Secret <fullname>-ca gives the caBundle
    assert.match(tlsProviders, /\$existing := lookup "v1" "Secret" \.Release\.Namespace \(printf "%s-ca" \$fullname\)/);
    assert.match(tlsProviders, /\$caBundle = index \$existing\.data "ca\.crt"/);
    assert.match(tlsProviders, /kind: Issuer\nmetadata:\n\s+name: \{\{ \$fullname \}\}-ca[\s\S]*?ca:\n\s+secretName: \{\{ \$fullname \}\}-ca/);
    assert.match(tlsProviders, /secretName: \{\{ \$secretName \}\}\n\s+dnsNames:\n\s+- \{\{ \$fullname \}\}\.\{\{ \.Release\.Namespace \}\}\n[\s\S]*?issuerRef: \{name: \{\{ \$fullname \}\}-ca, kind: Issuer\}/);
    // provided: no caBundle, no install
    assert.match(tlsProviders, /required "tls\.caBundle \(base64 PEM of the CA of tls\.existingSecret\) is required when tls\.mode is provided" \$caBundle/);
  });

  it('played over real TLS: Gatekeeper trusting the caBundle and presenting its client certificate is served; without it, refused', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'signgate-chart-mtls-'));
    const now = Date.now();
    const window = { notBefore: new Date(now - 3600_000), notAfter: new Date(now + 86_400_000) };
    const ca = async (cn: string): Promise<IssuedCertificate> =>
      issueCertificate({ subject: `CN=${cn}`, key: await createKeyPair('ec-p256'), ...window, basicConstraints: { ca: true }, keyUsages: ['keyCertSign'] });
    try {
      // generate mode: genCA + genSignedCert for <fullname>.<namespace>; Gatekeeper's webhook CA and client certificate
      const host = 'signgate.signgate-system';
      const serving = await createTlsServerCertificate({ at: new Date(now), hosts: [host] });
      const gatekeeperCa = await ca('gatekeeper-ca');
      const gatekeeper = await issueCertificate({ subject: 'CN=gatekeeper-webhook-service.gatekeeper-system.svc', key: await createKeyPair('ec-p256'), issuer: gatekeeperCa, ...window, extendedKeyUsages: ['1.3.6.1.5.5.7.3.2'] });
      const s = parseServeArgs(defaultArgs().map((a) => a.replace('/tmp/', `${dir}/`).replace('/etc/signgate/tls/', `${dir}/`)), {}, () => 'cfg');
      assert.ok(s !== 'help' && s.tlsCert !== undefined && s.tlsKey !== undefined && s.clientCa !== undefined);
      await writeFile(s.tlsCert, serving.certChainPem);
      await writeFile(s.tlsKey, serving.keyPem, { mode: 0o600 });
      await mkdir(dirname(s.clientCa), { recursive: true });
      await writeFile(s.clientCa, gatekeeperCa.pem); // what the CA watcher writes to --client-ca
      const caBundle = Buffer.from(serving.ca.pem).toString('base64'); // the Provider's caBundle: the Secret's ca.crt
      const server = await startServer({
        handler: (_q, r) => r.end('ok'),
        address: '127.0.0.1:0',
        tls: { certFile: s.tlsCert, keyFile: s.tlsKey },
        clientCaFile: s.clientCa,
        logger: pino({ level: 'silent' }),
        clock: () => new Date(Date.now()),
      });
      try {
        const trust = Buffer.from(caBundle, 'base64').toString('utf8');
        const key = gatekeeper.key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
        const ok = await httpsCall(server.url, { ca: trust, cert: gatekeeper.pem, key, servername: host });
        assert.equal(ok.status, 200);
        await assert.rejects(httpsCall(server.url, { ca: trust, servername: host }), certificateRequired);
      } finally {
        await server.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
