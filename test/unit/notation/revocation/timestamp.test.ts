/**
 * Revocation of the timestamping chain: a notary.x509 signature countersigned by a TSA whose certificate names the
 * openssl OCSP responder and CRL. A revoked TSA certificate fails the authentic timestamp validation (notation-go's
 * rule); with `revocation: skip` the TSA chain is not checked either (the specification's "Certificate Revocation
 * Evaluation" starts with that skip).
 */
import assert from 'node:assert/strict';
import {
  createMemoryTrustStore,
  createRevocationChecker,
  createRevocationFetch,
  parseTrustPolicyDocument,
  readTrustedCertificates,
  signEnvelope,
  verifySignature,
  type Descriptor,
  type TrustPolicyStatement,
  type VerificationOutcome,
} from '../../../../provider/src/notation/index.js';
import type { IssuedCertificate } from '../../../support/pki.js';
import { createRevocationPki, type IssuedCert, type RevocationPki } from '../../../support/revocation.js';
import { requireComponent } from '../../../support/requirements.js';
import { mintToken } from '../../../support/tsa.js';

const SUBJECT: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'ef'.repeat(32)}`, size: 99 };

/** The two fields of a test PKI certificate the token minter reads. */
const asIssued = (c: IssuedCert): IssuedCertificate => ({ der: c.der, key: { privateKey: c.privateKey } }) as unknown as IssuedCertificate;

describe('notation verifier: revocation of the timestamping chain (openssl OCSP and CRL)', function () {
  this.timeout(60_000);
  let pki: RevocationPki;
  let signer: IssuedCert;
  const tsas: Record<string, IssuedCert> = {};

  before(async function () {
    requireComponent(this, 'openssl');
    pki = await createRevocationPki();
    signer = await pki.intermediate.issue('signer', '/C=US/ST=WA/O=signgate/CN=signer', 'leaf', {});
    tsas.good = await pki.intermediate.issue('tsagood', '/C=US/O=signgate/CN=good TSA', 'tsa');
    tsas.revoked = await pki.intermediate.issue('tsarevoked', '/C=US/O=signgate/CN=revoked TSA', 'tsa');
    await pki.intermediate.revoke(tsas.revoked as IssuedCert, { reason: 'keyCompromise' });
    await pki.publishCrls();
    await pki.startResponders();
  });
  after(async () => pki?.close());

  async function verify(tsa: IssuedCert, revocation: 'enforce' | 'log' | 'skip'): Promise<VerificationOutcome> {
    const { mediaType, envelope } = await signEnvelope({
      format: 'cose',
      payload: { targetArtifact: SUBJECT },
      privateKey: signer.privateKey,
      certificateChain: pki.chainFor(signer),
      signingScheme: 'notary.x509',
      signingTime: new Date(Date.now() - 60_000),
      timestamper: async (signature) =>
        mintToken(signature, { genTime: new Date(Date.now() - 30_000) }, {
          root: asIssued(pki.root.cert),
          intermediate: asIssued(pki.intermediate.cert),
          leaf: asIssued(tsa),
          pss: false,
        }),
    });
    const roots = readTrustedCertificates(new TextEncoder().encode(pki.root.cert.pem), 'root.pem');
    const statement = parseTrustPolicyDocument({
      version: '1.0',
      trustPolicies: [
        {
          name: 'tsa',
          registryScopes: ['*'],
          signatureVerification: { level: 'strict', override: { revocation } },
          trustStores: ['ca:test', 'tsa:test'],
          trustedIdentities: ['*'],
        },
      ],
    }).trustPolicies[0] as TrustPolicyStatement;
    return verifySignature({
      envelope: { mediaType, bytes: envelope },
      subject: SUBJECT,
      artifactReference: `registry.example/app@${SUBJECT.digest}`,
      statement,
      trustStore: createMemoryTrustStore([
        { type: 'ca', name: 'test', certificates: roots },
        { type: 'tsa', name: 'test', certificates: roots },
      ]),
      clock: () => new Date(),
      revocation: { checker: createRevocationChecker({ clock: () => new Date(), fetch: createRevocationFetch(fetch) }) },
    });
  }

  const result = (o: VerificationOutcome, type: string) => o.results.find((r) => r.type === type);

  it('a good TSA certificate: the timestamp verifies, and its OCSP answer bounds the outcome\'s reuse', async () => {
    const outcome = await verify(tsas.good as IssuedCert, 'enforce');
    assert.equal(outcome.error, undefined, outcome.error?.message);
    assert.match(result(outcome, 'authenticTimestamp')?.note ?? '', /timestamped at .* by C=US,O=signgate,CN=good TSA/);
    assert.ok(outcome.revocationValidUntil, 'the TSA chain answer bounds the reuse (the signing chain has no endpoints)');
  });

  it('a revoked TSA certificate fails the authentic timestamp validation with CERTIFICATE_REVOKED', async () => {
    const outcome = await verify(tsas.revoked as IssuedCert, 'enforce');
    const r = result(outcome, 'authenticTimestamp');
    assert.equal(outcome.error?.code, 'CERTIFICATE_REVOKED');
    assert.equal(r?.error, outcome.error);
    assert.match(outcome.error?.message ?? '', /^timestamping certificate "C=US,O=signgate,CN=revoked TSA" \(serial [0-9a-f]+\) is revoked since \S+, reason keyCompromise, according to OCSP/);
  });

  it('with revocation "log" the TSA chain is still checked (as an authentic timestamp failure); with "skip" it is not', async () => {
    const logged = await verify(tsas.revoked as IssuedCert, 'log');
    assert.equal(logged.error?.code, 'CERTIFICATE_REVOKED', 'the authenticTimestamp action (enforce under strict) decides');
    const skipped = await verify(tsas.revoked as IssuedCert, 'skip');
    assert.equal(skipped.error, undefined, skipped.error?.message);
    assert.equal(result(skipped, 'revocation')?.action, 'skip');
  });
});
