/**
 * Signing throughput through each key-custody door, each as a cost ratio to the key-file path measured in the same
 * run: a PEM key in memory, an EC P-256 key on a SoftHSM2 token (PKCS#11, one logged-in session), and a Notation
 * plugin (SIGNATURE_GENERATOR.RAW, one process per signature as the contract requires). Same key type and JWS
 * envelope for all three; every door's signature is checked by the seam before it counts.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSigner, type EnvelopeSigner } from '../provider/src/keys/index.js';
import { installPlugin } from '../test/support/notationPlugins.js';
import { createKeyPair, createPki } from '../test/support/pki.js';
import { SOFTHSM2_MODULE } from '../test/support/requirements.js';
import { createSoftHsm } from '../test/support/softhsm.js';
import { measure, type BenchResult } from './measure.js';

const AT = new Date('2026-01-01T00:00:00Z');
const REQUEST = {
  format: 'jws',
  payload: { targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'12'.repeat(32)}`, size: 1000 } },
  signingScheme: 'notary.x509',
  signingTime: AT,
} as const;

export async function benchSigning(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'signgate-bench-signing-'));
  const signers: EnvelopeSigner[] = [];
  const results: BenchResult[] = [];
  try {
    const filePki = await createPki({ at: AT, leaf: { key: await createKeyPair('ec-p256') } });
    const file = await openSigner({ kind: 'file', privateKey: filePki.leaf.key.privateKey, certificateChain: filePki.chain, description: 'bench key' });
    signers.push(file);
    const floor = await measure(() => file.sign(REQUEST));
    const row = (name: string, rate: number, unit = 'signatures/s'): BenchResult => ({
      name,
      value: rate,
      unit,
      floor: floor.opsPerSecond,
      floorName: 'key file (PEM key in memory), same key type',
      ratio: floor.opsPerSecond / rate,
    });
    results.push(row('sign jws EC P-256: key file', floor.opsPerSecond));

    if (existsSync(SOFTHSM2_MODULE)) {
      const hsm = await createSoftHsm();
      try {
        const pki = await createPki({ at: AT, leaf: { key: await hsm.generate('ec-p256', 'bench', '01') } });
        const uri = `pkcs11:token=${hsm.token};object=bench?module-path=${hsm.modulePath}&pin-value=${hsm.pin}`;
        const token = await openSigner({ kind: 'pkcs11', uri, certificateChain: pki.chain });
        signers.push(token);
        results.push(row('sign jws EC P-256: PKCS#11 (SoftHSM2)', (await measure(() => token.sign(REQUEST))).opsPerSecond));
      } finally {
        for (const s of signers.splice(1)) await s.close();
        await hsm.stop();
      }
    } else {
      process.stdout.write('sign jws EC P-256: PKCS#11 (SoftHSM2): skipped, softhsm2 is not installed (.ci/deps installs it)\n');
    }

    await installPlugin(join(dir, 'plugins'), 'com.example.bench', 'raw', filePki);
    const plugin = await openSigner({ kind: 'plugin', name: 'com.example.bench', keyId: 'test-key', pluginDir: join(dir, 'plugins'), timeoutMs: 30_000, env: { PATH: process.env['PATH'] ?? '' } });
    results.push(row('sign jws EC P-256: Notation plugin (one node process per signature)', (await measure(() => plugin.sign(REQUEST), 3000)).opsPerSecond));
  } finally {
    for (const s of signers) await s.close();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}
