import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator, parseChallenges } from '../../../provider/src/oci/auth.js';
import { Transport } from '../../../provider/src/oci/transport.js';
import { parseLinkNext, referrersTag } from '../../../provider/src/oci/referrers.js';
import { OciError, Registry, createRegistry, parseDockerConfig, staticCredentials } from '../../../provider/src/oci/index.js';

describe('oci auth challenges (WWW-Authenticate)', () => {
  it('parses a Docker Hub bearer challenge', () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"');
    assert.equal(c?.scheme, 'bearer');
    assert.deepEqual({ ...c?.params }, { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/ubuntu:pull' });
  });

  it('parses several challenges, unquoted values, escapes and odd spacing', () => {
    const cs = parseChallenges('Basic realm="a \\"b\\"" , Bearer realm=https://x/t, error="insufficient_scope"');
    assert.deepEqual(cs.map((c) => [c.scheme, { ...c.params }]), [
      ['basic', { realm: 'a "b"' }],
      ['bearer', { realm: 'https://x/t', error: 'insufficient_scope' }],
    ]);
  });

  it('yields nothing usable for garbage and bounds the input', () => {
    assert.deepEqual(parseChallenges(''), []);
    assert.ok(parseChallenges(`Bearer realm="${'x'.repeat(100_000)}"`).length <= 1);
  });
});

describe('oci referrers helpers', () => {
  it('builds the tag-schema tag from a digest', () => {
    assert.equal(referrersTag(`sha256:${'ab'.repeat(32)}`), `sha256-${'ab'.repeat(32)}`);
    assert.equal(referrersTag(`sha512:${'c'.repeat(128)}`), `sha512-${'c'.repeat(64)}`);
  });

  it('follows rel="next" on the same origin only', () => {
    const base = 'https://r.example/v2/app/referrers/sha256:x?artifactType=a';
    assert.equal(parseLinkNext('</v2/app/referrers/sha256:x?last=2>; rel="next"', base), 'https://r.example/v2/app/referrers/sha256:x?last=2');
    assert.equal(parseLinkNext('<https://r.example/p2>; rel=next', base), 'https://r.example/p2');
    assert.equal(parseLinkNext('</prev>; rel="prev"', base), undefined);
    assert.equal(parseLinkNext(null, base), undefined);
    assert.throws(
      () => parseLinkNext('<https://attacker.example/p2>; rel="next"', base),
      (e: unknown) => e instanceof OciError && e.code === 'RESPONSE_INVALID' && /another origin/.test(e.message),
    );
    assert.throws(() => parseLinkNext('<http://r.example/p2>; rel="next"', base), (e: unknown) => e instanceof OciError && e.code === 'RESPONSE_INVALID');
  });
});

describe('oci credentials (Docker config.json)', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('reads auth, username/password, identity and registry tokens, under any key spelling', async () => {
    const lookup = parseDockerConfig({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hub:pw:with:colons') },
        'registry.example.com': { username: 'u', password: 'p' },
        'http://localhost:5000/v2/': { identitytoken: 'refresh' },
        'ghcr.io': { registrytoken: 'bearer-token' },
        'empty.example': {},
      },
    });
    assert.deepEqual(await lookup('docker.io'), { username: 'hub', password: 'pw:with:colons' });
    assert.deepEqual(await lookup('REGISTRY.example.com'), { username: 'u', password: 'p' });
    assert.deepEqual(await lookup('localhost:5000'), { identityToken: 'refresh' });
    assert.deepEqual(await lookup('ghcr.io'), { registryToken: 'bearer-token' });
    assert.equal(await lookup('empty.example'), undefined);
    assert.equal(await lookup('other.example'), undefined);
  });

  it('rejects malformed entries with CREDENTIALS_INVALID naming the key, never the secret', () => {
    for (const [config, where] of [
      [{ auths: [] }, /auths/],
      [{ auths: { 'r.io': { auth: '!!' } } }, /auths\["r\.io"\]\.auth/],
      [{ auths: { 'r.io': { auth: b64('no-colon-secret') } } }, /does not decode/],
      [{ auths: { 'r.io': { password: 7 } } }, /password/],
      ['nope', /JSON object/],
    ] as const) {
      assert.throws(
        () => parseDockerConfig(config),
        (e: unknown) => e instanceof OciError && e.code === 'CREDENTIALS_INVALID' && where.test(e.message) && !e.message.includes('no-colon-secret'),
      );
    }
  });

  it('maps Docker Hub aliases in a static table', async () => {
    const lookup = staticCredentials({ 'index.docker.io': { username: 'a', password: 'b' } });
    assert.deepEqual(await lookup('docker.io'), { username: 'a', password: 'b' });
  });
});

describe('oci authenticator (scripted fetch)', () => {
  interface Call {
    url: string;
    method: string;
    headers: Record<string, string>;
    body?: string;
  }
  function scriptedFetch(handler: (c: Call) => { status: number; headers?: Record<string, string>; body?: string }) {
    const calls: Call[] = [];
    const fetch = async (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array }) => {
      const call: Call = { url, method: init.method, headers: init.headers, ...(init.body ? { body: new TextDecoder().decode(init.body) } : {}) };
      calls.push(call);
      const a = handler(call);
      const headers = new Map(Object.entries(a.headers ?? {}));
      const bytes = new TextEncoder().encode(a.body ?? '');
      return {
        status: a.status,
        headers: { get: (n: string) => headers.get(n) ?? null },
        body: (async function* () {
          yield bytes;
        })(),
      };
    };
    return { fetch, calls };
  }
  const challenge = (realm: string) => ({ status: 401, headers: { 'www-authenticate': `Bearer realm="${realm}",service="svc",scope="repository:app:pull"` } });

  it('exchanges an identity token (refresh token) with a POST to the realm', async () => {
    const { fetch, calls } = scriptedFetch((c) => {
      // the realm shares the registry's registrable domain (r.example), so the identity token may go there (tokenRealm.ts)
      if (c.url.startsWith('https://auth.r.example/token')) return { status: 200, body: '{"access_token":"AT","expires_in":300}' };
      return c.headers['authorization'] === 'Bearer AT' ? { status: 200 } : challenge('https://auth.r.example/token');
    });
    const auth = new Authenticator({ transport: new Transport({ fetch }), clock: () => new Date(0), credentials: () => ({ identityToken: 'REFRESH' }) });
    const sent = await auth.send('r.example', { method: 'GET', url: 'https://r.example/v2/app/manifests/v1' }, ['repository:app:pull']);
    assert.equal(sent.response.status, 200);
    const post = calls.find((c) => c.method === 'POST');
    assert.ok(post);
    const form = new URLSearchParams(post.body);
    assert.deepEqual([form.get('grant_type'), form.get('refresh_token'), form.get('service'), form.get('scope')], ['refresh_token', 'REFRESH', 'svc', 'repository:app:pull']);
  });

  it('refuses a plain-HTTP token realm on a non-loopback host', async () => {
    const { fetch, calls } = scriptedFetch(() => challenge('http://auth.example/token'));
    const auth = new Authenticator({ transport: new Transport({ fetch }), clock: () => new Date(0), credentials: () => ({ username: 'u', password: 'SECRET' }) });
    await assert.rejects(
      auth.send('r.example', { method: 'GET', url: 'https://r.example/v2/app/manifests/v1' }, ['repository:app:pull']),
      (e: unknown) => e instanceof OciError && e.code === 'RESPONSE_INVALID' && /not HTTPS/.test(e.message),
    );
    assert.ok(!calls.some((c) => c.url.startsWith('http://auth.example')), 'credentials never sent over plain HTTP');
  });

  it('rejects a token answer without a token', async () => {
    const { fetch } = scriptedFetch((c) => (c.url.startsWith('https://auth.example') ? { status: 200, body: '{"nope":1}' } : challenge('https://auth.example/token')));
    const auth = new Authenticator({ transport: new Transport({ fetch }), clock: () => new Date(0) });
    await assert.rejects(
      auth.send('r.example', { method: 'GET', url: 'https://r.example/v2/app/manifests/v1' }, ['repository:app:pull']),
      (e: unknown) => e instanceof OciError && e.code === 'RESPONSE_INVALID' && /no usable "token"/.test(e.message),
    );
  });
});

describe('oci createRegistry options', () => {
  it('rejects an unreadable or certificate-less CA bundle and bad limits with CONFIG_INVALID', async () => {
    const fetch = async () => {
      throw new Error('no network in unit tests');
    };
    const clock = () => new Date(0);
    const isConfig = (re: RegExp) => (e: unknown) => e instanceof OciError && e.code === 'CONFIG_INVALID' && re.test(e.message);
    await assert.rejects(createRegistry({ fetch, clock, caFile: '/nonexistent/ca.pem' }), isConfig(/cannot be read/));
    const dir = await mkdtemp(join(tmpdir(), 'signgate-ca-'));
    await writeFile(join(dir, 'ca.pem'), 'not a certificate');
    await assert.rejects(createRegistry({ fetch, clock, caFile: join(dir, 'ca.pem') }), isConfig(/no PEM certificate/));
    await rm(dir, { recursive: true, force: true });
    assert.throws(() => new Registry({ fetch, clock, limits: { maxReferrerPages: 0 } }), isConfig(/maxReferrerPages must be a positive integer/));
  });
});
