/**
 * One image, one name, against Debian's docker-registry: the same registry and repository written another way (port
 * forms, host case, IPv4 and IPv6 text, Docker Hub's names, tag@digest with a tag that points elsewhere) selects the
 * repository's own trust policy statement, by the CLI and by the provider, and mutate answers the canonical name.
 *
 * The trust policy has two statements: the repository's (trusting only CA "team") and "*" (trusting only CA "other").
 * Every image is signed by "other"'s leaf, so it passes under "*" and must be refused under the repository's statement.
 * A spelling that escaped to "*" would pass: that is the false accept these tests exist to catch.
 *
 * IPv6: docker-registry listens on 127.0.0.1; a TCP forwarder on [::1] gives the same registry an IPv6 name.
 * Docker Hub: its names need DNS, so the provider case goes through the registry client's fetch seam (requests for
 * registry-1.docker.io are sent to the local registry); selection for every Hub name is also covered in
 * test/unit/notation/trustpolicy/canonicalScope.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { openTrustStore, parseTrustPolicyDocument } from '../../provider/src/notation/index.js';
import { Registry, type Descriptor, type FetchLike } from '../../provider/src/oci/index.js';
import { createApp, ProviderMetrics, startServer, type RunningServer } from '../../provider/src/server/index.js';
import { createProviderExecutor, createRegistryPool, type Verdict } from '../../provider/src/verify/index.js';
import type { Config, VerifierConfig } from '../../provider/src/config/types.js';
import { createPki, type Pki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { NOTARY, TempDirs, makeConfig, pushImage, scopeConfig, signImage } from '../unit/verify/fixtures.js';
import { httpsCall } from '../unit/server/tlsClient.js';
import { cli } from '../support/cli.js';

type Item = { key: string; value?: Verdict | string; error?: string };

/** Forwards every TCP connection on [::1]:<port> to `target` (host:port). */
async function ipv6Forwarder(target: string): Promise<{ port: number; close(): Promise<void> }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, host);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '::1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe('e2e: one canonical name per image (docker-registry, CLI and provider)', function () {
  this.timeout(60_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let v6: { port: number; close(): Promise<void> } | undefined;
  let server: RunningServer | undefined;
  let team: Pki;
  let other: Pki;
  let storeDir: string;
  let port: number;
  const images: Record<string, Descriptor> = {};
  let config: Config;

  /** The canonical names the trust policy lists; every spelling below must land on one of them. */
  const scopes = (): string[] => [`localhost:${port}/team/app`, `127.0.0.1:${port}/team/app`, `[::1]:${v6?.port ?? 0}/team/app`, 'docker.io/library/app'];

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    port = Number(registry.host.split(':')[1]);
    v6 = await ipv6Forwarder(registry.host);
    const client = new Registry({ fetch: fetch as FetchLike, clock: () => new Date() });
    team = await createPki({ at: new Date(), leafSubject: 'CN=team signer,O=team,C=US' });
    other = await createPki({ at: new Date(), leafSubject: 'CN=other signer,O=other,C=US' });
    for (const repository of ['team/app', 'library/app', 'elsewhere/app']) {
      const repo = client.repository(`${registry.host}/${repository}`);
      const image = await pushImage(repo, 'v1', 'one image, many names');
      await pushImage(repo, 'moved', 'another image the tag "moved" points at');
      await signImage(repo, image, other);
      images[repository] = image;
    }
    storeDir = await dirs.make('signgate-canonical-');
    for (const [name, pki] of [['team', team], ['other', other]] as const) {
      await mkdir(join(storeDir, 'x509', 'ca', name), { recursive: true });
      await writeFile(join(storeDir, 'x509', 'ca', name, 'root.pem'), pki.root.pem);
    }
    const policy = {
      version: '1.0',
      trustPolicies: [
        { name: 'team', registryScopes: scopes(), signatureVerification: { level: 'strict' }, trustStores: ['ca:team'], trustedIdentities: ['*'] },
        { name: 'everything else', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:other'], trustedIdentities: ['*'] },
      ],
    };
    await writeFile(join(storeDir, 'trustpolicy.json'), JSON.stringify(policy));
    const verifier: VerifierConfig = {
      name: 'notation',
      type: 'notation',
      artifactTypes: [NOTARY],
      trustPolicy: parseTrustPolicyDocument(policy),
      trustStore: openTrustStore(storeDir),
      certificateCount: 2,
      digest: 'test: the team and other roots',
    };
    config = makeConfig(1, scopeConfig([verifier], 'any'));

    // Docker Hub through the fetch seam: registry-1.docker.io is answered by the local registry.
    const hub = registry.origin;
    const seam = ((url: string, init?: unknown) => fetch(url.replace(/^https:\/\/registry-1\.docker\.io\//, `${hub}/`), init as RequestInit)) as FetchLike;
    const pool = createRegistryPool(() => new Registry({ fetch: seam, clock: () => new Date(), retry: { retries: 0 } }));
    const executor = createProviderExecutor({ registryFor: (s) => pool.registryFor(s), clock: () => new Date() });
    const logger = pino({ level: 'silent' });
    const app = createApp({ configSource: { current: () => config, lastError: () => undefined }, executor, logger, metrics: new ProviderMetrics(), deadlines: { verifyMs: 4900, mutateMs: 1950 } });
    server = await startServer({ handler: app.callback(), address: '127.0.0.1:0', logger, clock: () => new Date() });
  });

  after(async () => {
    await server?.close();
    await v6?.close();
    await registry?.stop();
    await dirs.cleanup();
  });

  /** [spelling, canonical repository] for every class the issue names, on the live registry. */
  const spellings = (): ReadonlyArray<readonly [string, string, string]> => {
    const d = images['team/app']?.digest ?? '';
    const p6 = v6?.port ?? 0;
    return [
      ['port with leading zeros', `localhost:0${port}/team/app:v1`, `localhost:${port}/team/app`],
      ['port with more leading zeros, by digest', `localhost:000${port}/team/app@${d}`, `localhost:${port}/team/app`],
      ['host case', `LocalHost:${port}/team/app:v1`, `localhost:${port}/team/app`],
      ['IPv4 short form', `127.1:${port}/team/app:v1`, `127.0.0.1:${port}/team/app`],
      ['IPv4 as one number', `2130706433:${port}/team/app:v1`, `127.0.0.1:${port}/team/app`],
      ['IPv4 in hex', `0x7f.0.0.1:0${port}/team/app:v1`, `127.0.0.1:${port}/team/app`],
      ['IPv6 uncompressed', `[0:0:0:0:0:0:0:1]:${p6}/team/app:v1`, `[::1]:${p6}/team/app`],
      ['IPv6 with leading zeros and port zeros', `[0000::0001]:0${p6}/team/app:v1`, `[::1]:${p6}/team/app`],
      ['tag@digest whose tag points at another image', `LOCALHOST:0${port}/team/app:moved@${d}`, `localhost:${port}/team/app`],
    ];
  };

  async function call(route: 'verify' | 'mutate', keys: string[]): Promise<Item[]> {
    assert.ok(server);
    const res = await httpsCall(server.url, {
      method: 'POST',
      path: `/ratify/gatekeeper/v1/${route}`,
      ca: server.devCertificate?.caPem ?? '',
      body: JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } }),
    });
    assert.equal(res.status, 200, res.body);
    return (JSON.parse(res.body) as { response: { items: Item[] } }).response.items;
  }
  const verdictOf = (item: Item | undefined): Verdict => {
    assert.ok(item && typeof item.value === 'object', `expected a verdict, got ${JSON.stringify(item)}`);
    return item.value as Verdict;
  };

  it('control: the same signature passes under "*" (another repository), so a refusal below means the statement was applied', async () => {
    const ref = `${registry?.host ?? ''}/elsewhere/app:v1`;
    const [item] = await call('verify', [ref]);
    assert.equal(verdictOf(item).isSuccess, true, JSON.stringify(item));
    const run = await cli('verify', ref, '--trust-policy', join(storeDir, 'trustpolicy.json'), '--trust-store', storeDir, '--output', 'json');
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });

  it('provider: every spelling is refused under the repository statement, and reported under the canonical subject', async () => {
    const cases = spellings();
    const items = await call('verify', cases.map(([, spelling]) => spelling));
    cases.forEach(([what, spelling, canonical], i) => {
      const verdict = verdictOf(items[i]);
      assert.equal(items[i]?.key, spelling);
      assert.equal(verdict.isSuccess, false, `${what}: ${spelling} escaped its repository's statement: ${JSON.stringify(verdict)}`);
      const report = verdict.verifierReports[0];
      assert.equal(report?.errorReason, 'UNTRUSTED_SIGNER', `${what}: ${JSON.stringify(report)}`);
      assert.equal(report?.subject, `${canonical}@${images['team/app']?.digest ?? ''}`, what);
    });
  });

  it('CLI: every spelling is refused (exit 1) under the repository statement', async () => {
    for (const [what, spelling, canonical] of spellings()) {
      const run = await cli('verify', spelling, '--trust-policy', join(storeDir, 'trustpolicy.json'), '--trust-store', storeDir, '--output', 'json');
      assert.equal(run.code, 1, `${what}: ${spelling} -> exit ${run.code}: ${run.stdout}${run.stderr}`);
      const verdict = JSON.parse(run.stdout) as Verdict;
      assert.equal(verdict.isSuccess, false, what);
      assert.equal(verdict.verifierReports[0]?.subject, `${canonical}@${images['team/app']?.digest ?? ''}`, what);
    }
  });

  it('mutate answers the canonical host/repository:tag@digest for every spelling', async () => {
    const cases = spellings().filter(([, spelling]) => !spelling.includes('@'));
    const items = await call('mutate', cases.map(([, spelling]) => spelling));
    cases.forEach(([what, spelling, canonical], i) => {
      const tag = spelling.slice(spelling.lastIndexOf(':') + 1);
      assert.equal(items[i]?.value, `${canonical}:${tag}@${images['team/app']?.digest ?? ''}`, what);
    });
  });

  it('Docker Hub under each of its names selects docker.io/library/app (provider, through the registry client seam)', async () => {
    const names = ['app:v1', 'docker.io/app:v1', 'library/app:v1', 'index.docker.io/library/app:v1', 'registry-1.docker.io/app:v1', 'Registry.Hub.Docker.Com/library/app:v1', 'DOCKER.IO:443/app:v1'];
    const items = await call('verify', names);
    names.forEach((name, i) => {
      const verdict = verdictOf(items[i]);
      assert.equal(verdict.isSuccess, false, `${name} escaped docker.io/library/app's statement`);
      assert.equal(verdict.verifierReports[0]?.errorReason, 'UNTRUSTED_SIGNER', name);
      assert.equal(verdict.verifierReports[0]?.subject, `docker.io/library/app@${images['library/app']?.digest ?? ''}`, name);
    });
    const mutated = await call('mutate', ['index.docker.io/app:v1']);
    assert.equal(mutated[0]?.value, `docker.io/library/app:v1@${images['library/app']?.digest ?? ''}`);
  });

  it('a name that cannot be put in canonical form is an item error saying why (provider) and exit 2 (CLI)', async () => {
    const bad = [`localhost:99999/team/app:v1`, `localhost:0x50/team/app:v1`, `[fe80::1%25lo]:${port}/team/app:v1`];
    const items = await call('verify', bad);
    for (const [i, why] of [[0, /out of range/], [1, /not a decimal number/], [2, /zone identifier/]] as const) {
      assert.equal(items[i]?.value, undefined);
      assert.match(items[i]?.error ?? '', why);
    }
    const run = await cli('verify', bad[0] ?? '', '--trust-policy', join(storeDir, 'trustpolicy.json'), '--trust-store', storeDir);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /port 99999 .* out of range/);
  });
});
