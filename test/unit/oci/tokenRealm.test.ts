/**
 * Registry credentials stay with the registry: which token realms may receive a registry's credentials. Names that
 * need DNS (Docker Hub, registrable domains) are tested here with a scripted fetch; the loopback cases against a real
 * docker-registry and token server are in test/integration/oci-credential-scope.test.ts.
 */
import assert from 'node:assert/strict';
import { Authenticator } from '../../../provider/src/oci/auth.js';
import { parseAllowedTokenRealms } from '../../../provider/src/oci/tokenRealm.js';
import { Transport, type FetchInit, type FetchLike } from '../../../provider/src/oci/transport.js';
import { OciError, Registry, staticCredentials, type Credential } from '../../../provider/src/oci/index.js';

interface Call {
  readonly url: string;
  readonly method: string;
  readonly authorization: string | undefined;
  readonly body: string | undefined;
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const BASIC = `Basic ${Buffer.from('alice:SECRET').toString('base64')}`;

/** A registry at any host answering 401 with a Bearer challenge naming `realm` until it sees the token; the realm issues it. */
function registryWithRealm(realm: string): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const realmUrl = new URL(realm);
  const fetch: FetchLike = async (url: string, init: FetchInit) => {
    const authorization = init.headers['authorization'];
    calls.push({ url, method: init.method, authorization, body: init.body ? new TextDecoder().decode(init.body) : undefined });
    const target = new URL(url);
    let status = 200;
    let headers: Record<string, string> = {};
    let body = '';
    if (target.host === realmUrl.host && target.pathname === realmUrl.pathname) {
      body = '{"token":"T0KEN","expires_in":300}';
    } else if (authorization !== 'Bearer T0KEN') {
      status = 401;
      headers = { 'www-authenticate': `Bearer realm="${realm}",service="svc"` };
    } else {
      headers = { 'docker-content-digest': DIGEST, 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': '100' };
    }
    const bytes = new TextEncoder().encode(body);
    const map = new Map(Object.entries(headers));
    return {
      status,
      headers: { get: (n: string) => map.get(n.toLowerCase()) ?? null },
      body: (async function* () {
        yield bytes;
      })(),
    };
  };
  return { fetch, calls };
}

function authenticator(fetch: FetchLike, credential: Credential | undefined, allowed: readonly string[] = []): Authenticator {
  return new Authenticator({
    transport: new Transport({ fetch, loopbackPlainHttp: false }),
    clock: () => new Date(0),
    ...(credential === undefined ? {} : { credentials: () => credential }),
    allowedTokenRealms: parseAllowedTokenRealms(allowed),
  });
}

async function pull(auth: Authenticator, registry: string): Promise<number> {
  const sent = await auth.send(registry, { method: 'GET', url: `https://${registry}/v2/team/app/manifests/v1` }, ['repository:team/app:pull']);
  return sent.response.status;
}

function refused(registry: string, realm: RegExp, listAs: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof OciError, `expected OciError, got ${String(e)}`);
    assert.equal(e.code, 'TOKEN_REALM_REFUSED', e.message);
    assert.match(e.message, new RegExp(`^registry ${registry.replace(/[.[\]]/g, '\\$&')} asked for a token from `));
    assert.match(e.message, realm);
    assert.match(e.message, /did not send .* credentials there/);
    assert.ok(e.message.includes(`add "${listAs}" to the Store's spec.parameters.allowedTokenRealms`), e.message);
    assert.ok(e.message.includes(`--allowed-token-realm ${listAs}`), e.message);
    assert.ok(!e.message.includes('SECRET'), 'no secret in the message');
    return true;
  };
}

describe('oci token realms: where a registry\'s credentials may go', () => {
  const alice: Credential = { username: 'alice', password: 'SECRET' };

  describe('a realm on the registry\'s own site gets the credentials', () => {
    const cases: readonly [string, string][] = [
      ['registry.example.com', 'https://auth.example.com/token'],
      ['registry.example.com', 'https://registry.example.com/v2/token'],
      ['registry.example.com:5000', 'https://token.registry.example.com:8443/token'],
      ['eu.registry.example.co.uk', 'https://auth.example.co.uk/token'],
      ['10.0.0.5:5000', 'https://10.0.0.5/token'],
      ['[2001:db8::1]:5000', 'https://[2001:DB8:0:0::1]:9000/token'],
      ['localhost:5000', 'https://localhost:5001/token'],
    ];
    for (const [registry, realm] of cases) {
      it(`${registry} -> ${realm}`, async () => {
        const { fetch, calls } = registryWithRealm(realm);
        assert.equal(await pull(authenticator(fetch, alice), registry), 200);
        const token = calls.find((c) => new URL(c.url).pathname.endsWith('token'));
        assert.equal(token?.authorization, BASIC, 'the token request carries the registry\'s Basic credentials');
      });
    }
  });

  describe('a realm off the registry\'s site is refused before anything is sent to it', () => {
    const cases: readonly [string, string, RegExp, string][] = [
      ['registry.example.com', 'https://tokens.attacker.net/token', /https:\/\/tokens\.attacker\.net\/token, which is outside registry\.example\.com's domain \(example\.com\)/, 'tokens.attacker.net'],
      ['registry.example.com', 'https://example.com.attacker.net/token', /example\.com\.attacker\.net/, 'example.com.attacker.net'],
      ['registry.example.com', 'https://notexample.com/token', /notexample\.com/, 'notexample.com'],
      ['registry.example.com', 'https://auth.example.com@attacker.net/token', /https:\/\/attacker\.net\/token/, 'attacker.net'],
      // private suffixes of the Public Suffix List are sites of their own: a.github.io does not speak for b.github.io
      ['team-a.github.io', 'https://team-b.github.io/token', /outside team-a\.github\.io's domain \(team-a\.github\.io\)/, 'team-b.github.io'],
      ['10.0.0.5:5000', 'https://10.0.0.6/token', /outside 10\.0\.0\.5:5000's domain \(10\.0\.0\.5\)/, '10.0.0.6'],
      ['10.0.0.5', 'https://0x0a.0.0.6:8443/token', /https:\/\/10\.0\.0\.6:8443\/token/, '10.0.0.6:8443'],
      ['localhost:5000', 'https://127.0.0.1:5001/token', /127\.0\.0\.1:5001/, '127.0.0.1:5001'],
    ];
    for (const [registry, realm, shown, listAs] of cases) {
      it(`${registry} -> ${realm}`, async () => {
        const { fetch, calls } = registryWithRealm(realm);
        await assert.rejects(pull(authenticator(fetch, alice), registry), refused(registry, shown, listAs));
        assert.deepEqual(calls.map((c) => new URL(c.url).host), [registry], 'only the registry was asked');
      });
    }

    it('refuses to send an identity token (refresh token) there too', async () => {
      const { fetch, calls } = registryWithRealm('https://tokens.attacker.net/token');
      await assert.rejects(pull(authenticator(fetch, { identityToken: 'REFRESH-SECRET' }), 'registry.example.com'), refused('registry.example.com', /attacker/, 'tokens.attacker.net'));
      assert.ok(!calls.some((c) => c.body?.includes('REFRESH-SECRET')), 'the refresh token was not posted anywhere');
    });

    it('says when the realm host cannot be listed at all', async () => {
      const { fetch } = registryWithRealm('https://tok_en.attacker.net/token');
      await assert.rejects(pull(authenticator(fetch, alice), 'registry.example.com'), (e: unknown) => {
        assert.ok(e instanceof OciError && e.code === 'TOKEN_REALM_REFUSED');
        assert.match(e.message, /its host "tok_en\.attacker\.net" cannot be listed in allowedTokenRealms/);
        return true;
      });
    });
  });

  it('lets an anonymous token request go to any realm, carrying no credentials', async () => {
    const { fetch, calls } = registryWithRealm('https://tokens.elsewhere.net/token');
    assert.equal(await pull(authenticator(fetch, undefined), 'registry.example.com'), 200);
    const token = calls.find((c) => c.url.startsWith('https://tokens.elsewhere.net/token'));
    assert.ok(token, 'the realm was asked');
    assert.equal(token.authorization, undefined);
  });

  it('a registry token (sent to the registry as is) never goes to the realm', async () => {
    const { fetch, calls } = registryWithRealm('https://tokens.attacker.net/token');
    const auth = authenticator(fetch, { registryToken: 'T0KEN' });
    assert.equal(await pull(auth, 'registry.example.com'), 200);
    assert.ok(!calls.some((c) => c.url.includes('attacker')));
  });

  describe('through the registry client', () => {
    it('Docker Hub: credentials for docker.io go to auth.docker.io (registry-1.docker.io challenges)', async () => {
      const { fetch, calls } = registryWithRealm('https://auth.docker.io/token');
      const client = new Registry({ fetch, clock: () => new Date(0), credentials: staticCredentials({ 'https://index.docker.io/v1/': alice }) });
      const subject = await client.repository('nginx:1.27').resolve();
      assert.equal(subject.digest, DIGEST);
      assert.equal(calls.find((c) => c.url.startsWith('https://auth.docker.io/token'))?.authorization, BASIC);
      assert.ok(calls.every((c) => /^https:\/\/(registry-1|auth)\.docker\.io\//.test(c.url)), calls.map((c) => c.url).join(' '));
    });

    it('Docker Hub: a realm elsewhere gets nothing and the message names docker.io', async () => {
      const { fetch, calls } = registryWithRealm('https://auth.docker.io.evil.example/token');
      const client = new Registry({ fetch, clock: () => new Date(0), credentials: staticCredentials({ 'docker.io': alice }) });
      await assert.rejects(client.repository('docker.io/library/nginx:1.27').resolve(), refused('docker.io', /outside docker\.io's domain \(docker\.io\)/, 'auth.docker.io.evil.example'));
      assert.ok(!calls.some((c) => c.url.includes('evil')));
    });

    it('allowedTokenRealms: entries are compared in canonical form, the port included', async () => {
      const realm = 'https://tokens.idp.example.net/oauth/token';
      for (const listed of ['tokens.idp.example.net', 'Tokens.IDP.Example.NET:443', 'TOKENS.idp.example.net:0443']) {
        const { fetch, calls } = registryWithRealm(realm);
        const client = new Registry({ fetch, clock: () => new Date(0), credentials: staticCredentials({ 'registry.example.com': alice }), allowedTokenRealms: [listed] });
        await client.repository('registry.example.com/team/app:v1').resolve();
        assert.equal(calls.find((c) => c.url.startsWith(realm))?.authorization, BASIC, `listed as ${listed}`);
      }
      const { fetch } = registryWithRealm(realm);
      const otherPort = new Registry({ fetch, clock: () => new Date(0), credentials: staticCredentials({ 'registry.example.com': alice }), allowedTokenRealms: ['tokens.idp.example.net:8443'] });
      await assert.rejects(otherPort.repository('registry.example.com/team/app:v1').resolve(), refused('registry.example.com', /tokens\.idp\.example\.net\/oauth\/token/, 'tokens.idp.example.net'));
    });

    it('allowedTokenRealms: an entry that is not a host is CONFIG_INVALID naming its index', () => {
      const fetch = registryWithRealm('https://auth.example.com/token').fetch;
      for (const bad of ['https://auth.example.com/token', 'auth.example.com:99999', 'auth example.com', '']) {
        assert.throws(
          () => new Registry({ fetch, clock: () => new Date(0), allowedTokenRealms: ['auth.example.com', bad] }),
          (e: unknown) => e instanceof OciError && e.code === 'CONFIG_INVALID' && /^allowedTokenRealms\[1\] \(--allowed-token-realm\) is not a token realm host/.test(e.message),
          bad,
        );
      }
      const many = Array.from({ length: 65 }, (_, i) => `auth${i}.example.net`);
      assert.throws(
        () => new Registry({ fetch, clock: () => new Date(0), allowedTokenRealms: many }),
        (e: unknown) => e instanceof OciError && e.code === 'CONFIG_INVALID' && /allowedTokenRealms lists 65 hosts, at most 64/.test(e.message),
      );
    });
  });
});
