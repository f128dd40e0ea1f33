/**
 * The registry cold path (issue 3): verify N distinct signed images (N = 1 and 100, one signature each) from a local
 * docker-registry with a fresh client, nothing cached, one image after the other. Reported: wall time, registry round
 * trips per image, and the ratio to a floor measured in the same run: the same HTTP requests issued back to back by a
 * bare client (HEAD the tag, GET the sha256-<hex> referrers index, GET the signature manifest, GET the envelope) plus
 * the bare crypto.verify of each signature. Run once with cross-fetch and once with Node's built-in fetch, so the
 * faster one can be the default (oci/README.md records the ratio). Goal: at most 1.3x the floor, and at most 4 round
 * trips per image (resolve + referrers + signature manifest + signature blob).
 */
import { verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import crossFetch from 'cross-fetch';
import { openTrustStore, parseTrustPolicyDocument } from '../provider/src/notation/index.js';
import { Registry, type Descriptor, type FetchLike } from '../provider/src/oci/index.js';
import { verifyArtifact } from '../provider/src/verify/index.js';
import { startRegistry } from '../test/support/registry.js';
import { componentPath } from '../test/support/requirements.js';
import { AT, TempDirs, pushImage, signImage, testPki } from '../test/unit/verify/fixtures.js';
import type { BenchResult } from './measure.js';

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';
type Fetch = (url: string, init?: { method?: string; headers?: Record<string, string> }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

interface Image {
  readonly tag: string;
  readonly subject: Descriptor;
}

/** The floor: the four requests of one image back to back with a bare client, then the bare signature check. */
async function bareVerify(f: Fetch, base: string, image: Image, key: KeyObject): Promise<void> {
  const head = await f(`${base}/manifests/${image.tag}`, { method: 'HEAD', headers: { accept: ACCEPT } });
  const digest = head.headers.get('docker-content-digest') ?? '';
  await head.arrayBuffer();
  const index = JSON.parse(Buffer.from(await (await f(`${base}/manifests/${digest.replace(':', '-')}`, { headers: { accept: ACCEPT } })).arrayBuffer()).toString()) as { manifests: { digest: string }[] };
  const sig = index.manifests[0]?.digest ?? '';
  const manifest = JSON.parse(Buffer.from(await (await f(`${base}/manifests/${sig}`, { headers: { accept: ACCEPT } })).arrayBuffer()).toString()) as { layers: { digest: string }[] };
  const envelope = Buffer.from(await (await f(`${base}/blobs/${manifest.layers[0]?.digest ?? ''}`)).arrayBuffer());
  const jws = JSON.parse(envelope.toString()) as { protected: string; payload: string; signature: string };
  const ok = cryptoVerify('sha256', Buffer.from(`${jws.protected}.${jws.payload}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(jws.signature, 'base64url'));
  if (!ok) throw new Error('floor: the signature does not verify');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

export async function benchRegistry(): Promise<BenchResult[]> {
  if (componentPath('docker-registry') === undefined) {
    process.stdout.write('registry cold path: skipped (docker-registry not installed; .ci/deps installs it)\n');
    return [];
  }
  const dirs = new TempDirs();
  const registry = await startRegistry();
  try {
    const pki = await testPki();
    const leafKey = new X509Certificate(pki.leaf.der).publicKey;
    const setup = new Registry({ fetch: fetch as FetchLike, clock: () => AT }).repository(`${registry.host}/bench/cold`);
    const images: Image[] = [];
    for (let i = 0; i < 100; i++) {
      const subject = await pushImage(setup, `v${i}`, `cold layer ${i}`);
      await signImage(setup, subject, pki);
      images.push({ tag: `v${i}`, subject });
    }
    const trustPolicy = parseTrustPolicyDocument({
      version: '1.0',
      trustPolicies: [{ name: 'bench', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:bench'], trustedIdentities: ['*'] }],
    });
    const storeDir = await dirs.make('signgate-bench-store-');
    await mkdir(`${storeDir}/x509/ca/bench`, { recursive: true });
    await writeFile(`${storeDir}/x509/ca/bench/root.pem`, pki.root.pem);
    const trustStore = openTrustStore(storeDir);
    const base = `http://${registry.host}/v2/bench/cold`;
    const results: BenchResult[] = [];
    const fetches: [string, FetchLike][] = [
      ['cross-fetch', crossFetch as unknown as FetchLike],
      ['node fetch', fetch as FetchLike],
    ];
    const wallByFetch: Record<string, number> = {};
    for (const [fetchName, f] of fetches) {
      for (const n of [1, 100]) {
        const rounds = n === 1 ? 15 : 5;
        const times: number[] = [];
        const floors: number[] = [];
        let trips = 0;
        for (let r = 0; r < rounds; r++) {
          const batch = n === 1 ? [images[r % images.length] as Image] : images;
          const client = new Registry({ fetch: f, clock: () => AT, retry: { retries: 0 } });
          const t0 = performance.now();
          for (const image of batch) {
            const repo = client.repository(`${registry.host}/bench/cold:${image.tag}`);
            const subject = await repo.resolve();
            const result = await verifyArtifact({
              source: repo,
              subject,
              artifactReference: `${registry.host}/bench/cold@${subject.digest}`,
              trustPolicy,
              trustStore,
              clock: () => AT,
            });
            if (result.kind !== 'verified') throw new Error(`cold path: ${image.tag} did not verify`);
          }
          times.push(performance.now() - t0);
          trips = client.stats().requests / batch.length;
          client.close();
          const f0 = performance.now();
          for (const image of batch) await bareVerify(f as unknown as Fetch, base, image, leafKey);
          floors.push(performance.now() - f0);
        }
        const wall = median(times);
        const floor = median(floors);
        if (n === 100) wallByFetch[fetchName] = wall;
        results.push({
          name: `registry cold path, ${n} image(s), ${fetchName}: ${wall.toFixed(1)} ms wall, ${trips.toFixed(2)} round trips/image`,
          value: (n * 1000) / wall,
          unit: 'images/s',
          floor: (n * 1000) / floor,
          floorName: 'bare client, same requests + crypto.verify',
          ratio: wall / floor,
          goal: 1.3,
        });
      }
    }
    const cf = wallByFetch['cross-fetch'] ?? 0;
    const nf = wallByFetch['node fetch'] ?? 0;
    results.push({ name: `fetch choice, 100 images: cross-fetch / node fetch wall time = ${(cf / nf).toFixed(2)} (default: ${cf <= nf ? 'cross-fetch' : 'node fetch would be faster'})`, value: cf / nf, unit: 'ratio' });
    return results;
  } finally {
    await registry.stop();
    await dirs.cleanup();
  }
}
