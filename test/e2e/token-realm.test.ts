/**
 * End to end through `startProvider` (the config file -> Store -> registry client wiring of `signgate serve`) against
 * Debian's docker-registry in `auth: token` mode whose token server listens on another loopback host (127.0.0.2):
 * a Store with credentials but without allowedTokenRealms answers an item error naming the realm and the setting,
 * and the same Store listing the realm host verifies the signed image.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { startProvider } from '../../provider/src/cli/serve.js';
import { parseServeArgs } from '../../provider/src/cli/serveArgs.js';
import { Registry, staticCredentials, type FetchLike } from '../../provider/src/oci/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { startTokenServer, type TokenServer } from '../support/tokenServer.js';
import { httpsCall } from '../unit/server/tlsClient.js';
import { AT, TempDirs, pushImage, signImage, testPki } from '../unit/verify/fixtures.js';
import { trustConfigYaml } from '../support/configYaml.js';

interface Item {
  readonly key: string;
  readonly value?: { readonly isSuccess: boolean };
  readonly error?: string;
}

describe('e2e: a Store\'s allowedTokenRealms decides whether the provider sends registry credentials to a token realm on another host', function () {
  this.timeout(60_000);
  const dirs = new TempDirs();
  let reg: RunningRegistry;
  let tokens: TokenServer;
  let realmHost: string;
  let key: string;
  let pem: string;
  let dockerConfig: string;

  before(async function () {
    requireComponent(this, 'docker-registry');
    tokens = await startTokenServer({ username: 'alice', password: 'wonderland', host: '127.0.0.2' });
    reg = await startRegistry({ token: tokens });
    realmHost = new URL(tokens.realm).host;
    const pki = await testPki();
    pem = pki.root.pem;
    const client = new Registry({
      fetch: fetch as FetchLike,
      clock: () => AT,
      credentials: staticCredentials({ [reg.host]: { username: 'alice', password: 'wonderland' } }),
      allowedTokenRealms: [realmHost],
    });
    try {
      const repo = client.repository(`${reg.host}/e2e/realm`);
      const image = await pushImage(repo, 'v1');
      await signImage(repo, image, pki);
    } finally {
      client.close();
    }
    key = `${reg.host}/e2e/realm:v1`;
    const dir = await dirs.make();
    dockerConfig = join(dir, 'config.json');
    await writeFile(dockerConfig, JSON.stringify({ auths: { [reg.host]: { username: 'alice', password: 'wonderland' } } }));
  });
  after(async () => {
    await reg?.stop();
    await tokens?.stop();
    await dirs.cleanup();
  });

  async function verifyWith(allowedTokenRealms: readonly string[] | undefined): Promise<Item> {
    const file = join(await dirs.make(), 'signgate.yaml');
    await writeFile(file, trustConfigYaml(pem, { dockerConfig, ...(allowedTokenRealms === undefined ? {} : { allowedTokenRealms }) }));
    const settings = parseServeArgs(['--config', file, '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], {}, () => '/embedded/default.yaml');
    assert.ok(settings !== 'help');
    const provider = await startProvider(settings, pino({ level: 'silent' }), { clock: () => AT });
    try {
      const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [key] } });
      const res = await httpsCall(provider.server.url, { method: 'POST', path: '/v1/verify', body, ca: provider.server.devCertificate?.caPem ?? '' });
      const item = (JSON.parse(res.body) as { response: { items: Item[] } }).response.items[0];
      assert.ok(item !== undefined, res.body);
      return item;
    } finally {
      await provider.close();
    }
  }

  it('without allowedTokenRealms: an item error naming the registry, the realm and the setting; the realm got nothing', async () => {
    const before = tokens.requests;
    const item = await verifyWith(undefined);
    assert.equal(item.value, undefined, JSON.stringify(item));
    assert.ok(item.error?.includes(`registry ${reg.host} asked for a token from ${tokens.realm}`), item.error);
    assert.ok(item.error?.includes(`add "${realmHost}" to the Store's spec.parameters.allowedTokenRealms`), item.error);
    assert.equal(tokens.requests, before, 'the token server was not asked');
  });

  it('with the realm host listed: the credentials go there and the signed image verifies', async () => {
    const from = tokens.authorizations.length;
    const item = await verifyWith([realmHost]);
    assert.equal(item.error, undefined, item.error);
    assert.equal(item.value?.isSuccess, true, JSON.stringify(item.value));
    assert.ok(tokens.authorizations.length > from);
    assert.ok(tokens.authorizations.slice(from).every((a) => a === `Basic ${Buffer.from('alice:wonderland').toString('base64')}`));
  });
});
