/**
 * The trust policy spec's processing rule: every validation that runs is recorded, processing stops at the first
 * failure whose action is enforce, and the validations after it do not run (they are not in the outcome, and their
 * side effects, such as a revocation check, never happen). A logged failure does not stop processing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NotationError,
  createRevocationChecker,
  openTrustStore,
  parseTrustPolicyDocument,
  signEnvelope,
  verifySignature,
  type Descriptor,
  type RevocationChecker,
  type TrustPolicyStatement,
  type VerificationOutcome,
} from '../../../../provider/src/notation/index.js';
import { createPki, type Pki } from '../../../support/pki.js';

const AT = new Date('2025-11-01T00:00:00Z');
const SUBJECT: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'ab'.repeat(32)}`, size: 1234 };

describe('notation verifier: stops at the first enforced failure; later validations do not run', function () {
  let dir: string;
  let pki: Pki;
  let other: Pki;
  let revocationChecks = 0;
  // the real checker (offline: the test certificates name no CRL or OCSP server), counting its calls
  const real = createRevocationChecker({ clock: () => AT });
  const checker: RevocationChecker = {
    checkChain: (chain, options) => {
      revocationChecks++;
      return real.checkChain(chain, options);
    },
  };

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'signgate-stops-'));
    pki = await createPki({ at: AT });
    other = await createPki({ at: AT, caKey: 'ec-p384' });
    for (const [name, root] of [['good', pki.root.pem], ['other', other.root.pem]] as const) {
      await mkdir(join(dir, 'x509', 'ca', name), { recursive: true });
      await writeFile(join(dir, 'x509', 'ca', name, 'root.pem'), root);
    }
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(function () {
    revocationChecks = 0;
  });

  function statement(over: Record<string, unknown>): TrustPolicyStatement {
    const doc = parseTrustPolicyDocument({
      version: '1.0',
      trustPolicies: [{ name: 'test', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:good'], trustedIdentities: ['*'], ...over }],
    });
    return doc.trustPolicies[0] as TrustPolicyStatement;
  }

  async function verify(st: TrustPolicyStatement, expiry?: Date): Promise<VerificationOutcome> {
    const { mediaType, envelope } = await signEnvelope({
      format: 'jws',
      payload: { targetArtifact: SUBJECT },
      privateKey: pki.leaf.key.privateKey,
      certificateChain: pki.chain,
      signingScheme: 'notary.x509',
      signingTime: new Date(AT.getTime() - 3600_000),
      ...(expiry !== undefined ? { expiry } : {}),
    });
    return verifySignature({
      envelope: { mediaType, bytes: envelope },
      subject: SUBJECT,
      artifactReference: `registry.example/app@${SUBJECT.digest}`,
      statement: st,
      trustStore: openTrustStore(dir),
      clock: () => AT,
      revocation: { checker },
    });
  }

  const steps = (o: VerificationOutcome): string[] => o.results.map((r) => `${r.type}:${r.action}:${r.error?.code ?? 'ok'}`);

  it('runs every validation, the revocation check included, when none fails', async function () {
    const outcome = await verify(statement({}));
    assert.equal(outcome.error, undefined, outcome.error?.message);
    assert.deepEqual(steps(outcome), [
      'integrity:enforce:ok',
      'authenticity:enforce:ok',
      'trustedIdentity:enforce:ok',
      'expiry:enforce:ok',
      'authenticTimestamp:enforce:ok',
      'revocation:enforce:ok',
    ]);
    assert.equal(revocationChecks, 1);
  });

  it('an enforced authenticity failure ends the outcome there: identity, expiry, timestamp and revocation do not run', async function () {
    const outcome = await verify(statement({ trustStores: ['ca:other'] }));
    assert.ok(outcome.error instanceof NotationError);
    assert.equal(outcome.error.code, 'UNTRUSTED_SIGNER');
    assert.deepEqual(steps(outcome), ['integrity:enforce:ok', 'authenticity:enforce:UNTRUSTED_SIGNER']);
    assert.equal(outcome.results.at(-1)?.error, outcome.error, 'the last recorded step is the deciding one');
    assert.equal(revocationChecks, 0, 'revocation was not checked');
  });

  it('an enforced expiry failure stops before the timestamp and revocation validations', async function () {
    const outcome = await verify(statement({}), new Date(AT.getTime() - 1000));
    assert.equal(outcome.error?.code, 'SIGNATURE_EXPIRED');
    assert.deepEqual(steps(outcome), ['integrity:enforce:ok', 'authenticity:enforce:ok', 'trustedIdentity:enforce:ok', 'expiry:enforce:SIGNATURE_EXPIRED']);
    assert.equal(revocationChecks, 0);
  });

  it('a logged failure (audit) does not stop: every later validation still runs', async function () {
    const outcome = await verify(statement({ trustStores: ['ca:other'], signatureVerification: { level: 'audit' } }));
    assert.equal(outcome.error, undefined);
    assert.deepEqual(steps(outcome).slice(0, 2), ['integrity:enforce:ok', 'authenticity:log:UNTRUSTED_SIGNER']);
    assert.deepEqual(outcome.results.map((r) => r.type), ['integrity', 'authenticity', 'trustedIdentity', 'expiry', 'authenticTimestamp', 'revocation']);
    assert.equal(revocationChecks, 1);
  });
});
