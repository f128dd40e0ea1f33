/**
 * Registry credentials stay with the registry, against Debian's docker-registry (CNCF distribution 2.8) on loopback:
 * - `auth: token` with the token server on another loopback host (127.0.0.2) than the registry (127.0.0.1): the
 *   realm gets no credentials unless allowedTokenRealms lists it, and anonymous token requests still go there bare;
 * - the registry's own `redirect` storage middleware sending blob downloads to another origin (a file server on
 *   127.0.0.2 over the registry's storage folder): the Authorization header stays behind.
 * Names that need DNS (Docker Hub, registrable domains) are covered with a scripted fetch in
 * test/unit/oci/tokenRealm.test.ts.
 */
import assert from 'node:assert/strict';
import { staticCredentials, type Registry, type RegistryEvent } from '../../provider/src/oci/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { startTokenServer, type TokenServer } from '../support/tokenServer.js';
import { client, pushImage, rejects, testClock } from './ociHelpers.js';

const ALICE = { username: 'alice', password: 'wonderland' };
const ALICE_BASIC = `Basic ${Buffer.from('alice:wonderland').toString('base64')}`;

describe('oci registry client: credentials stay with the registry (docker-registry 2.8, token realm on another host)', function () {
  let reg: RunningRegistry;
  let tokens: TokenServer;
  /** 127.0.0.2:PORT, the realm's host as allowedTokenRealms lists it. */
  let realmHost: string;
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
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await reg?.stop();
    await tokens?.stop();
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

  it('sends them when allowedTokenRealms lists the realm host (any spelling of it), and works end to end', async () => {
    const from = tokens.authorizations.length;
    const c = await make({ allowed: [realmHost.replace(/:(\d+)$/, ':0$1')] });
    const repo = c.repository(`${reg.host}/team/app`);
    const pushed = await pushImage(repo, 'v1');
    assert.equal((await repo.resolve('v1')).digest, pushed.digest);
    const sent = tokens.authorizations.slice(from);
    assert.ok(sent.length > 0);
    assert.deepEqual(new Set(sent), new Set([ALICE_BASIC]), 'every token request carried alice\'s credentials');
  });

  it('still asks any realm anonymously, carrying no credentials (how public registries work)', async () => {
    const from = tokens.authorizations.length;
    const c = await make({ credentials: false });
    // the token server wants alice, so the anonymous request is refused there: it was made, and made bare
    await rejects(c.repository(`${reg.host}/team/app:v1`).resolve(), 'UNAUTHORIZED', /no credentials are configured for 127\.0\.0\.1:\d+/);
    assert.deepEqual(tokens.authorizations.slice(from), [undefined]);
  });
});
