/**
 * Registry credentials stay with the registry, against Debian's docker-registry (CNCF distribution 2.8) on loopback:
 * - `auth: token` with the token server on another loopback host (127.0.0.2) than the registry (127.0.0.1): the
 *   realm gets no credentials unless allowedTokenRealms (CLI --allowed-token-realm) lists it, and anonymous token
 *   requests still go there, bare;
 * - htpasswd Basic auth plus the registry's own `redirect` storage middleware sending blob downloads to another origin
 *   (a file server on 127.0.0.2 over the registry's storage folder, written for this test): the Authorization header
 *   stays behind.
 * Names that need DNS (Docker Hub, registrable domains) are covered with a scripted fetch in
 * test/unit/oci/tokenRealm.test.ts.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { staticCredentials, type Descriptor, type Registry, type RegistryEvent } from '../../provider/src/oci/index.js';
import { HTPASSWD_PASSWORD, HTPASSWD_USER, startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { startTokenServer, type TokenServer } from '../support/tokenServer.js';
import { TempDirs } from '../unit/verify/fixtures.js';
import { client, pushImage, rejects, testClock } from './ociHelpers.js';
import { cli } from '../support/cli.js';

const ALICE = { username: 'alice', password: 'wonderland' };
const ALICE_BASIC = `Basic ${Buffer.from('alice:wonderland').toString('base64')}`;

describe('oci registry client: credentials stay with the registry (docker-registry 2.8, token realm on another host)', function () {
  this.timeout(30_000);
  const dirs = new TempDirs();
  let reg: RunningRegistry;
  let tokens: TokenServer;
  /** 127.0.0.2:PORT, the realm's host as allowedTokenRealms lists it. */
  let realmHost: string;
  let image: Descriptor;
  let dockerConfig: string;
  const open: Registry[] = [];
  const make = async (options: { credentials?: boolean; allowed?: string[]; log?: (e: RegistryEvent) => void }): Promise<Registry> => {
    const c = await client({
      clock: testClock().clock,
      ...(options.credentials === false ? {} : { credentials: staticCredentials({ [reg.host]: ALICE }) }),
      ...(options.allowed ? { allowedTokenRealms: options.allowed } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    open.push(c);
    return c;
  };

  before(async function () {
    requireComponent(this, 'docker-registry');
    tokens = await startTokenServer({ ...ALICE, host: '127.0.0.2' });
    reg = await startRegistry({ token: tokens });
    realmHost = new URL(tokens.realm).host;
    assert.match(reg.host, /^127\.0\.0\.1:/);
    assert.match(realmHost, /^127\.0\.0\.2:/);
    const dir = await dirs.make();
    dockerConfig = join(dir, 'config.json');
    await writeFile(dockerConfig, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('alice:wonderland').toString('base64') } } }));
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await reg?.stop();
    await tokens?.stop();
    await dirs.cleanup();
  });

  it('sends the credentials when allowedTokenRealms lists the realm host (any spelling of it), and works end to end', async () => {
    const from = tokens.authorizations.length;
    const c = await make({ allowed: [realmHost.replace(/:(\d+)$/, ':0$1')] });
    const repo = c.repository(`${reg.host}/team/app`);
    image = await pushImage(repo, 'v1');
    assert.equal((await repo.resolve('v1')).digest, image.digest);
    const sent = tokens.authorizations.slice(from);
    assert.ok(sent.length > 0);
    assert.deepEqual(new Set(sent), new Set([ALICE_BASIC]), 'every token request carried alice\'s credentials');
  });

  it('sends no credentials to a realm on another host and fails naming the registry, the realm and the setting', async () => {
    const before = tokens.requests;
    const c = await make({});
    const error = await rejects(c.repository(`${reg.host}/team/app:v1`).resolve(), 'TOKEN_REALM_REFUSED');
    assert.equal(tokens.requests, before, 'the token server was not asked at all');
    assert.ok(error.message.startsWith(`registry ${reg.host} asked for a token from ${tokens.realm}, which is outside ${reg.host}'s domain (127.0.0.1)`), error.message);
    assert.ok(error.message.includes(`add "${realmHost}" to the Store's spec.parameters.allowedTokenRealms`), error.message);
    assert.ok(error.message.includes(`--allowed-token-realm ${realmHost}`), error.message);
    assert.ok(!error.message.includes('wonderland'));
  });

  it('still asks any realm anonymously, carrying no credentials (how public registries work)', async () => {
    const from = tokens.authorizations.length;
    const c = await make({ credentials: false });
    // the token server wants alice, so the anonymous request is refused there: it was made, and made bare
    await rejects(c.repository(`${reg.host}/team/app:v1`).resolve(), 'UNAUTHORIZED', /no credentials are configured for 127\.0\.0\.1:\d+/);
    assert.deepEqual(tokens.authorizations.slice(from), [undefined]);
  });

  it('signgate resolve: exit 2 with the message, then --allowed-token-realm HOST resolves', async () => {
    const ref = `${reg.host}/team/app:v1`;
    const before = tokens.requests;
    const refused = await cli('resolve', '--registry-config', dockerConfig, ref);
    assert.equal(refused.code, 2, refused.stderr);
    assert.ok(refused.stderr.includes(`--allowed-token-realm ${realmHost}`), refused.stderr);
    assert.equal(tokens.requests, before);
    const allowed = await cli('resolve', '--registry-config', dockerConfig, '--allowed-token-realm', realmHost, ref);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout.trim(), `${reg.host}/team/app@${image.digest}`);
    const bad = await cli('resolve', '--registry-config', dockerConfig, '--allowed-token-realm', 'https://127.0.0.2/token', ref);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /allowedTokenRealms\[0\] \(--allowed-token-realm\) is not a token realm host/);
  });
});

/** A plain file server over the registry's storage folder on another origin, recording what each request carried. */
class StorageOrigin {
  root = '';
  readonly seen: { method: string; path: string; authorization: string | undefined }[] = [];
  private readonly server = http.createServer((req, res) => void this.answer(req, res));

  async start(host: string): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, host, done));
    return `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://storage').pathname;
    this.seen.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
    const file = resolve(this.root, `.${decodeURIComponent(path)}`);
    if (this.root === '' || !file.startsWith(this.root + sep) || !(await stat(file).catch(() => undefined))?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    const bytes = await readFile(file);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }
}

describe('oci registry client: a blob redirected to another origin gets no Authorization (docker-registry 2.8 redirect middleware)', function () {
  this.timeout(30_000);
  let reg: RunningRegistry;
  const storage = new StorageOrigin();

  before(async function () {
    requireComponent(this, 'docker-registry');
    const origin = await storage.start('127.0.0.2');
    reg = await startRegistry({ htpasswd: true, redirectBlobsTo: origin });
    storage.root = join(reg.dir, 'data');
  });
  after(async () => {
    await reg?.stop();
    await storage.stop();
  });

  it('follows the 307 to the storage origin without the registry\'s Basic credentials, and the blob is digest-checked', async () => {
    const events: RegistryEvent[] = [];
    const c = await client({ clock: testClock().clock, credentials: staticCredentials({ [reg.host]: { username: HTPASSWD_USER, password: HTPASSWD_PASSWORD } }), log: (e) => events.push(e) });
    try {
      const repo = c.repository(`${reg.host}/team/redirected`);
      const layerText = 'a layer served from the storage origin';
      await pushImage(repo, 'v1', layerText);
      const { manifest } = await repo.fetchManifest(await repo.resolve('v1'));
      assert.ok(manifest.kind === 'image');
      const layer = manifest.layers[0] as Descriptor;
      storage.seen.length = 0;
      events.length = 0;
      const bytes = await repo.fetchBlob(layer, 1 << 20);
      assert.equal(new TextDecoder().decode(bytes), layerText);

      const hex = layer.digest.slice('sha256:'.length);
      assert.deepEqual(storage.seen, [{ method: 'GET', path: `/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`, authorization: undefined }]);
      const redirect = events.find((e) => e.type === 'redirect');
      assert.ok(redirect?.url.startsWith('http://127.0.0.2:'), 'the registry answered with a redirect to the other origin');
      const blobAsk = events.filter((e) => e.type === 'request' && e.url === `${reg.origin}/v2/team/redirected/blobs/${layer.digest}`);
      // the registry requires Basic auth, so a 307 without a 401 before it means the credentials went to the registry
      assert.deepEqual(blobAsk.map((e) => e.status), [307], 'the registry accepted the credentials and redirected');
    } finally {
      c.close();
    }
  });
});
