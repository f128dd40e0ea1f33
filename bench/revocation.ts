/**
 * Revocation cost. Warm: full verifySignature with revocation checking whose OCSP answers are cached, against the
 * same verification without revocation checking, in the same run (goal: at most 1.2x). Cold: one CRL download +
 * parse + signature check of a 10,000-entry CRL made by `openssl ca -gencrl`, served on loopback, with a fresh
 * checker each time (no cache).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  createMemoryTrustStore,
  createRevocationChecker,
  createRevocationFetch,
  parseTrustPolicyDocument,
  readTrustedCertificates,
  signEnvelope,
  verifySignature,
  type TrustPolicyStatement,
} from '../provider/src/notation/index.js';
import { parseCertificate } from '../provider/src/notation/x509/index.js';
import { createRevocationPki } from '../test/support/revocation.js';
import { measure, type BenchResult } from './measure.js';

const SUBJECT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'34'.repeat(32)}`, size: 1000 };
const CRL_ENTRIES = 10_000;

/** Appends `count` revoked entries to an openssl CA index (the format `openssl ca` writes). */
async function revokeMany(indexPath: string, count: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const serial = `7F${randomBytes(15).toString('hex').toUpperCase()}`;
    lines.push(`R\t301231235959Z\t250101000000Z,superseded\t${serial}\tunknown\t/CN=bench ${i}`);
  }
  await writeFile(indexPath, `${lines.join('\n')}\n`, { flag: 'a' });
}

export async function benchRevocation(): Promise<BenchResult[]> {
  const pki = await createRevocationPki();
  try {
    const leaf = await pki.intermediate.issue('bench', '/C=US/ST=WA/O=signgate/CN=bench', 'leaf');
    const crlLeaf = await pki.intermediate.issue('benchcrl', '/C=US/ST=WA/O=signgate/CN=bench crl', 'leaf', { crl: true });
    await pki.publishCrls();
    await pki.startResponders();
    const roots = readTrustedCertificates(new TextEncoder().encode(pki.root.cert.pem), 'root.pem');
    const trustStore = createMemoryTrustStore([{ type: 'ca', name: 'bench', certificates: roots }]);
    const statement = parseTrustPolicyDocument({
      version: '1.0',
      trustPolicies: [{ name: 'bench', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:bench'], trustedIdentities: ['*'] }],
    }).trustPolicies[0] as TrustPolicyStatement;
    const { mediaType, envelope } = await signEnvelope({
      format: 'jws',
      payload: { targetArtifact: SUBJECT },
      privateKey: leaf.privateKey,
      certificateChain: pki.chainFor(leaf),
      signingScheme: 'notary.x509',
      signingTime: new Date(Date.now() - 60_000),
    });
    const clock = (): Date => new Date();
    const checker = createRevocationChecker({ clock, fetch: createRevocationFetch(fetch) });
    const base = { envelope: { mediaType, bytes: envelope }, subject: SUBJECT, artifactReference: `bench.example/app@${SUBJECT.digest}`, statement, trustStore, clock };
    const withRevocation = { ...base, revocation: { checker } };
    const primed = await verifySignature(withRevocation);
    if (primed.error) throw new Error(`bench signature does not verify with revocation: ${primed.error.message}`);
    if (!primed.results.some((r) => r.type === 'revocation' && r.note?.startsWith('not revoked'))) throw new Error('revocation was not checked');
    // Alternating rounds, best of each: the machine is shared, and a burst of other work must not land on one side only.
    let plain = { opsPerSecond: 0 };
    let warm = { opsPerSecond: 0 };
    for (let round = 0; round < 3; round++) {
      const p = await measure(async () => {
        await verifySignature(base);
      }, 500);
      const w = await measure(async () => {
        await verifySignature(withRevocation);
      }, 500);
      if (p.opsPerSecond > plain.opsPerSecond) plain = p;
      if (w.opsPerSecond > warm.opsPerSecond) warm = w;
    }

    await revokeMany(join(pki.intermediate.dir, 'index.txt'), CRL_ENTRIES);
    pki.server.crls.set('intermediate', await pki.intermediate.crl());
    const crlBytes = pki.server.crls.get('intermediate')?.byteLength ?? 0;
    const chain = pki.chainFor(crlLeaf).map((der) => parseCertificate(der));
    const cold = async (): Promise<void> => {
      const fresh = createRevocationChecker({ clock, fetch: createRevocationFetch(fetch) });
      // leaf and issuer only: the issuer is last, so it is not checked and only the leaf's CRL is fetched
      const [r] = await fresh.checkChain(chain.slice(0, 2));
      if (r?.status !== 'ok') throw new Error(`cold CRL check gave ${r?.status ?? 'nothing'}: ${JSON.stringify(r?.servers)}`);
    };
    await cold();
    const rounds = 20;
    const start = performance.now();
    for (let i = 0; i < rounds; i++) await cold();
    const coldMs = (performance.now() - start) / rounds;
    return [
      {
        name: 'notation verify jws ec-p256 with revocation (warm OCSP cache)',
        value: warm.opsPerSecond,
        unit: 'verifications/s',
        floor: plain.opsPerSecond,
        floorName: 'the same verification without revocation checking',
        ratio: plain.opsPerSecond / warm.opsPerSecond,
        goal: 1.2,
      },
      {
        name: `cold CRL check: download + parse + signature of a ${CRL_ENTRIES}-entry CRL (${Math.round(crlBytes / 1024)} KiB over loopback HTTP, fresh checker each time)`,
        value: coldMs,
        unit: 'ms',
      },
    ];
  } finally {
    await pki.close();
  }
}
