/**
 * The registry client against a misbehaving registry (fault injection in the protocol-level test server,
 * test/support/ociServer.ts): wrong digests, oversized and endless bodies, slow answers, 429/5xx, resets, and auth.
 */
import assert from 'node:assert/strict';
import { isTransientOciError, staticCredentials, type Descriptor, type Registry, type RegistryEvent } from '../../provider/src/oci/index.js';
import { OciTestServer, type OciServerOptions } from '../support/ociServer.js';
import { freePort } from '../support/registry.js';
import { client, rejects, fakeEnvelope, JWS, pushImage, testClock } from './ociHelpers.js';

describe('oci registry client: faults and auth (protocol-level test server)', () => {
  let server: OciTestServer;
  let registry: Registry;
  let time: ReturnType<typeof testClock>;
  const events: RegistryEvent[] = [];
  afterEach(async () => {
    registry?.close();
    await server?.stop();
    events.length = 0;
  });

  type ClientOptions = Partial<Parameters<typeof client>[0]>;
  /** `clientOptions` may depend on the started server (its host:port). */
  async function setup(serverOptions: OciServerOptions = {}, clientOptions: ClientOptions | ((s: OciTestServer) => ClientOptions) = {}): Promise<void> {
    server = await new OciTestServer(serverOptions).start();
    time = testClock();
    const extra = typeof clientOptions === 'function' ? clientOptions(server) : clientOptions;
    registry = await client({ clock: time.clock, log: (e) => events.push(e), ...extra });
  }

  /** An image and one signature, pushed before faults are switched on. */
  async function signedImage(): Promise<{ subject: Descriptor; envelope: Descriptor; manifest: Descriptor }> {
    const repo = registry.repository(`${server.host}/app`);
    const subject = await pushImage(repo, 'v1');
    const pushed = await repo.pushSignature({ subject, envelope: fakeEnvelope('sig'), envelopeMediaType: JWS });
    registry.clearCaches();
    return { subject, ...pushed };
  }

  it('rejects a blob whose content does not match its digest (DIGEST_MISMATCH, not transient)', async () => {
    await setup();
    const { envelope } = await signedImage();
    server.fault = (r) => (r.path.includes('/blobs/') ? { kind: 'wrong-digest' } : undefined);
    const err = await rejects(registry.repository(`${server.host}/app`).fetchBlob(envelope, 1 << 20), 'DIGEST_MISMATCH', /tampered|hashes to/);
    assert.equal(isTransientOciError(err), false);
  });

  it('rejects a manifest fetched by tag whose bytes differ from Docker-Content-Digest', async () => {
    await setup();
    await signedImage();
    server.fault = (r) => (r.method === 'HEAD' ? { kind: 'status', status: 405 } : r.path.includes('/manifests/v1') ? { kind: 'wrong-digest' } : undefined);
    await rejects(registry.repository(`${server.host}/app:v1`).resolve(), 'DIGEST_MISMATCH', /registry says sha256:/);
  });

  it('rejects a signature manifest that does not hash to the listed digest', async () => {
    await setup();
    const { subject } = await signedImage();
    server.fault = (r) => (r.path.includes('/manifests/sha256:') ? { kind: 'wrong-digest' } : undefined);
    await rejects(registry.repository(`${server.host}/app`).signatureManifests(subject), 'DIGEST_MISMATCH');
  });

  it('stops reading an endless manifest body at the 4 MiB cap', async () => {
    await setup();
    await signedImage();
    server.fault = (r) => (r.method === 'HEAD' ? { kind: 'status', status: 405 } : r.path.endsWith('/manifests/v1') ? { kind: 'oversized', bytes: 64 << 20 } : undefined);
    await rejects(registry.repository(`${server.host}/app:v1`).resolve(), 'SIZE_LIMIT_EXCEEDED', /4194304-byte limit; reading stopped/);
  });

  it('refuses an announced oversized body before reading it, and a blob longer than its descriptor', async () => {
    await setup();
    const { envelope } = await signedImage();
    const repo = registry.repository(`${server.host}/app`);
    server.fault = (r) => (r.path.includes('/blobs/') ? { kind: 'oversized', bytes: 1 << 20, contentLength: 1 << 20 } : undefined);
    await rejects(repo.fetchBlob(envelope, 1 << 20), 'SIZE_MISMATCH', /announces 1048576 bytes, the descriptor says/);
    server.fault = (r) => (r.path.includes('/blobs/') ? { kind: 'oversized', bytes: 1 << 20 } : undefined);
    await rejects(repo.fetchBlob(envelope, 1 << 20), 'SIZE_MISMATCH', /longer than the \d+ bytes the descriptor says/);
    // a Content-Length smaller than the body: the HTTP client stops at it, the digest check catches the rest
    server.fault = (r) => (r.path.includes('/blobs/') ? { kind: 'oversized', bytes: 1 << 20, contentLength: envelope.size } : undefined);
    await rejects(repo.fetchBlob(envelope, 1 << 20), 'DIGEST_MISMATCH');
    await rejects(repo.fetchBlob({ ...envelope, size: 2 << 20 }, 1 << 20), 'SIZE_LIMIT_EXCEEDED', /declared as 2097152 bytes/);
  });

  it('times out a slow registry per request and stays inside the caller deadline', async () => {
    await setup({}, { timeouts: { requestMs: 150 }, retry: { retries: 1 } });
    await signedImage();
    server.fault = () => ({ kind: 'slow', delayMs: 2_000 });
    const repo = registry.repository(`${server.host}/app:v1`);
    const err = await rejects(repo.resolve(), 'REGISTRY_TIMEOUT', /no answer within 150 ms/);
    assert.ok(isTransientOciError(err));
    registry.close();
    await server.stop();
    await setup({}, { timeouts: { requestMs: 5_000 } });
    server.fault = () => ({ kind: 'slow', delayMs: 2_000 });
    // the caller's deadline (200 ms) fires long before the per-request bound (5 s): the error says the deadline passed
    await rejects(registry.repository(`${server.host}/app:v1`).resolve(undefined, { signal: AbortSignal.timeout(200) }), 'REGISTRY_TIMEOUT', /deadline passed/);
  });

  it('retries 429 and 503 with backoff and then succeeds', async () => {
    await setup();
    await signedImage();
    let n = 0;
    server.fault = (r) => (r.method === 'HEAD' && n++ < 2 ? { kind: 'status', status: n === 1 ? 429 : 503, headers: { 'retry-after': '1' } } : undefined);
    await registry.repository(`${server.host}/app:v1`).resolve();
    assert.deepEqual(events.filter((e) => e.type === 'retry').map((e) => e.error), ['status 429', 'status 503']);
  });

  it('gives up with RATE_LIMITED when 429 persists', async () => {
    await setup({}, { retry: { retries: 2 } });
    const { envelope } = await signedImage();
    server.requests.length = 0;
    server.fault = () => ({ kind: 'status', status: 429, body: '{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}' });
    const err = await rejects(registry.repository(`${server.host}/app`).fetchBlob(envelope, 1 << 20), 'RATE_LIMITED', /TOOMANYREQUESTS: slow down/);
    assert.ok(isTransientOciError(err));
    assert.equal(server.requests.length, 3, 'first try and two retries');
  });

  it('retries a connection reset', async () => {
    await setup();
    await signedImage();
    let n = 0;
    server.fault = () => (n++ === 0 ? { kind: 'reset' } : undefined);
    await registry.repository(`${server.host}/app:v1`).resolve();
    assert.equal(events.filter((e) => e.type === 'retry').length, 1);
  });

  it('reports a registry that is down as REGISTRY_UNREACHABLE', async () => {
    const port = await freePort();
    time = testClock();
    registry = await client({ clock: time.clock });
    const err = await rejects(registry.repository(`127.0.0.1:${port}/app:v1`).resolve(), 'REGISTRY_UNREACHABLE', /ECONNREFUSED; check that the registry is running/);
    assert.ok(isTransientOciError(err));
  });

  it('reports a missing tag as MANIFEST_NOT_FOUND naming the image', async () => {
    await setup();
    await signedImage();
    await rejects(registry.repository(`${server.host}/app:nope`).resolve(), 'MANIFEST_NOT_FOUND', /tag "nope" of 127\.0\.0\.1:\d+\/app/);
  });

  describe('auth', () => {
    it('answers UNAUTHORIZED without credentials, and never echoes credentials', async () => {
      await setup({ auth: { kind: 'basic', username: 'u', password: 's3cret-pw' } });
      await rejects(registry.repository(`${server.host}/app:v1`).resolve(), 'UNAUTHORIZED', /--registry-config/);
      registry.close();
      registry = await client({ clock: time.clock, credentials: staticCredentials({ [server.host]: { username: 'u', password: 'wrong-pw' } }), log: (e) => events.push(e) });
      const err = await rejects(registry.repository(`${server.host}/app:v1`).resolve(), 'UNAUTHORIZED');
      assert.doesNotMatch(`${err.message} ${JSON.stringify(events)}`, /wrong-pw|s3cret|dTp3cm9uZy1wdw/);
    });

    it('uses Basic credentials and sends them up front once the scheme is known', async () => {
      await setup({ auth: { kind: 'basic', username: 'u', password: 'p' } }, (s) => ({ credentials: staticCredentials({ [s.host]: { username: 'u', password: 'p' } }) }));
      const repo = registry.repository(`${server.host}/app`);
      await pushImage(repo, 'v1');
      const unauthorized = events.filter((e) => e.status === 401).length;
      assert.equal(unauthorized, 1, 'one challenge, then credentials are sent with every request');
    });

    it('gets a bearer token per scope, caches it until it expires on the injected clock', async () => {
      await setup({ auth: { kind: 'bearer', username: 'u', password: 'p', tokenSeconds: 60 } }, (s) => ({ credentials: staticCredentials({ [s.host]: { username: 'u', password: 'p' } }) }));
      const repo = registry.repository(`${server.host}/app`);
      const subject = await pushImage(repo, 'v1');
      assert.equal(server.tokenRequests, 1, 'one pull,push token for all pushes');
      registry.clearCaches();
      await repo.resolve('v1');
      await repo.signatureManifests(subject);
      assert.equal(server.tokenRequests, 2, 'a pull token, fetched without another 401');
      assert.equal(events.filter((e) => e.status === 401).length, 1);
      registry.clearCaches();
      time.advance(61_000);
      await repo.resolve('v1');
      assert.equal(server.tokenRequests, 3, 'expired token replaced');
    });

    it('gets anonymous tokens when no credentials are configured', async () => {
      await setup({ auth: { kind: 'bearer' } });
      const repo = registry.repository(`${server.host}/public/app`);
      await pushImage(repo, 'v1');
      assert.equal((await repo.resolve('v1')).mediaType, 'application/vnd.oci.image.manifest.v1+json');
      assert.ok(server.requests.some((r) => r.path === '/token' && r.authorization === undefined));
    });

    it('reports a token server that refuses the credentials as UNAUTHORIZED', async () => {
      await setup({ auth: { kind: 'bearer', username: 'u', password: 'p' } }, (s) => ({ credentials: staticCredentials({ [s.host]: { username: 'u', password: 'bad' } }) }));
      await rejects(registry.repository(`${server.host}/app:v1`).resolve(), 'UNAUTHORIZED', /token for repository:app:pull/);
    });
  });
});
