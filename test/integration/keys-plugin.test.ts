/**
 * The Notation plugin door (contract 1.0) with plugins written for the test suite from the specification: honest RAW
 * and ENVELOPE plugins produce envelopes that verify; every hostile answer is refused with a coded error naming the
 * plugin, before any envelope exists.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyError, openSigner, type KeyErrorCode } from '../../provider/src/keys/index.js';
import { parseEnvelope } from '../../provider/src/notation/envelope/index.js';
import { EKU, createKeyPair, createPki, type Pki } from '../support/pki.js';
import { installPlugin, type PluginMode } from '../support/notationPlugins.js';

const AT = new Date();
const PAYLOAD = {
  targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'ab'.repeat(32)}`, size: 42, annotations: { build: '7' } },
};
const REQUEST = { format: 'jws', payload: PAYLOAD, signingScheme: 'notary.x509', signingTime: AT } as const;

describe('keys/plugin: Notation plugins, contract 1.0', function () {
  this.timeout(30_000);
  let dir: string;
  let ec: Pki;
  let rsa: Pki;
  let other: Pki;
  const env = { PATH: process.env['PATH'] ?? '/usr/bin' };
  const open = (name: string, extra: { timeoutMs?: number; keyId?: string } = {}) =>
    openSigner({ kind: 'plugin', name, keyId: extra.keyId ?? 'test-key', pluginDir: dir, timeoutMs: extra.timeoutMs ?? 10_000, env });

  async function refused(name: string, code: KeyErrorCode, message: RegExp, configuration: boolean, o: { timeoutMs?: number; keyId?: string } = {}): Promise<void> {
    await assert.rejects(
      (async () => (await open(name, o)).sign(REQUEST))(),
      (err: unknown) => {
        assert.ok(err instanceof KeyError, `expected KeyError, got ${String(err)}`);
        assert.equal(err.code, code, err.message);
        assert.match(err.message, message);
        assert.equal(err.isConfiguration, configuration, `${code} is ${configuration ? '' : 'not '}a configuration problem`);
        return true;
      },
    );
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-plugins-'));
    ec = await createPki({ at: AT, leafKey: 'ec-p256' });
    rsa = await createPki({ at: AT, leafKey: 'rsa-3072' });
    other = await createPki({ at: AT, leaf: { key: await createKeyPair('ec-p256') } }); // a key of its own: pki keys are shared per kind
    const modes: [string, PluginMode, Pki][] = [
      ['com.example.raw', 'raw', ec],
      ['com.example.raw-rsa', 'raw', rsa],
      ['com.example.envelope', 'envelope', rsa],
      ['other-bytes', 'other-bytes', ec],
      ['other-chain', 'other-chain', ec],
      ['wrong-algorithm', 'wrong-algorithm', ec],
      ['pkcs1', 'pkcs1', rsa],
      ['access-denied', 'access-denied', ec],
      ['hang', 'hang', ec],
      ['huge', 'huge', ec],
      ['garbage', 'garbage', ec],
      ['crash', 'crash', ec],
      ['verifier-only', 'verifier-only', ec],
      ['contract-2', 'contract-2', ec],
      ['envelope-other-digest', 'envelope-other-digest', ec],
    ];
    for (const [name, mode, pki] of modes) await installPlugin(dir, name, mode, pki, other.chain);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  for (const format of ['jws', 'cose'] as const) {
    it(`${format}: a SIGNATURE_GENERATOR.RAW plugin's signatures verify (EC-256 and RSA-3072)`, async () => {
      for (const [name, pki, alg] of [['com.example.raw', ec, 'ES256'], ['com.example.raw-rsa', rsa, 'PS384']] as const) {
        const signer = await open(name);
        const signed = await signer.sign({ ...REQUEST, format });
        const content = parseEnvelope(signed.mediaType, signed.envelope).verify();
        assert.equal(content.signerInfo.signatureAlgorithm, alg);
        assert.deepEqual(signed.certificateChain, pki.chain);
        assert.match(signer.description, new RegExp(`plugin ${name.replace('.', '\\.')} \\(key "test-key"\\)`));
      }
    });
  }

  it('a SIGNATURE_GENERATOR.ENVELOPE plugin: its JWS verifies, signs the requested descriptor, and its annotations are kept', async () => {
    const signed = await (await open('com.example.envelope')).sign({ ...REQUEST, expiry: new Date(AT.getTime() + 3_600_000) });
    const content = parseEnvelope(signed.mediaType, signed.envelope).verify();
    assert.equal(content.signerInfo.signatureAlgorithm, 'PS384');
    assert.ok(content.signerInfo.expiry, 'expiryDurationInSeconds reached the plugin');
    assert.deepEqual(signed.annotations, { 'org.example.plugin': 'com.example.envelope' });
    assert.deepEqual(signed.certificateChain, rsa.chain);
  });

  it('refuses a plugin that signs other bytes than it was given', async () => {
    await refused('other-bytes', 'PLUGIN_RESPONSE_REJECTED', /plugin other-bytes \(key "test-key"\) returned a signature that does not verify over the bytes to sign/, false);
  });

  it('refuses a plugin that returns a chain for another key', async () => {
    await refused('other-chain', 'PLUGIN_RESPONSE_REJECTED', /plugin other-chain .* does not verify .*certificate is for another key/, false);
  });

  it('refuses a chain that breaks the Notary Project certificate requirements (a TLS server leaf)', async () => {
    const tls = await createPki({ at: AT, leafKey: 'ec-p256', leaf: { extendedKeyUsages: [EKU.serverAuth] } });
    await installPlugin(dir, 'tls-leaf', 'raw', tls);
    await refused('tls-leaf', 'PLUGIN_RESPONSE_REJECTED', /the certificate chain of plugin tls-leaf .* breaks the Notary Project certificate requirements: .*extended key usage/i, false);
  });

  it('refuses a signing algorithm other than the key spec\'s, and PKCS#1 v1.5 with the reason', async () => {
    await refused('wrong-algorithm', 'PLUGIN_RESPONSE_REJECTED', /signing algorithm "ECDSA-SHA-384", but its key spec requires ECDSA-SHA-256/, false);
    await refused('pkcs1', 'ALGORITHM_REFUSED', /RSASSA-PKCS1-v1_5.*Notation verifiers reject PKCS#1 v1.5 signatures, so signgate signs RSA keys with RSASSA-PSS \(RSASSA-PSS-SHA-384/, true);
  });

  it('an ENVELOPE plugin whose envelope signs another digest is refused', async () => {
    await refused('envelope-other-digest', 'PLUGIN_RESPONSE_REJECTED', /returned an envelope that signs another descriptor: targetArtifact.digest/, false);
  });

  it('ACCESS_DENIED and other plugin errors: the plugin, the command and its error code', async () => {
    await refused('access-denied', 'PLUGIN_ERROR', /plugin access-denied failed describe-key with ACCESS_DENIED: "the caller may not use key test-key"/, false);
    await refused('com.example.raw', 'PLUGIN_ERROR', /failed describe-key with VALIDATION_ERROR: "unknown key nope"/, false, { keyId: 'nope' });
    await refused('crash', 'PLUGIN_FAILED', /plugin crash exited with 3 during generate-signature: "panic: runtime error goroutine 1/, false);
    await refused('garbage', 'PLUGIN_RESPONSE_INVALID', /plugin garbage answered generate-signature with output that is not JSON: "<html>/, false);
  });

  it('a plugin that hangs is stopped at the timeout', async () => {
    // the behaviour, not a wall-clock bound: the coded timeout naming the limit it enforced (a hang would hit mocha's timeout)
    await refused('hang', 'PLUGIN_TIMEOUT', /plugin hang did not answer generate-signature within 1500 ms and was stopped/, false, { timeoutMs: 1500 });
  });

  it('a plugin writing more than 64 MiB is stopped', async () => {
    await refused('huge', 'PLUGIN_OUTPUT_TOO_LARGE', /plugin huge wrote more than 67108864 bytes to stdout for generate-signature and was stopped/, false);
  });

  it('configuration problems: not installed, not executable, no signing capability, another contract version, a path as name', async () => {
    await refused('absent', 'PLUGIN_NOT_FOUND', /Notation plugin absent is not installed: .*absent\/notation-absent does not exist \(installed: .*com\.example\.raw/, true);
    await refused('../raw', 'PLUGIN_NOT_FOUND', /"..\/raw" is not a Notation plugin name/, true);
    await installPlugin(dir, 'not-executable', 'raw', ec);
    await chmod(join(dir, 'not-executable', 'notation-not-executable'), 0o644);
    await refused('not-executable', 'PLUGIN_NOT_EXECUTABLE', /not executable; chmod \+x it/, true);
    await refused('verifier-only', 'PLUGIN_CAPABILITY_MISSING', /offers SIGNATURE_VERIFIER.TRUSTED_IDENTITY, neither SIGNATURE_GENERATOR.RAW nor SIGNATURE_GENERATOR.ENVELOPE/, true);
    await refused('contract-2', 'PLUGIN_CAPABILITY_MISSING', /supports contract versions 2.0, not 1.0/, true);
  });

  it('the plugin runs with only the environment it is given', async () => {
    await installPlugin(dir, 'env-echo', 'raw', ec);
    const file = join(dir, 'env-echo', 'notation-env-echo');
    // Node itself copies NODE_V8_COVERAGE into every child's environment while c8 measures coverage, whatever env the
    // parent passes, so the echo leaves that one name out.
    await writeFile(
      file,
      `#!${process.execPath}\nprocess.stderr.write(JSON.stringify({errorCode:'ERROR',errorMessage:Object.keys(process.env).filter((k)=>k!=='NODE_V8_COVERAGE').sort().join(',')}));process.exit(1);\n`,
    );
    process.env['SIGNGATE_TEST_SECRET'] = 'do-not-leak';
    try {
      await refused('env-echo', 'PLUGIN_ERROR', /with ERROR: "PATH"/, false);
    } finally {
      delete process.env['SIGNGATE_TEST_SECRET'];
    }
  });
});
