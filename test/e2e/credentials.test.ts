/**
 * No credential ever shows: `signgate serve` (startProvider, the real wiring) reads a Docker config.json with Basic
 * credentials (`auth` and `username`/`password`), and an OAuth2 identity token, for four real docker-registry
 * instances (htpasswd, and `auth: token` with the test token server, which hands out bearer tokens). Every log line
 * at level trace, every item error and response body, and every /metrics series is searched for each secret, its
 * base64 form, the Authorization header values and any bearer token (a JWT) the token servers issued.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry, staticCredentials, type Credential, type FetchLike } from '../../provider/src/oci/index.js';
import { startProvider, type RunningProvider } from '../../provider/src/cli/serve.js';
import { parseServeArgs } from '../../provider/src/cli/serveArgs.js';
import { HTPASSWD_PASSWORD, HTPASSWD_USER, startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { startTokenServer, type TokenServer } from '../support/tokenServer.js';
import { AT, TempDirs, pushImage, signImage, testPki } from '../unit/verify/fixtures.js';
import { httpsCall } from '../unit/server/tlsClient.js';
import { trustConfigYaml } from '../support/configYaml.js';

const WRONG_PASSWORD = 'wrong-password-3b1f9c';
const TOKEN_USER = 'alice';
const TOKEN_PASSWORD = 'token-password-7d2e4a';
const IDENTITY_TOKEN = 'identity-token-9c8b7a6f5e';
const basic = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64');
/** A JWT: what the token servers issue as bearer tokens. */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/;

type Item = { key: string; value?: { isSuccess: boolean }; error?: string };

describe('e2e: no credential appears in an error, a log line or a metric label', function () {
  this.timeout(60_000);
  const dirs = new TempDirs();
  const registries: RunningRegistry[] = [];
  const tokenServers: TokenServer[] = [];
  let provider: RunningProvider | undefined;
  let log = '';
  const seen: string[] = []; // every response body and item error
  const keys: Record<'basic' | 'wrong' | 'token' | 'identity', string> = { basic: '', wrong: '', token: '', identity: '' };

  before(async function () {
    requireComponent(this, 'docker-registry');
    const pki = await testPki();
    const passwordTokens = await startTokenServer({ username: TOKEN_USER, password: TOKEN_PASSWORD });
    const openTokens = await startTokenServer(); // accepts the identity token's refresh_token grant
    tokenServers.push(passwordTokens, openTokens);
    const basicReg = await startRegistry({ htpasswd: true });
    const wrongReg = await startRegistry({ htpasswd: true });
    const tokenReg = await startRegistry({ token: passwordTokens });
    const identityReg = await startRegistry({ token: openTokens });
    registries.push(basicReg, wrongReg, tokenReg, identityReg);

    // images pushed and signed by a client with the right credentials
    const pushCredentials: Record<string, Credential> = {
      [basicReg.host]: { username: HTPASSWD_USER, password: HTPASSWD_PASSWORD },
      [wrongReg.host]: { username: HTPASSWD_USER, password: HTPASSWD_PASSWORD },
      [tokenReg.host]: { username: TOKEN_USER, password: TOKEN_PASSWORD },
      [identityReg.host]: { username: 'anyone', password: 'anything' },
    };
    const pusher = new Registry({ fetch: fetch as FetchLike, clock: () => AT, credentials: staticCredentials(pushCredentials), allowedTokenRealms: ['127.0.0.1'] });
    for (const [name, reg] of [['basic', basicReg], ['wrong', wrongReg], ['token', tokenReg], ['identity', identityReg]] as const) {
      const repo = pusher.repository(`${reg.host}/secret/app`);
      await signImage(repo, await pushImage(repo, 'v1'), pki);
      keys[name] = `${reg.host}/secret/app:v1`;
    }
    pusher.close();

    const dir = await dirs.make();
    const dockerConfig = join(dir, 'docker-config.json');
    await writeFile(
      dockerConfig,
      JSON.stringify({
        auths: {
          [basicReg.host]: { auth: basic(HTPASSWD_USER, HTPASSWD_PASSWORD) },
          [wrongReg.host]: { username: HTPASSWD_USER, password: WRONG_PASSWORD },
          [tokenReg.host]: { username: TOKEN_USER, password: TOKEN_PASSWORD },
          [identityReg.host]: { identitytoken: IDENTITY_TOKEN },
        },
      }),
      { mode: 0o600 },
    );
    const realms = tokenServers.map((t) => new URL(t.realm).host);
    await writeFile(join(dir, 'signgate.yaml'), trustConfigYaml(pki.root.pem, { dockerConfig, allowedTokenRealms: realms }));
    const settings = parseServeArgs(['--config', join(dir, 'signgate.yaml'), '--address', '127.0.0.1:0', '--metrics-address', '127.0.0.1:0'], {}, () => '');
    assert.ok(settings !== 'help');
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        log += chunk.toString();
        cb();
      },
    });
    provider = await startProvider(settings, pino({ level: 'trace' }, sink), { clock: () => AT });
  });
  after(async function () {
    await provider?.close();
    for (const r of registries) await r.stop();
    for (const t of tokenServers) await t.stop();
    await dirs.cleanup();
  });

  async function call(route: 'verify' | 'mutate', list: string[]): Promise<Item[]> {
    const res = await httpsCall(provider?.server.url ?? '', {
      method: 'POST',
      path: `/ratify/gatekeeper/v1/${route}`,
      ca: provider?.server.devCertificate?.caPem ?? '',
      body: JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: list } }),
    });
    seen.push(res.body);
    assert.equal(res.status, 200, res.body);
    return (JSON.parse(res.body) as { response: { items: Item[] } }).response.items;
  }

  it('uses every credential (the registries admit the right ones and refuse the wrong password)', async function () {
    const items = await call('verify', [keys.basic, keys.wrong, keys.token, keys.identity]);
    assert.equal(items[0]?.value?.isSuccess, true, JSON.stringify(items[0]));
    assert.match(items[1]?.error ?? '', /^could not verify ".*": .*(401|unauthorized|credentials)/i);
    assert.equal(items[2]?.value?.isSuccess, true, JSON.stringify(items[2]));
    assert.equal(items[3]?.value?.isSuccess, true, JSON.stringify(items[3]));
    const mutated = await call('mutate', [keys.wrong, keys.token]);
    assert.match(mutated[0]?.error ?? '', /^could not resolve/);
    assert.match(String(mutated[1]?.value), /@sha256:[0-9a-f]{64}$/);
    assert.ok(tokenServers.every((t) => t.requests > 0), 'both token servers issued tokens');
    assert.ok(tokenServers[0]?.authorizations.includes(`Basic ${basic(TOKEN_USER, TOKEN_PASSWORD)}`), 'the password went to the token server');
    assert.deepEqual(tokenServers[1]?.refreshTokens, [IDENTITY_TOKEN], 'the identity token was exchanged at the token server');
  });

  it('shows none of them in item errors, response bodies, trace-level log lines or /metrics', async function () {
    const metrics = await (await fetch(`${provider?.server.metricsUrl ?? ''}/metrics`)).text();
    // the search has something to search: registry requests at debug, the could-not-decide detail with its cause
    assert.match(log, /"msg":"registry request"/);
    assert.match(log, /"msg":"could not decide: error detail"/);
    assert.match(metrics, /signgate_registry_requests_total\{host="127\.0\.0\.1:\d+",status="401"\}/);
    const secrets = [
      HTPASSWD_PASSWORD,
      WRONG_PASSWORD,
      TOKEN_PASSWORD,
      IDENTITY_TOKEN,
      basic(HTPASSWD_USER, HTPASSWD_PASSWORD),
      basic(HTPASSWD_USER, WRONG_PASSWORD),
      basic(TOKEN_USER, TOKEN_PASSWORD),
    ];
    for (const [where, text] of [['the log', log], ['a response or item error', seen.join('\n')], ['/metrics', metrics]] as const) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `${where} contains the credential "${secret}"`);
      assert.doesNotMatch(text, JWT, `${where} contains a bearer token`);
      assert.doesNotMatch(text, /authorization"?\s*[:=]\s*"?(basic|bearer)\s/i, `${where} contains an Authorization header`);
    }
  });
});
