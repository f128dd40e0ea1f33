/**
 * Sign on push, end to end with real parts: Debian's docker-registry with a `notifications` endpoint, `signgate signer
 * serve` as its own process (plain HTTP on loopback, --insecure-listen), images pushed with signgate's registry
 * client, and signatures checked with `signgate verify`. Between the registry and the signer sits a small loopback
 * relay owned by this test: it forwards each notification unchanged, or acknowledges it without forwarding (a lost
 * event), and lets the signer restart on a new port behind the one URL the registry was configured with.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry, type Descriptor, type FetchLike, type Repository } from '../../provider/src/oci/index.js';
import { createPki, type Pki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { waitFor } from '../support/waitFor.js';
import { TempDirs, pushImage } from '../unit/verify/fixtures.js';
import { cli, type CliRun } from '../support/cli.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'provider', 'src', 'cli', 'main.ts');
const TOKEN = 'test-token-0123456789abcdef';

/** The test's relay between the registry and the signer. */
class Relay {
  target: string | undefined;
  drop = false;
  /** Bodies acknowledged without forwarding. */
  readonly dropped: string[] = [];
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (this.drop || this.target === undefined) {
          this.dropped.push(body.toString());
          res.writeHead(200).end();
          return;
        }
        const headers = { ...req.headers };
        delete headers.host;
        fetch(`${this.target}${req.url ?? ''}`, { method: req.method ?? 'POST', headers: headers as Record<string, string>, body })
          .then(async (answer) => res.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer())))
          .catch(() => res.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve).closeAllConnections());
  }
}

type LogLine = Record<string, unknown> & { msg: string };

class SignerProcess {
  readonly lines: LogLine[] = [];
  private stderr = '';
  private readonly child: ChildProcess;

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'signer', 'serve', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let rest = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) {
        try {
          this.lines.push(JSON.parse(p) as LogLine);
        } catch {
          this.lines.push({ msg: p });
        }
      }
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
  }

  log(match: (l: LogLine) => boolean, what: string, ms = 90_000): Promise<LogLine> {
    return waitFor(() => this.lines.find(match), `${what} (signer stderr: ${this.stderr.slice(-500)})`, ms);
  }

  async url(): Promise<string> {
    return String((await this.log((l) => l.msg === 'signer listening', 'the signer to listen')).url);
  }

  async metric(name: string): Promise<number> {
    const text = await (await fetch(`${await this.url()}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    return exited;
  }
}

describe('signgate signer: sign on push with docker-registry notifications', function () {
  this.timeout(120_000);
  const dirs = new TempDirs();
  const relay = new Relay();
  let registry: RunningRegistry | undefined;
  let client: Registry;
  let signer: SignerProcess | undefined;
  let pki: Pki;
  let dir: string;
  let args: string[];
  const images: Record<string, Descriptor> = {};

  const repo = (name: string): Repository => client.repository(`${registry?.host ?? ''}/${name}`);
  const signatures = async (name: string, tag: string) => repo(name).signatureManifests(await repo(name).resolve(tag));
  const signedSoon = (name: string, tag: string) => waitFor(async () => ((await signatures(name, tag)).length > 0 ? signatures(name, tag) : undefined), `a signature on ${name}:${tag} (signer log: ${JSON.stringify(signer?.lines.slice(-8))})`, 30_000);
  const verify = (name: string, tag: string): Promise<CliRun> =>
    cli('verify', `${registry?.host ?? ''}/${name}:${tag}`, '--trust-policy', join(dir, 'policy.json'), '--trust-store', join(dir, 'store'));
  const payloadOf = async (name: string, tag: string): Promise<{ targetArtifact: { digest: string; annotations?: Record<string, string> } }> => {
    const [signature] = await signatures(name, tag);
    const blob = signature?.blobs[0];
    assert.ok(blob);
    assert.equal(blob.mediaType, 'application/jose+json');
    const envelope = JSON.parse(new TextDecoder().decode(await repo(name).fetchBlob(blob, 1 << 20))) as { payload: string };
    return JSON.parse(Buffer.from(envelope.payload, 'base64url').toString()) as { targetArtifact: { digest: string; annotations?: Record<string, string> } };
  };

  before(async function () {
    requireComponent(this, 'docker-registry');
    dir = await dirs.make('signgate-signer-');
    pki = await createPki({ at: new Date() });
    await relay.start();
    registry = await startRegistry({ notifications: { url: `${relay.url}/v1/registry-events`, headers: { Authorization: `Bearer ${TOKEN}` } } });
    client = new Registry({ fetch: fetch as FetchLike, clock: () => new Date(), cache: { ttlMs: 0 } });
    await writeFile(join(dir, 'key.pem'), pki.leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(join(dir, 'chain.pem'), [pki.leaf.pem, pki.intermediate.pem, pki.root.pem].join('\n'));
    await writeFile(join(dir, 'token'), `${TOKEN}\n`);
    await mkdir(join(dir, 'store', 'x509', 'ca', 'signer'), { recursive: true });
    await writeFile(join(dir, 'store', 'x509', 'ca', 'signer', 'root.pem'), pki.root.pem);
    const policy = { name: 'all', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:signer'], trustedIdentities: ['*'] };
    await writeFile(join(dir, 'policy.json'), JSON.stringify({ version: '1.0', trustPolicies: [policy] }));
    const rule = (name: string, namespace: string, extra: string): string =>
      `apiVersion: config.signgate.dev/v1alpha1\nkind: SigningRule\nmetadata: {name: ${name}}\nspec:\n  registry: ${registry?.host ?? ''}\n  namespace: ${namespace}\n  key: {file: {key: key.pem, certificateChain: chain.pem}}\n${extra}`;
    await writeFile(join(dir, 'rules.yaml'), [rule('team-a', 'team-a', '  signatureType: Default\n'), rule('simple', 'simple-ns', '  signatureType: Simple\n  envelope: cose\n')].join('---\n'));
    // there before the rule: its baseline
    images.old = await pushImage(repo('team-a/app'), 'old');
    args = ['--config', join(dir, 'rules.yaml'), '--token-file', join(dir, 'token'), '--state-dir', join(dir, 'state'), '--insecure-listen', '127.0.0.1:0', '--resync-interval', '10m'];
    signer = new SignerProcess(args);
    relay.target = await signer.url();
    await signer.log((l) => typeof l.msg === 'string' && l.msg.startsWith('took the baseline of SigningRule team-a'), 'the baseline of team-a');
  });

  after(async () => {
    await signer?.stop();
    await registry?.stop();
    await relay.stop();
    await dirs.cleanup();
  });

  it('signs a tag pushed into a ruled namespace (Default, JWS: the payload binds the tag) and verifies; an unruled push gets nothing', async () => {
    images.unruled = await pushImage(repo('other/app'), 'v1');
    images.v1 = await pushImage(repo('team-a/app'), 'v1');
    await signedSoon('team-a/app', 'v1');
    const run = await verify('team-a/app', 'v1');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const payload = await payloadOf('team-a/app', 'v1');
    assert.equal(payload.targetArtifact.digest, images.v1.digest);
    assert.deepEqual(payload.targetArtifact.annotations, { 'org.opencontainers.image.ref.name': 'v1' });
    assert.equal((await signatures('other/app', 'v1')).length, 0);
    assert.equal(await signer?.metric('signgate_signer_push_to_signed_seconds_count'), 1);
  });

  it('signs with a Simple COSE rule: digest only, and verifies', async () => {
    await pushImage(repo('simple-ns/app'), 'v1');
    const [signature] = await signedSoon('simple-ns/app', 'v1');
    assert.equal(signature?.blobs[0]?.mediaType, 'application/cose');
    const run = await verify('simple-ns/app', 'v1');
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });

  it('a pushed signature triggers nothing: after a later push is signed, each image has exactly one signature and signatures none', async () => {
    await pushImage(repo('team-a/app'), 'barrier');
    await signedSoon('team-a/app', 'barrier');
    for (const [name, tag] of [['team-a/app', 'v1'], ['simple-ns/app', 'v1'], ['team-a/app', 'barrier']] as const) {
      const list = await signatures(name, tag);
      assert.equal(list.length, 1, `${name}:${tag} has one signature`);
      assert.equal((await repo(name).signatureManifests((list[0] as { descriptor: Descriptor }).descriptor)).length, 0, 'the signature is not signed');
    }
    assert.equal(await signer?.metric('signgate_signer_signings_total{rule="team-a",outcome="signed"}'), 2);
    assert.equal((await signatures('other/app', 'v1')).length, 0);
  });

  it('signs a re-pushed tag again at its new digest (the Default signature binds tag and digest), and an image index at the index digest', async () => {
    const moved = await pushImage(repo('team-a/app'), 'v1', 'new content for v1');
    assert.notEqual(moved.digest, images.v1?.digest);
    await signedSoon('team-a/app', 'v1');
    assert.equal((await payloadOf('team-a/app', 'v1')).targetArtifact.digest, moved.digest);
    const child = await pushImage(repo('team-a/multi'), 'amd64-only', 'amd64 layer');
    const index = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: child.mediaType, digest: child.digest, size: child.size }] }));
    const pushed = await repo('team-a/multi').pushManifest(index, 'application/vnd.oci.image.index.v1+json', { tag: 'v1' });
    const [signature] = await signedSoon('team-a/multi', 'v1');
    assert.equal((await payloadOf('team-a/multi', 'v1')).targetArtifact.digest, pushed.digest, 'the index digest is what is signed');
    assert.ok(signature);
    assert.equal((await verify('team-a/multi', 'v1')).code, 0);
  });

  it('leaves the baseline unsigned; status says so; backfill signs it', async () => {
    assert.equal((await signatures('team-a/app', 'old')).length, 0);
    const status = await cli('signer', 'status', `${registry?.host ?? ''}/team-a`, '--config', join(dir, 'rules.yaml'), '--state-dir', join(dir, 'state'), '--output', 'json');
    assert.equal(status.code, 0, status.stderr);
    const rows = (JSON.parse(status.stdout) as { tags: { repository: string; tag: string; state: string; digest: string }[] }).tags;
    assert.deepEqual(Object.fromEntries(rows.map((r) => [`${r.repository}:${r.tag}`, r.state])), {
      'team-a/app:barrier': 'signed',
      'team-a/app:old': 'baseline',
      'team-a/app:v1': 'signed',
      'team-a/multi:amd64-only': 'signed',
      'team-a/multi:v1': 'signed',
    });
    const dry = await cli('signer', 'backfill', 'team-a', '--config', join(dir, 'rules.yaml'), '--state-dir', join(dir, 'state'), '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /backfill team-a: 5 tags; 1 would be signed, 4 already signed/);
    assert.equal((await signatures('team-a/app', 'old')).length, 0, 'a dry run signs nothing');
    const run = await cli('signer', 'backfill', 'team-a', '--config', join(dir, 'rules.yaml'), '--state-dir', join(dir, 'state'));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /backfill team-a: 5 tags; 1 signed, 4 already signed, 0 skipped, 0 failed/);
    assert.equal((await verify('team-a/app', 'old')).code, 0);
    const after = await cli('signer', 'status', `${registry?.host ?? ''}/team-a/app`, '--config', join(dir, 'rules.yaml'), '--state-dir', join(dir, 'state'), '--output', 'json');
    const old = (JSON.parse(after.stdout) as { tags: { tag: string; state: string }[] }).tags.find((r) => r.tag === 'old');
    assert.equal(old?.state, 'signed', 'a baseline tag that backfill signed reads as signed');
  });

  it('catches a lost event by the resync at start', async () => {
    relay.drop = true;
    const before = relay.dropped.length;
    await pushImage(repo('team-a/app'), 'lost');
    await waitFor(() => relay.dropped.slice(before).some((b) => /"tag":\s*"lost"/.test(b)), 'the registry to send the lost event');
    assert.equal(await signer?.stop(), 0, 'SIGTERM ends the signer with 0');
    signer = new SignerProcess(args);
    relay.target = await signer.url();
    relay.drop = false;
    await signedSoon('team-a/app', 'lost');
    assert.equal((await verify('team-a/app', 'lost')).code, 0);
    assert.equal(await waitFor(async () => (await signer?.metric('signgate_signer_resync_findings_total')) || undefined, 'the resync finding'), 1);
    // the resync at start looked at every tag: what was signed before is covered, not signed twice; the baseline is skipped
    const count = (outcome: string): Promise<number | undefined> => signer?.metric(`signgate_signer_signings_total{rule="team-a",outcome="${outcome}"}`) ?? Promise.resolve(undefined);
    await waitFor(async () => (await count('covered')) === 4 && (await count('skipped')) === 1, 'the resync to find 4 tags covered and the baseline tag skipped');
    assert.equal(await count('signed'), 1, 'only the lost tag is signed');
    for (const tag of ['v1', 'old', 'barrier']) assert.equal((await signatures('team-a/app', tag)).length, 1, `${tag}: no new signature`);
  });

  it('signs on a Harbor PUSH_ARTIFACT webhook, and answers GET /v1/status with the token only', async () => {
    relay.drop = true; // the registry's own notification is lost: only the Harbor-shaped one arrives
    const pushed = await pushImage(repo('team-a/app'), 'harbor');
    const base = (await signer?.url()) ?? '';
    const webhook = {
      type: 'PUSH_ARTIFACT',
      occur_at: 1700000000,
      operator: 'ci',
      event_data: { resources: [{ digest: pushed.digest, tag: 'harbor', resource_url: `${registry?.host ?? ''}/team-a/app:harbor` }], repository: { name: 'app', namespace: 'team-a', repo_full_name: 'team-a/app' } },
    };
    const answer = await fetch(`${base}/v1/registry-events`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(webhook) });
    assert.equal(answer.status, 202);
    assert.deepEqual(await answer.json(), { queued: 1, ignored: 0 });
    await signedSoon('team-a/app', 'harbor');
    relay.drop = false;
    const scope = encodeURIComponent(`${registry?.host ?? ''}/team-a/app`);
    assert.equal((await fetch(`${base}/v1/status?scope=${scope}`)).status, 401);
    const status = await fetch(`${base}/v1/status?scope=${scope}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(status.status, 200);
    const body = (await status.json()) as { tags: { tag: string; state: string }[]; rules: { rule: string; signed: number }[] };
    assert.equal(body.tags.find((t) => t.tag === 'harbor')?.state, 'signed');
    assert.ok((body.rules.find((r) => r.rule === 'team-a')?.signed ?? 0) >= 2);
    const unknown = await fetch(`${base}/v1/status?scope=${encodeURIComponent('elsewhere.example/x')}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /no SigningRule covers elsewhere\.example\/x/);
  });

  it('answers bad notifications with a 4xx naming the problem, signs nothing and stays up', async () => {
    const url = `${(await signer?.url()) ?? ''}/v1/registry-events`;
    const post = async (body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string>): Promise<{ status: number; code?: string; message?: string }> => {
      const answer = await fetch(url, { method: 'POST', headers, body });
      const json = (await answer.json().catch(() => ({}))) as { error?: { code: string; message: string } };
      return { status: answer.status, ...(json.error ?? {}) };
    };
    const type = { 'content-type': 'application/vnd.docker.distribution.events.v1+json' };
    const auth = { authorization: `Bearer ${TOKEN}` };
    const signedBefore = await signer?.metric('signgate_signer_signings_total{rule="team-a",outcome="signed"}');
    const wrong = await post('{"events":[]}', { ...type, authorization: 'Bearer not-the-token-0000000' });
    assert.deepEqual([wrong.status, wrong.code], [401, 'EVENT_UNAUTHENTICATED']);
    const none = await post('{"events":[]}', type);
    assert.deepEqual([none.status, none.code], [401, 'EVENT_UNAUTHENTICATED']);
    const broken = await post('{"events": [', { ...type, ...auth });
    assert.deepEqual([broken.status, broken.code], [400, 'EVENT_MALFORMED']);
    assert.match(broken.message ?? '', /is not JSON \(line 1, column/);
    const huge = await post(new Uint8Array(10 * 1024 * 1024).fill(0x20), { ...type, ...auth });
    assert.deepEqual([huge.status, huge.code], [413, 'EVENT_TOO_LARGE']);
    const plain = await post('hello', { 'content-type': 'text/plain', ...auth });
    assert.deepEqual([plain.status, plain.code], [415, 'EVENT_MEDIA_TYPE']);
    const ghost = {
      events: [{ id: 'ghost', action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'0'.repeat(64)}`, repository: 'team-a/app', tag: 'ghost', url: `http://${registry?.host ?? ''}/v2/team-a/app/manifests/ghost` } }],
    };
    const accepted = await fetch(url, { method: 'POST', headers: { ...type, ...auth }, body: JSON.stringify(ghost) });
    assert.equal(accepted.status, 202);
    assert.deepEqual(await accepted.json(), { queued: 1, ignored: 0 });
    const failure = await signer?.log((l) => l.image === `${registry?.host ?? ''}/team-a/app:ghost`, 'the logged failure of the ghost tag');
    assert.match(String(failure?.error), /tag "ghost" of .*team-a\/app.*404/);
    assert.equal((await fetch(`${(await signer?.url()) ?? ''}/healthz`)).status, 200);
    assert.equal(await signer?.metric('signgate_signer_signings_total{rule="team-a",outcome="signed"}'), signedBefore);
  });
});
