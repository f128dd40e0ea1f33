/**
 * Notation verification throughput: full verifySignature (parse + signature + chain rules + trust store + policy)
 * with a cached trust store, against a floor measured in the same run: the bare crypto.verify of the same signature
 * over the same signed bytes.
 */
import { verify as cryptoVerify, X509Certificate, constants } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode as cborDecode, type Tag } from 'cbor-x';
import { coseSigStructure } from '../provider/src/notation/envelope/index.js';
import {
  openTrustStore,
  parseTrustPolicyDocument,
  signEnvelope,
  verifySignature,
  type TrustPolicyStatement,
} from '../provider/src/notation/index.js';
import { createPki, type KeyKind } from '../test/support/pki.js';
import { measure, type BenchResult } from './measure.js';

const AT = new Date('2025-11-01T00:00:00Z');
const SUBJECT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + '12'.repeat(32), size: 1000 };

/** The bytes the signature covers and the raw signature, recovered from the envelope for the floor. */
function signedBytes(format: 'jws' | 'cose', envelope: Uint8Array): { data: Buffer; signature: Buffer } {
  if (format === 'jws') {
    const jws = JSON.parse(Buffer.from(envelope).toString('utf8')) as { protected: string; payload: string; signature: string };
    return { data: Buffer.from(`${jws.protected}.${jws.payload}`, 'ascii'), signature: Buffer.from(jws.signature, 'base64url') };
  }
  const tag = cborDecode(Buffer.from(envelope)) as Tag;
  const [prot, , payload, signature] = tag.value as [Uint8Array, unknown, Uint8Array, Uint8Array];
  return { data: Buffer.from(coseSigStructure(prot, payload)), signature: Buffer.from(signature) };
}

export async function benchNotation(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'signgate-bench-'));
  const results: BenchResult[] = [];
  try {
    for (const key of ['rsa-3072', 'ec-p256'] as KeyKind[]) {
      const pki = await createPki({ at: AT, leafKey: key });
      const storeDir = join(dir, key, 'x509', 'ca', 'bench');
      await mkdir(storeDir, { recursive: true });
      await writeFile(join(storeDir, 'root.pem'), pki.root.pem);
      const trustStore = openTrustStore(join(dir, key));
      const statement = parseTrustPolicyDocument({
        version: '1.0',
        trustPolicies: [
          { name: 'bench', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:bench'], trustedIdentities: ['*'] },
        ],
      }).trustPolicies[0] as TrustPolicyStatement;
      const leafKey = new X509Certificate(pki.leaf.der).publicKey;
      for (const format of ['jws', 'cose'] as const) {
        const { mediaType, envelope } = await signEnvelope({
          format,
          payload: { targetArtifact: SUBJECT },
          privateKey: pki.leaf.key.privateKey,
          certificateChain: pki.chain,
          signingScheme: 'notary.x509',
          signingTime: new Date(AT.getTime() - 60_000),
        });
        const input = {
          envelope: { mediaType, bytes: envelope },
          subject: SUBJECT,
          artifactReference: `bench.example/app@${SUBJECT.digest}`,
          statement,
          trustStore,
          clock: () => AT,
        };
        const first = await verifySignature(input);
        if (first.error) throw new Error(`bench signature does not verify: ${first.error.message}`);
        const { data, signature } = signedBytes(format, envelope);
        const hash = key === 'rsa-3072' ? 'sha384' : 'sha256';
        const keyOpts = key.startsWith('rsa')
          ? { key: leafKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }
          : { key: leafKey, dsaEncoding: 'ieee-p1363' as const };
        if (!cryptoVerify(hash, data, keyOpts, signature)) throw new Error(`floor signature check failed for ${format} ${key}`);
        const floor = await measure(() => {
          cryptoVerify(hash, data, keyOpts, signature);
        });
        const full = await measure(async () => {
          await verifySignature(input);
        });
        results.push({
          name: `notation verify ${format} ${key} (cached trust store)`,
          value: full.opsPerSecond,
          unit: 'verifications/s',
          floor: floor.opsPerSecond,
          floorName: 'bare crypto.verify of the same signature',
          ratio: floor.opsPerSecond / full.opsPerSecond,
          goal: 3,
        });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
