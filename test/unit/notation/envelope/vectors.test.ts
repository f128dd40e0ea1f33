/**
 * Every envelope of the reference vectors (../shared/vectors/notation): the detached signatures under
 * files/signatures and the signature layers inside the OCI layouts. An envelope must fail here exactly when
 * cases.json expects an integrity failure that the envelope itself causes (not the payload binding, which is checked
 * after parsing, nor the certificate-chain rules, which belong to x509/).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnvelope } from '../../../../provider/src/notation/envelope/index.js';
import { NotationError, type NotationErrorCode } from '../../../../provider/src/notation/errors.js';
import { requireShared } from '../../../support/requirements.js';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '../../../../../shared/vectors/notation');
const ENVELOPE_TYPES = new Set(['application/jose+json', 'application/cose']);
/** Integrity failures the payload binding reports; the envelope itself is intact. */
const BINDING_FAILURES = ['content descriptor mismatch', 'unable to find specified metadata'];
/** The code each envelope-level integrity failure of the corpus must carry. */
const EXPECTED_CODES: Record<string, NotationErrorCode> = {
  'files/signatures/mock/ca_invalid_sig_env.json': 'ENVELOPE_INVALID', // padded base64url payload
  'files/signatures/mock/sa_invalid_sig_env.json': 'ENVELOPE_INVALID',
  'files/signatures/mock/ca_plugin_sig_env.json': 'PLUGIN_REQUIRED',
  'files/signatures/mock/ca_compatible_pluginver_sig_env_0.0.9.json': 'PLUGIN_REQUIRED',
  'files/signatures/mock/ca_compatible_pluginver_sig_env_1.0.0-alpha.beta.json': 'PLUGIN_REQUIRED',
  'files/signatures/mock/ca_compatible_pluginver_sig_env_1.0.0.json': 'PLUGIN_REQUIRED',
  'files/signatures/mock/ca_incompatible_pluginver_sig_env_1.0.1.json': 'PLUGIN_REQUIRED',
  'files/signatures/mock/ca_incompatible_pluginver_sig_env_1.1.0-alpha.json': 'PLUGIN_REQUIRED',
  'files/signatures/mutations/cose_signature.payload-tampered.sig': 'SIGNATURE_INVALID',
  'files/signatures/mutations/jws_signature.payload-tampered.sig': 'SIGNATURE_INVALID',
  'files/signatures/malformed/malformed.jws.sig': 'ENVELOPE_INVALID',
  'files/layouts/e2e-invalid-signature': 'ENVELOPE_UNSUPPORTED', // its signature layer is a tar layer
};

interface Case {
  id: string;
  signature?: { path: string; mediaType: string };
  subject?: { digest: string };
  ociLayout?: { path: string };
  expected: { result: string; validation?: string; messageIncludes?: string };
}

function envelopeFails(c: Case): boolean {
  const e = c.expected;
  return e.result === 'fail' && e.validation === 'integrity' && !BINDING_FAILURES.some((m) => e.messageIncludes?.includes(m));
}

function check(bytes: Uint8Array, mediaType: string, where: string, fails: boolean, code: NotationErrorCode | undefined) {
  let error: unknown;
  let digest: string | undefined;
  try {
    const content = parseEnvelope(mediaType, bytes).verify();
    digest = (JSON.parse(Buffer.from(content.payload.content).toString('utf8')) as { targetArtifact: { digest: string } }).targetArtifact.digest;
  } catch (err) {
    error = err;
  }
  if (!fails) {
    assert.equal(error, undefined, `${where} must verify: ${String(error)}`);
    return digest;
  }
  assert.ok(error instanceof NotationError, `${where} must fail integrity`);
  if (code) assert.equal(error.code, code, `${where}: ${error.message}`);
  return undefined;
}

/** [mediaType, blob] of every envelope layer / blob of the Notation signature manifests in an OCI layout. */
function layoutEnvelopes(dir: string): Array<[string, Uint8Array]> {
  const blobs = join(dir, 'blobs', 'sha256');
  const out: Array<[string, Uint8Array]> = [];
  for (const name of readdirSync(blobs)) {
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(join(blobs, name), 'utf8'));
    } catch {
      continue;
    }
    const m = doc as { artifactType?: string; config?: { mediaType?: string }; layers?: unknown; blobs?: unknown };
    const notary = m.artifactType === 'application/vnd.cncf.notary.signature' || m.config?.mediaType === 'application/vnd.cncf.notary.signature';
    const layers = (m.layers ?? m.blobs) as Array<{ mediaType: string; digest: string }> | undefined;
    if (!notary || !Array.isArray(layers)) continue;
    for (const l of layers) out.push([l.mediaType, readFileSync(join(blobs, l.digest.slice('sha256:'.length)))]);
  }
  return out;
}

describe('notation/envelope: reference vectors in ../shared', function () {
  let cases: Case[] = [];
  before(function () {
    requireShared(this, join(CORPUS, 'cases.json'));
    cases = (JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as { cases: Case[] }).cases;
  });

  it('verifies or rejects every detached envelope under files/signatures as cases.json expects', () => {
    const root = join(CORPUS, 'files', 'signatures');
    const files = (readdirSync(root, { recursive: true }) as string[])
      .map((f) => relative(CORPUS, join(root, f)))
      .filter((f) => statSync(join(CORPUS, f)).isFile());
    assert.ok(files.length >= 20, 'the corpus has its signatures');
    let passed = 0;
    for (const file of files) {
      const uses = cases.filter((c) => c.signature?.path === file);
      assert.ok(uses.length > 0, `${file} is used by a case`);
      const mediaType = (uses[0] as Case).signature?.mediaType as string;
      const fails = uses.some(envelopeFails);
      assert.ok(uses.every((c) => envelopeFails(c) === fails || c.expected.result === 'skipped'), `${file}: cases agree`);
      const digest = check(readFileSync(join(CORPUS, file)), mediaType, file, fails, EXPECTED_CODES[file]);
      if (!fails) {
        passed++;
        const signed = uses.find((c) => c.expected.result === 'pass')?.subject?.digest;
        if (signed) assert.equal(digest, signed, `${file}: payload targets the case subject`);
      }
    }
    assert.ok(passed >= 15, `${passed} envelopes verified`);
  });

  it('verifies or rejects every signature envelope inside the OCI layouts as cases.json expects', () => {
    const root = join(CORPUS, 'files', 'layouts');
    let seen = 0;
    for (const name of readdirSync(root)) {
      const path = `files/layouts/${name}`;
      const uses = cases.filter((c) => c.ociLayout?.path === path);
      const fails = uses.some(envelopeFails);
      for (const [mediaType, bytes] of layoutEnvelopes(join(root, name))) {
        seen++;
        check(bytes, mediaType, `${path} (${mediaType})`, fails || !ENVELOPE_TYPES.has(mediaType), EXPECTED_CODES[path]);
      }
    }
    assert.ok(seen >= 7, `${seen} layout envelopes checked`);
  });
});
