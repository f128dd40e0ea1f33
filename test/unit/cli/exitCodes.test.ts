/**
 * Exit codes and messages per mistake (issue 17, item 3): every usage or configuration problem exits 2, "not
 * verified" 1, "could not decide" 3; `--output json` answers with an error object on 2 and 3 too.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../../../provider/src/cli/main.js';
import { signEnvelope } from '../../../provider/src/notation/index.js';
import { LayoutWriter } from '../../support/layout.js';
import { createPki, type Pki } from '../../support/pki.js';

const AT = '2025-11-01T00:00:00Z';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(...argv: string[]): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: [Buffer[], Buffer[]] = [[], []];
  out.on('data', (c: Buffer) => chunks[0].push(c));
  err.on('data', (c: Buffer) => chunks[1].push(c));
  const code = await main(argv, { stdout: out, stderr: err });
  return { code, stdout: Buffer.concat(chunks[0]).toString(), stderr: Buffer.concat(chunks[1]).toString() };
}

/** The `{"error": {...}}` object `--output json` prints when no verdict could be given. */
function errorObject(r: Run): { code: string; message: string; exitCode: number } {
  const parsed = JSON.parse(r.stdout) as { error: { code: string; message: string; exitCode: number } };
  assert.equal(parsed.error.exitCode, r.code);
  assert.equal(r.stderr, `signgate verify: ${parsed.error.message}\n`);
  return parsed.error;
}

const NO_OPENSSL_CODE = /error:[0-9A-F]{8}|routines::/;

describe('signgate exit codes and messages', function () {
  this.timeout(30_000);
  let dir: string;
  let pki: Pki;
  let layout: string;
  let policy: (trustStores: string[], extra?: Record<string, unknown>) => Promise<string>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-exit-'));
    pki = await createPki({ at: new Date(AT) });
    layout = join(dir, 'layout');
    const writer = await new LayoutWriter(layout).init();
    const signed = await writer.image('signed', 'one');
    const { mediaType, envelope } = await signEnvelope({
      format: 'jws',
      payload: { targetArtifact: signed },
      privateKey: pki.leaf.key.privateKey,
      certificateChain: pki.chain,
      signingScheme: 'notary.x509',
      signingTime: new Date(AT),
    });
    await writer.signature(signed, mediaType, envelope);
    await writer.writeIndex();
    await mkdir(join(dir, 'store', 'x509', 'ca', 'good'), { recursive: true });
    await writeFile(join(dir, 'store', 'x509', 'ca', 'good', 'root.pem'), pki.root.pem);
    await mkdir(join(dir, 'store', 'x509', 'ca', 'withkey'), { recursive: true });
    await writeFile(join(dir, 'store', 'x509', 'ca', 'withkey', 'root.pem'), pki.root.pem);
    await writeFile(join(dir, 'store', 'x509', 'ca', 'withkey', 'leaf.key'), pki.leaf.key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await writeFile(join(dir, 'root.pem'), pki.root.pem);
    await writeFile(join(dir, 'leaf.key'), pki.leaf.key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    let n = 0;
    policy = async (trustStores, extra = {}) => {
      const file = join(dir, `policy-${n++}.json`);
      const statement = { name: 'all', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores, trustedIdentities: ['*'], ...extra };
      await writeFile(file, JSON.stringify({ version: '1.0', trustPolicies: [statement] }, null, 2));
      return file;
    };
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const verify = (...args: string[]): Promise<Run> => cli('verify', '--oci-layout', `${layout}:signed`, '--at', AT, ...args);
  const store = (): string => join(dir, 'store');

  it('a trust store named by the policy but absent: 2, naming the store and how to create it', async () => {
    const r = await verify('--trust-policy', await policy(['ca:missing']), '--trust-store', store(), '--output', 'json');
    assert.equal(r.code, 2);
    const error = errorObject(r);
    assert.equal(error.code, 'TRUST_STORE_NOT_FOUND');
    assert.match(error.message, /trust store "ca:missing" does not exist: directory .*x509\/ca\/missing is missing; create it/);
  });

  it('a private key file inside a trust store folder: 2, in plain words', async () => {
    const r = await verify('--trust-policy', await policy(['ca:withkey']), '--trust-store', store());
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /trust store "ca:withkey" has file "leaf.key" that cannot be read as certificates: .*PEM block of type "PRIVATE KEY"/);
    assert.doesNotMatch(r.stderr, NO_OPENSSL_CODE);
  });

  it('missing trust material or half of it: 2, saying what to give', async () => {
    const none = await verify();
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no trust material: give --cert ROOT.pem .* or --trust-policy FILE --trust-store DIR/);
    const halfPolicy = await verify('--trust-policy', await policy(['ca:good']));
    assert.equal(halfPolicy.code, 2);
    assert.match(halfPolicy.stderr, /--trust-store DIR is required with --trust-policy/);
    const both = await verify('--cert', join(dir, 'root.pem'), '--trust-store', store());
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either --cert FILE or --trust-policy FILE --trust-store DIR, not both/);
    const notAFolder = await verify('--trust-policy', await policy(['ca:good']), '--trust-store', join(dir, 'root.pem'));
    assert.equal(notAFolder.code, 2);
    assert.match(notAFolder.stderr, /trust store .*root.pem is not a folder/);
  });

  it('an invalid --timeout: 2 before any registry is contacted', async () => {
    const r = await cli('verify', '127.0.0.1:1/app:v1', '--cert', join(dir, 'root.pem'), '--timeout', 'soon', '--output', 'json');
    assert.equal(r.code, 2);
    assert.equal(errorObject(r).code, 'USAGE_INVALID');
    assert.match(r.stderr, /--timeout "soon" is not a duration such as 30s or 2m/);
    const resolve = await cli('resolve', '127.0.0.1:1/app:v1', '--timeout', '0s');
    assert.equal(resolve.code, 2);
    assert.match(resolve.stderr, /--timeout "0s" is not a duration/);
  });

  it('a trust policy that is not JSON: 2 with line and column', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, '{\n  "version": "1.0",\n  "trustPolicies": [\n  ],\n}\n');
    const r = await verify('--trust-policy', file, '--trust-store', store(), '--output', 'json');
    assert.equal(r.code, 2);
    const error = errorObject(r);
    assert.equal(error.code, 'TRUST_POLICY_INVALID');
    assert.match(error.message, /trust policy .*broken.json is not valid JSON: line 5, column 1: expected double-quoted property name/);
  });

  it('a --registry-config that is not JSON: 2 with line and column', async () => {
    const file = join(dir, 'docker-config.json');
    await writeFile(file, '{\n  "auths": {\n    "127.0.0.1:1": { "auth": "eDp5" },\n  }\n}\n');
    const r = await cli('verify', '127.0.0.1:1/app:v1', '--cert', join(dir, 'root.pem'), '--registry-config', file, '--output', 'json');
    assert.equal(r.code, 2);
    const error = errorObject(r);
    assert.equal(error.code, 'CREDENTIALS_INVALID');
    assert.match(error.message, /Docker config .*docker-config.json is not valid JSON: line 4, column 3: expected double-quoted property name/);
  });

  it('a misspelled trust policy field: 2, with the field meant', async () => {
    const file = await policy(['ca:good'], { trustedIdentities: undefined, trustedIdentity: ['*'] });
    const r = await verify('--trust-policy', file, '--trust-store', store());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown field "trustedIdentity"; did you mean "trustedIdentities"\?/);
  });

  it('an unknown option or a bad --output value: 2, and the JSON error object when JSON was asked for', async () => {
    const r = await verify('--cert', join(dir, 'root.pem'), '--bogus', '--output', 'json');
    assert.equal(r.code, 2);
    assert.equal(errorObject(r).code, 'USAGE_INVALID');
    assert.match(r.stderr, /--bogus/);
    const text = await verify('--cert', join(dir, 'root.pem'), '--output', 'yaml');
    assert.equal(text.code, 2);
    assert.match(text.stderr, /--output must be text or json, not "yaml"\n\nusage: signgate verify/);
  });

  it('--cert ROOT.pem: one root for every repository at level strict: 0 verified', async () => {
    const r = await verify('--cert', join(dir, 'root.pem'));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^VERIFIED: local\/layout@sha256:[0-9a-f]{64}/);
    assert.match(r.stdout, /authenticity\s+enforce\s+ok/);
  });

  it('--cert given a key or a missing file: 2, in plain words', async () => {
    const key = await verify('--cert', join(dir, 'leaf.key'), '--output', 'json');
    assert.equal(key.code, 2);
    const error = errorObject(key);
    assert.equal(error.code, 'CERTIFICATE_INVALID');
    assert.match(error.message, /--cert .*leaf.key must hold the root certificate\(s\) .*PEM block of type "PRIVATE KEY"/);
    assert.doesNotMatch(error.message, NO_OPENSSL_CODE);
    const missing = await verify('--cert', join(dir, 'nope.pem'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--cert .*nope.pem does not exist; check the path/);
  });

  it('could not decide (registry down) with --output json: 3 and the error object', async () => {
    const r = await cli('verify', '127.0.0.1:1/app:v1', '--cert', join(dir, 'root.pem'), '--timeout', '5s', '--output', 'json');
    assert.equal(r.code, 3, r.stderr);
    assert.equal(errorObject(r).code, 'REGISTRY_UNREACHABLE');
  });

  it('sign: a --key file that is no private key is named in plain words, never an OpenSSL code', async () => {
    const cases: [string, string, RegExp][] = [
      ['cert-as-key.pem', pki.root.pem, /holds a certificate, not a private key/],
      ['garbage.key', 'not a key at all\n', /holds no PEM private key/],
      ['broken.key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', /private key block that cannot be read/],
    ];
    for (const [name, content, message] of cases) {
      await writeFile(join(dir, name), content);
      const r = await cli('sign', '127.0.0.1:1/app:v1', '--key', join(dir, name), '--cert', join(dir, 'root.pem'));
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`--key .*${name} `));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, NO_OPENSSL_CODE);
    }
  });
});
