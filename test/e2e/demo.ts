/**
 * `npm run demo`: mints a throwaway PKI, signs a small image into an OCI image layout under .demo/, writes a
 * Notation trust store and trust policy, and runs `signgate verify` on it twice: once trusted (exit 0) and once
 * with a trust policy that expects another signer identity (exit 1), showing what a refusal says.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { signEnvelope } from '../../provider/src/notation/index.js';
import { LayoutWriter } from '../support/layout.js';
import { createPki } from '../support/pki.js';

const root = join(process.cwd(), '.demo');
await rm(root, { recursive: true, force: true });
const now = new Date();
const pki = await createPki({ at: now, leafKey: 'ec-p256' });
const layout = await new LayoutWriter(join(root, 'layout')).init();
const image = await layout.image('v1');
const { mediaType, envelope } = await signEnvelope({
  format: 'jws',
  payload: { targetArtifact: image },
  privateKey: pki.leaf.key.privateKey,
  certificateChain: pki.chain,
  signingScheme: 'notary.x509',
  signingTime: now,
  expiry: new Date(now.getTime() + 24 * 3600_000),
});
await layout.signature(image, mediaType, envelope);
await layout.writeIndex();
await mkdir(join(root, 'truststore', 'x509', 'ca', 'demo'), { recursive: true });
await writeFile(join(root, 'truststore', 'x509', 'ca', 'demo', 'root.pem'), pki.root.pem);
const policy = (identity: string): string =>
  JSON.stringify(
    {
      version: '1.0',
      trustPolicies: [
        { name: 'demo', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:demo'], trustedIdentities: [identity] },
      ],
    },
    null,
    2,
  );
await writeFile(join(root, 'trustpolicy.json'), policy('x509.subject: C=US, ST=WA, O=signgate'));
await writeFile(join(root, 'trustpolicy-other.json'), policy('x509.subject: C=US, ST=WA, O=someone else'));

const rel = (p: string): string => relative(process.cwd(), p);
for (const file of ['trustpolicy.json', 'trustpolicy-other.json']) {
  const args = ['verify', '--oci-layout', `${rel(join(root, 'layout'))}:v1`, '--trust-policy', rel(join(root, file)), '--trust-store', rel(join(root, 'truststore'))];
  process.stdout.write(`\n$ signgate ${args.join(' ')}\n`);
  const run = spawnSync(process.execPath, ['dist/provider/src/cli/main.js', ...args], { encoding: 'utf8' });
  process.stdout.write(run.stdout + run.stderr + `(exit ${run.status})\n`);
}
