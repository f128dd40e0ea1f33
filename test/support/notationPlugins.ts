/**
 * Notation signing plugins written for the test suite from the Notary Project plugin-extensibility specification
 * (contract 1.0), independent of signgate's code: a small node script per plugin, `<dir>/<name>/notation-<name>`,
 * made executable. It reads its key (PKCS#8 PEM) and chain (JSON list of base64 DER) from files beside it. `mode`
 * picks honest or hostile behaviour.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pki } from './pki.js';

export type PluginMode =
  | 'raw' // SIGNATURE_GENERATOR.RAW, honest
  | 'envelope' // SIGNATURE_GENERATOR.ENVELOPE, honest (JWS only)
  | 'other-bytes' // RAW, signs other bytes than it was given
  | 'other-chain' // RAW, returns a chain for another key (`otherChain`)
  | 'wrong-algorithm' // RAW, claims ECDSA-SHA-384 for an EC-256 key
  | 'pkcs1' // RAW, answers RSASSA-PKCS1-v1_5-SHA-256
  | 'access-denied' // exit 1 with {"errorCode":"ACCESS_DENIED"}
  | 'hang' // never answers generate-signature
  | 'huge' // writes more than the output limit to stdout
  | 'garbage' // exit 0 with output that is not JSON
  | 'crash' // exit 3 with a stack trace on stderr
  | 'verifier-only' // capabilities: SIGNATURE_VERIFIER.TRUSTED_IDENTITY only
  | 'contract-2' // supportedContractVersions ["2.0"]
  | 'envelope-other-digest'; // ENVELOPE, signs a descriptor with another digest

const SCRIPT = String.raw`
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const MODE = '__MODE__';
const here = path.dirname(fs.realpathSync(process.argv[1]));
const NAME = path.basename(here);
const key = crypto.createPrivateKey(fs.readFileSync(path.join(here, 'key.pem')));
const chain = JSON.parse(fs.readFileSync(path.join(here, MODE === 'other-chain' ? 'other-chain.json' : 'chain.json'), 'utf8'));
const rsa = key.asymmetricKeyType === 'rsa';
const bits = rsa ? key.asymmetricKeyDetails.modulusLength : { prime256v1: 256, secp384r1: 384, secp521r1: 521 }[key.asymmetricKeyDetails.namedCurve];
const keySpec = (rsa ? 'RSA-' : 'EC-') + bits;
const hash = { 2048: 'SHA-256', 3072: 'SHA-384', 4096: 'SHA-512', 256: 'SHA-256', 384: 'SHA-384', 521: 'SHA-512' }[bits];
const alg = (rsa ? 'RSASSA-PSS-' : 'ECDSA-') + hash;
const jwsAlg = (rsa ? 'PS' : 'ES') + hash.slice(4);
const nodeHash = hash.replace('-', '').toLowerCase();
function rawSign(bytes) {
  const opts = rsa ? { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(hash.slice(4)) / 8 } : { key, dsaEncoding: 'ieee-p1363' };
  return crypto.sign(nodeHash, bytes, opts);
}
function fail(code, message) {
  process.stderr.write(JSON.stringify({ errorCode: code, errorMessage: message }));
  process.exit(1);
}
const command = process.argv[2];
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const req = input ? JSON.parse(input) : {};
  if (command === 'get-plugin-metadata') {
    const envelope = MODE === 'envelope' || MODE === 'envelope-other-digest';
    const capabilities = MODE === 'verifier-only' ? ['SIGNATURE_VERIFIER.TRUSTED_IDENTITY'] : [envelope ? 'SIGNATURE_GENERATOR.ENVELOPE' : 'SIGNATURE_GENERATOR.RAW'];
    const versions = MODE === 'contract-2' ? ['2.0'] : ['1.0'];
    return process.stdout.write(JSON.stringify({ name: NAME, description: 'test plugin ' + MODE, version: '1.0.0', url: 'https://example.test', supportedContractVersions: versions, capabilities }));
  }
  if (req.contractVersion !== '1.0') fail('UNSUPPORTED_CONTRACT_VERSION', 'contract ' + req.contractVersion);
  if (req.keyId !== 'test-key') fail('VALIDATION_ERROR', 'unknown key ' + req.keyId);
  if (MODE === 'access-denied') fail('ACCESS_DENIED', 'the caller may not use key test-key');
  if (command === 'describe-key') return process.stdout.write(JSON.stringify({ keyId: req.keyId, keySpec }));
  if (command === 'generate-signature') {
    if (MODE === 'hang') return setInterval(() => {}, 1000);
    if (MODE === 'huge') { const block = 'x'.repeat(1 << 20); for (let i = 0; i < 80; i++) process.stdout.write(block); return; }
    if (MODE === 'garbage') return process.stdout.write('<html>not json</html>');
    if (MODE === 'crash') { process.stderr.write('panic: runtime error\ngoroutine 1 [running]'); process.exit(3); }
    if (req.keySpec !== keySpec || req.hashAlgorithm !== hash) fail('VALIDATION_ERROR', 'keySpec/hashAlgorithm ' + req.keySpec + '/' + req.hashAlgorithm);
    let payload = Buffer.from(req.payload, 'base64');
    if (MODE === 'other-bytes') payload = Buffer.concat([payload, Buffer.from(' ')]);
    const signingAlgorithm = MODE === 'wrong-algorithm' ? 'ECDSA-SHA-384' : MODE === 'pkcs1' ? 'RSASSA-PKCS1-v1_5-SHA-256' : alg;
    return process.stdout.write(JSON.stringify({ keyId: req.keyId, signature: rawSign(payload).toString('base64'), signingAlgorithm, certificateChain: chain }));
  }
  if (command === 'generate-envelope') {
    if (req.signatureEnvelopeType !== 'application/jose+json') fail('VALIDATION_ERROR', 'only application/jose+json');
    if (req.payloadType !== 'application/vnd.cncf.notary.payload.v1+json') fail('VALIDATION_ERROR', 'payloadType ' + req.payloadType);
    let payload = Buffer.from(req.payload, 'base64');
    if (MODE === 'envelope-other-digest') {
      const doc = JSON.parse(payload.toString('utf8'));
      doc.targetArtifact.digest = 'sha256:' + '0'.repeat(64);
      payload = Buffer.from(JSON.stringify(doc));
    }
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const header = { alg: jwsAlg, crit: ['io.cncf.notary.signingScheme'], cty: 'application/vnd.cncf.notary.payload.v1+json', 'io.cncf.notary.signingScheme': 'notary.x509', 'io.cncf.notary.signingTime': now.toISOString().replace('.000Z', 'Z') };
    if (req.expiryDurationInSeconds) {
      header.crit.push('io.cncf.notary.expiry');
      header['io.cncf.notary.expiry'] = new Date(now.getTime() + req.expiryDurationInSeconds * 1000).toISOString().replace('.000Z', 'Z');
    }
    const protectedB64 = Buffer.from(JSON.stringify(header)).toString('base64url');
    const payloadB64 = payload.toString('base64url');
    const signature = rawSign(Buffer.from(protectedB64 + '.' + payloadB64)).toString('base64url');
    const jws = { payload: payloadB64, protected: protectedB64, header: { x5c: chain, 'io.cncf.notary.signingAgent': 'test-plugin/1.0' }, signature };
    return process.stdout.write(JSON.stringify({ signatureEnvelope: Buffer.from(JSON.stringify(jws)).toString('base64'), signatureEnvelopeType: req.signatureEnvelopeType, annotations: { 'org.example.plugin': NAME } }));
  }
  fail('VALIDATION_ERROR', 'unknown command ' + command);
});
`;

/** Installs plugin `name` with `mode` under `pluginDir`, signing with the pki's leaf key. */
export async function installPlugin(pluginDir: string, name: string, mode: PluginMode, pki: Pki, otherChain?: readonly Uint8Array[]): Promise<string> {
  const dir = join(pluginDir, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'key.pem'), pki.leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const b64 = (chain: readonly Uint8Array[]) => JSON.stringify(chain.map((der) => Buffer.from(der).toString('base64')));
  await writeFile(join(dir, 'chain.json'), b64(pki.chain));
  if (otherChain) await writeFile(join(dir, 'other-chain.json'), b64(otherChain));
  const file = join(dir, `notation-${name}`);
  await writeFile(file, `#!${process.execPath}\n${SCRIPT.replaceAll('__MODE__', mode)}`);
  await chmod(file, 0o755);
  return file;
}
