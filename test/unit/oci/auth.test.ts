import assert from 'node:assert/strict';
import { parseChallenges } from '../../../provider/src/oci/auth.js';
import { parseLinkNext, referrersTag } from '../../../provider/src/oci/referrers.js';
import { OciError, parseDockerConfig, staticCredentials } from '../../../provider/src/oci/index.js';

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
