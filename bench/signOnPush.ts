/**
 * Sign on push (issue 12), end to end with real parts: Debian's docker-registry with two `notifications` endpoints,
 * one for `signgate signer serve` (its own process, --insecure-listen, a key-file SigningRule) and one that records
 * when each signature becomes visible: the push event of the subject's referrers tag (`sha256-<hex>`), which the
 * signer pushes last. Between the registry and the signer sits a pass-through (the registry's endpoints are fixed at
 * its start, before the signer's port is known); it costs one loopback hop.
 *
 * - push-to-signed: 100 images pushed one after the other, each once the previous one is signed; the latency runs
 *   from the answer to the manifest PUT to the referrers-tag event. p50 and p99.
 * - the floor, in the same run: `signgate sign` alone (the CLI's code path, in process: resolve, sign, push the
 *   signature and the referrers tag), 30 images, p50 and p99.
 * - backfill: 500 tags (distinct images) pushed before the rule exists, then `signgate signer backfill` (in process,
 *   default --concurrency 4): tags/s over the command's wall time (setup, listing, signing), beside the floor's rate.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Registry, type FetchLike, type Repository } from '../provider/src/oci/index.js';
import { cli } from '../test/support/cli.js';
import { createPki } from '../test/support/pki.js';
import { startRegistry } from '../test/support/registry.js';
import { componentPath } from '../test/support/requirements.js';
import { startServeProcess } from '../test/support/serveProcess.js';
import { SIGNER_TOKEN, writeSignerFiles } from '../test/support/signerFiles.js';
import { TempDirs, pushImage } from '../test/unit/verify/fixtures.js';
import type { BenchResult } from './measure.js';

const PUSHES = 100;
const WARM_UP = 3;
const FLOOR_SIGNS = 30;
const BACKFILL_TAGS = 500;
const SIGNED_WITHIN_MS = 60_000;

const percentile = (xs: readonly number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? 0;

/**
 * The registry's two endpoints on one loopback server: `/v1/registry-events` passed through to the signer, and
 * `/record`, which notes when the referrers tag of each subject was first pushed (`repository@sha256:<hex>`).
 */
class NotificationTap {
  signerUrl: string | undefined;
  private readonly signedAt = new Map<string, number>();
  private readonly waiting = new Map<string, () => void>();
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url === '/record') {
        this.record(performance.now(), body.toString('utf8'));
        res.writeHead(200).end();
        return;
      }
      if (this.signerUrl === undefined) {
        res.writeHead(503).end(); // the registry retries until the signer listens
        return;
      }
      fetch(`${this.signerUrl}/v1/registry-events`, { method: 'POST', headers: { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? '' }, body })
        .then(async (answer) => res.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer())))
        .catch(() => res.writeHead(502).end());
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private record(at: number, text: string): void {
    const { events } = JSON.parse(text) as { events: { action?: string; target?: { repository?: string; tag?: string } }[] };
    for (const { action, target } of events) {
      const hex = /^sha256-([0-9a-f]{64})$/.exec(target?.tag ?? '')?.[1];
      if (action !== 'push' || hex === undefined) continue;
      const key = `${target?.repository ?? ''}@sha256:${hex}`;
      if (this.signedAt.has(key)) continue;
      this.signedAt.set(key, at);
      this.waiting.get(key)?.();
    }
  }

  /** performance.now() at which the referrers tag of `repository@digest` was pushed. */
  signed(repository: string, digest: string): Promise<number> {
    const key = `${repository}@${digest}`;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting.delete(key);
        resolve(this.signedAt.get(key) as number);
      };
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`${key} was not signed within ${SIGNED_WITHIN_MS} ms`));
      }, SIGNED_WITHIN_MS);
      if (this.signedAt.has(key)) done();
      else this.waiting.set(key, done);
    });
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve).closeAllConnections());
  }
}

export async function benchSignOnPush(): Promise<BenchResult[]> {
  if (componentPath('docker-registry') === undefined) {
    process.stdout.write('sign on push: skipped (docker-registry not installed; .ci/deps installs it)\n');
    return [];
  }
  const dirs = new TempDirs();
  const tap = new NotificationTap();
  await tap.start();
  const auth = { Authorization: `Bearer ${SIGNER_TOKEN}` };
  const registry = await startRegistry({ notifications: [{ url: `${tap.url}/v1/registry-events`, headers: auth }, { url: `${tap.url}/record` }] });
  const client = new Registry({ fetch: fetch as FetchLike, clock: () => new Date(), cache: { ttlMs: 0 } });
  const repo = (name: string): Repository => client.repository(`${registry.host}/${name}`);
  const run = randomBytes(4).toString('hex'); // distinct content per run
  /**
   * `count` images tagged v0.., 20 at a time. The first alone: its config blob (the same in every image) then exists
   * and the others skip it, for docker-registry 2.8 can refuse a manifest whose blob another client is uploading.
   */
  const pushMany = async (name: string, count: number, text: (i: number) => string): Promise<void> => {
    await pushImage(repo(name), 'v0', text(0));
    for (let i = 1; i < count; i += 20) await Promise.all(Array.from({ length: Math.min(20, count - i) }, (_, j) => pushImage(repo(name), `v${i + j}`, text(i + j))));
  };
  let signer: ReturnType<typeof startServeProcess> | undefined;
  try {
    const dir = await dirs.make('signgate-bench-sign-on-push-');
    const pki = await createPki({ at: new Date() });
    await Promise.all(['serve', 'backfill'].map((d) => mkdir(join(dir, d))));
    const serveFiles = await writeSignerFiles(join(dir, 'serve'), registry.host, pki, [{ name: 'bench', namespace: 'bench' }]);
    const fillFiles = await writeSignerFiles(join(dir, 'backfill'), registry.host, pki, [{ name: 'fill', namespace: 'fill' }]);

    signer = startServeProcess([...serveFiles.args, '--insecure-listen', '127.0.0.1:0'], {}, ['signer', 'serve']);
    await signer.waitForLog((l) => l.msg.startsWith('took the baseline of SigningRule bench'), 'the baseline of SigningRule bench');
    tap.signerUrl = (await signer.waitForStderr(/listening on (\S+),/, 'the signer to listen'))[1];

    const latencies: number[] = [];
    for (let i = 0; i < WARM_UP + PUSHES; i++) {
      const subject = await pushImage(repo('bench/app'), `v${i}`, `sign on push ${run} ${i}`);
      const pushed = performance.now();
      const signed = await tap.signed('bench/app', subject.digest);
      if (i >= WARM_UP) latencies.push(signed - pushed);
    }

    const floor: number[] = [];
    const key = join(dir, 'serve', 'key.pem');
    const chain = join(dir, 'serve', 'chain.pem');
    await pushMany('floor/app', FLOOR_SIGNS + WARM_UP, (i) => `floor ${run} ${i}`);
    for (let i = 0; i < FLOOR_SIGNS + WARM_UP; i++) {
      const start = performance.now();
      const signed = await cli('sign', `${registry.host}/floor/app:v${i}`, '--key', key, '--cert', chain);
      if (signed.code !== 0) throw new Error(`signgate sign failed: ${signed.stderr}`);
      if (i >= WARM_UP) floor.push(performance.now() - start);
    }

    await pushMany('fill/app', BACKFILL_TAGS, (i) => `backfill ${run} ${i}`);
    const start = performance.now();
    const backfill = await cli('signer', 'backfill', 'fill', '--config', fillFiles.rulesFile, '--state-dir', fillFiles.stateDir);
    const seconds = (performance.now() - start) / 1000;
    // a failed tag is reported, not hidden: docker-registry 2.8 can refuse a signature manifest whose config blob
    // another lane uploaded at the same moment (MANIFEST_BLOB_UNKNOWN); exit code 1 says so and a rerun signs it
    const summary = /: (\d+) tags; (\d+) signed, .*, (\d+) failed\n/.exec(backfill.stdout);
    if (summary === null || summary[1] !== String(BACKFILL_TAGS)) throw new Error(`backfill did not run over ${BACKFILL_TAGS} tags: ${backfill.stdout}${backfill.stderr}`);
    const [signedTags, failedTags] = [Number(summary[2]), Number(summary[3])];

    const [p50, p99, f50, f99] = [percentile(latencies, 50), percentile(latencies, 99), percentile(floor, 50), percentile(floor, 99)];
    const floorName = `signgate sign alone, ${FLOOR_SIGNS} images`;
    return [
      { name: `push-to-signed p50 over ${PUSHES} pushes (docker-registry -> signer serve, key file, JWS)`, value: p50, unit: 'ms', floor: f50, floorName: `${floorName}, p50`, ratio: p50 / f50 },
      { name: `push-to-signed p99 over ${PUSHES} pushes`, value: p99, unit: 'ms', floor: f99, floorName: `${floorName}, p99`, ratio: p99 / f99 },
      {
        name: `signgate signer backfill, ${BACKFILL_TAGS} tags (${seconds.toFixed(1)} s; ${signedTags} signed, ${failedTags} failed)`,
        value: signedTags / seconds,
        unit: 'tags/s',
        floor: 1000 / f50,
        floorName: 'signgate sign alone, one after the other (1000 / p50)',
        ratio: 1000 / f50 / (signedTags / seconds),
      },
    ];
  } finally {
    if (signer !== undefined) {
      signer.child.kill('SIGTERM');
      await signer.exit(10_000).catch(() => signer?.kill());
    }
    client.close();
    await registry.stop();
    await tap.stop();
    await dirs.cleanup();
  }
}
