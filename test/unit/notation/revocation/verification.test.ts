/**
 * The revocation validation inside verifySignature, with real revocation services (openssl ca CRLs, openssl ocsp):
 * good / revoked leaf / revoked intermediate / unknown / responder down / expired CRL / wrongly signed answers, under
 * strict, permissive and audit and a `revocation` override, and the authentic signing time against invalidity dates.
 */
import assert from 'node:assert/strict';
import {
  createMemoryTrustStore,
  createRevocationChecker,
  createRevocationFetch,
  parseCrlFile,
  parseTrustPolicyDocument,
  readTrustedCertificates,
  signEnvelope,
  verifySignature,
  type Descriptor,
  type RevocationChecker,
  type SigningScheme,
  type TrustPolicyStatement,
  type TrustStore,
  type VerificationOutcome,
} from '../../../../provider/src/notation/index.js';
import { createRevocationPki, type IssuedCert, type RevocationPki } from '../../../support/revocation.js';
import { requireComponent } from '../../../support/requirements.js';

const HOUR = 3600_000;
const SUBJECT: Descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'cd'.repeat(32)}`, size: 321 };
const REF = `registry.example/app@${SUBJECT.digest}`;

function statement(signatureVerification: Record<string, unknown>): TrustPolicyStatement {
  const doc = parseTrustPolicyDocument({
    version: '1.0',
    trustPolicies: [
      { name: 'revocation', registryScopes: ['*'], signatureVerification, trustStores: ['ca:test', 'signingAuthority:test'], trustedIdentities: ['*'] },
    ],
  });
  return doc.trustPolicies[0] as TrustPolicyStatement;
}

const LEVELS: readonly { name: string; verification: Record<string, unknown>; action: 'enforce' | 'log' | 'skip' }[] = [
  { name: 'strict', verification: { level: 'strict' }, action: 'enforce' },
  { name: 'permissive', verification: { level: 'permissive' }, action: 'log' },
  { name: 'audit', verification: { level: 'audit' }, action: 'log' },
  { name: 'strict + override revocation log', verification: { level: 'strict', override: { revocation: 'log' } }, action: 'log' },
  { name: 'strict + override revocation skip', verification: { level: 'strict', override: { revocation: 'skip' } }, action: 'skip' },
  { name: 'audit + override revocation enforce', verification: { level: 'audit', override: { revocation: 'enforce' } }, action: 'enforce' },
];

describe('notation verifier: revocation validation with real OCSP and CRL services', function () {
  this.timeout(120_000);
  let pki: RevocationPki;
  let trustStore: TrustStore;
  let checker: RevocationChecker;
  const leaves: Record<string, IssuedCert> = {};
  let revokedIntermediatePki: { leaf: IssuedCert; chain: Uint8Array[] };

  before(async function () {
    requireComponent(this, 'openssl');
    pki = await createRevocationPki();
    const issue = (name: string, endpoints?: { ocsp?: boolean; crl?: boolean }): Promise<IssuedCert> =>
      pki.intermediate.issue(name, `/C=US/ST=WA/O=signgate/CN=${name}`, 'leaf', endpoints);
    leaves.good = await issue('good');
    leaves.revoked = await issue('revoked');
    leaves.crlRevoked = await issue('crlRevoked', { crl: true });
    leaves.unknown = await issue('unknown', { ocsp: true });
    leaves.compromised = await issue('compromised');
    leaves.ocspOnly = await issue('ocspOnly', { ocsp: true });
    leaves.crlGood = await issue('crlGood', { crl: true });
    await pki.intermediate.revoke(leaves.revoked as IssuedCert, { reason: 'keyCompromise' });
    await pki.intermediate.revoke(leaves.crlRevoked as IssuedCert, { reason: 'superseded' });
    await pki.intermediate.revoke(leaves.compromised as IssuedCert, { compromiseTime: new Date(Date.now() - HOUR) });
    await pki.intermediate.forget(leaves.unknown as IssuedCert);
    // A second intermediate under the same root, then revoked by the root.
    const { OpensslCa } = await import('../../../support/revocation.js');
    const revokedCa = await OpensslCa.create(pki.dir, 'revokedca', '/C=US/ST=WA/O=signgate/CN=revoked intermediate', pki.root, pki.server.url);
    const leaf = await revokedCa.issue('underRevoked', '/C=US/ST=WA/O=signgate/CN=under revoked', 'leaf', {});
    await pki.root.revoke(revokedCa.cert, { reason: 'cACompromise' });
    revokedIntermediatePki = { leaf, chain: [leaf.der, revokedCa.cert.der, pki.root.cert.der] };
    await pki.publishCrls();
    await pki.startResponders();
    const roots = readTrustedCertificates(new TextEncoder().encode(pki.root.cert.pem), 'root.pem');
    trustStore = createMemoryTrustStore([
      { type: 'ca', name: 'test', certificates: roots },
      { type: 'signingAuthority', name: 'test', certificates: roots },
    ]);
    checker = createRevocationChecker({ clock: () => new Date(), fetch: createRevocationFetch(fetch) });
  });
  after(async () => pki?.close());

  async function verify(
    leaf: IssuedCert,
    verification: Record<string, unknown>,
    o: { chain?: Uint8Array[]; scheme?: SigningScheme; signingTime?: Date; checker?: RevocationChecker; crls?: ReturnType<typeof parseCrlFile> } = {},
  ): Promise<VerificationOutcome> {
    const { mediaType, envelope } = await signEnvelope({
      format: 'jws',
      payload: { targetArtifact: SUBJECT },
      privateKey: leaf.privateKey,
      certificateChain: o.chain ?? pki.chainFor(leaf),
      signingScheme: o.scheme ?? 'notary.x509',
      signingTime: o.signingTime ?? new Date(Date.now() - 60_000),
    });
    return verifySignature({
      envelope: { mediaType, bytes: envelope },
      subject: SUBJECT,
      artifactReference: REF,
      statement: statement(verification),
      trustStore,
      clock: () => new Date(),
      revocation: { checker: o.checker ?? checker, ...(o.crls ? { crls: o.crls } : {}) },
    });
  }

  const revocationResult = (o: VerificationOutcome) => o.results.find((r) => r.type === 'revocation');

  it('good: passes, notes which answers were used, and bounds reuse by their nextUpdate', async () => {
    const outcome = await verify(leaves.good as IssuedCert, { level: 'strict' });
    assert.equal(outcome.error, undefined, outcome.error?.message);
    const r = revocationResult(outcome);
    assert.equal(r?.action, 'enforce');
    assert.match(r?.note ?? '', /^not revoked: "C=US,ST=WA,O=signgate,CN=good" \(serial [0-9a-f]+\) by OCSP http:\/\/127\.0\.0\.1:\d+\/ocsp\/intermediate: good/);
    assert.ok(outcome.revocationValidUntil && outcome.revocationValidUntil.getTime() > Date.now());
    assert.ok(outcome.revocationValidUntil.getTime() <= Date.now() + HOUR + 60_000, 'no later than the OCSP nextUpdate (60 minutes)');
  });

  /** Swaps what the loopback server serves for one test; returns the undo. */
  const serveCrl = async (crl: Uint8Array): Promise<() => Promise<void>> => {
    const saved = pki.server.crls.get('intermediate') as Uint8Array;
    pki.server.crls.set('intermediate', crl);
    return async () => {
      pki.server.crls.set('intermediate', saved);
    };
  };
  const cases: {
    name: string;
    leaf: () => IssuedCert;
    chain?: () => Uint8Array[];
    /** Changes the services for the test and returns the undo. */
    around?: () => Promise<() => Promise<void>>;
    /** A checker of its own (fresh caches, another clock). */
    checker?: () => RevocationChecker;
    code: string;
    message: RegExp;
  }[] = [
    {
      name: 'revoked leaf (OCSP)',
      leaf: () => leaves.revoked as IssuedCert,
      code: 'CERTIFICATE_REVOKED',
      message: /^signing certificate "C=US,ST=WA,O=signgate,CN=revoked" \(serial [0-9a-f]+\) is revoked since \S+, reason keyCompromise, according to OCSP http:\/\/127\.0\.0\.1:\d+\/ocsp\/intermediate; re-sign/,
    },
    {
      name: 'revoked leaf (CRL)',
      leaf: () => leaves.crlRevoked as IssuedCert,
      code: 'CERTIFICATE_REVOKED',
      message: /reason superseded, according to CRL http:\/\/127\.0\.0\.1:\d+\/crl\/intermediate\.crl/,
    },
    {
      name: 'revoked intermediate',
      leaf: () => revokedIntermediatePki.leaf,
      chain: () => revokedIntermediatePki.chain,
      code: 'CERTIFICATE_REVOKED',
      message: /^intermediate certificate "C=US,ST=WA,O=signgate,CN=revoked intermediate" .* reason cACompromise, according to OCSP .*\/ocsp\/root/,
    },
    {
      name: 'unknown to the responder, no CRL',
      leaf: () => leaves.unknown as IssuedCert,
      code: 'REVOCATION_STATUS_UNKNOWN',
      message: /^revocation status of signing certificate "C=US,ST=WA,O=signgate,CN=unknown" .* could not be determined \(OCSP http:\S+: the responder does not know the certificate/,
    },
    {
      name: 'responder down, no CRL',
      leaf: () => leaves.ocspOnly as IssuedCert,
      around: async () => {
        const port = pki.server.responders.get('intermediate') as number;
        pki.server.responders.delete('intermediate');
        return async () => {
          pki.server.responders.set('intermediate', port);
        };
      },
      checker: () => createRevocationChecker({ clock: () => new Date(), fetch: createRevocationFetch(fetch) }),
      code: 'REVOCATION_STATUS_UNKNOWN',
      message: /could not be determined \(OCSP http:\S+\/ocsp\/intermediate: request failed: HTTP status 503\)/,
    },
    {
      name: 'OCSP answer signed by the wrong key',
      leaf: () => leaves.ocspOnly as IssuedCert,
      around: async () => {
        await pki.startResponders({ intermediate: pki.impostor.cert });
        return () => pki.startResponders();
      },
      checker: () => createRevocationChecker({ clock: () => new Date(), fetch: createRevocationFetch(fetch) }),
      code: 'REVOCATION_STATUS_UNKNOWN',
      message: /OCSP http:\S+: the response is not signed by an authorized responder/,
    },
    {
      name: 'CRL expired',
      leaf: () => leaves.crlGood as IssuedCert,
      around: async () => serveCrl(await pki.intermediate.crl({ hours: 1 })),
      checker: () => createRevocationChecker({ clock: () => new Date(Date.now() + 2 * HOUR), fetch: createRevocationFetch(fetch) }),
      code: 'REVOCATION_STATUS_UNKNOWN',
      message: /CRL http:\S+\/crl\/intermediate\.crl: it expired: its nextUpdate .* has passed/,
    },
    {
      name: 'CRL signed by the wrong key',
      leaf: () => leaves.crlGood as IssuedCert,
      around: async () => serveCrl(await pki.intermediate.crl({ signer: pki.impostor })),
      checker: () => createRevocationChecker({ clock: () => new Date(), fetch: createRevocationFetch(fetch) }),
      code: 'REVOCATION_STATUS_UNKNOWN',
      message: /CRL http:\S+: it is not signed by the CA "C=US,ST=WA,O=signgate,CN=revocation test intermediate"/,
    },
  ];
  for (const c of cases) {
    for (const level of LEVELS) {
      it(`${c.name} under ${level.name}: ${level.action === 'enforce' ? 'fails' : level.action === 'log' ? 'passes, failure logged' : 'passes, not checked'}`, async () => {
        const undo = await c.around?.();
        let outcome: VerificationOutcome;
        try {
          outcome = await verify(c.leaf(), level.verification, { ...(c.chain ? { chain: c.chain() } : {}), ...(c.checker ? { checker: c.checker() } : {}) });
        } finally {
          await undo?.();
        }
        const r = revocationResult(outcome);
        assert.equal(r?.action, level.action);
        if (level.action === 'skip') {
          assert.equal(outcome.error, undefined);
          assert.equal(r?.error, undefined);
          return;
        }
        assert.equal(r?.error?.code, c.code);
        assert.match(r?.error?.message ?? '', c.message);
        if (level.action === 'enforce') assert.equal(outcome.error, r?.error);
        else assert.equal(outcome.error, undefined);
      });
    }
  }

  it('signingAuthority: a signature made before the compromise (invalidity date) passes; one made after fails', async () => {
    const before = await verify(leaves.compromised as IssuedCert, { level: 'strict' }, {
      scheme: 'notary.x509.signingAuthority',
      signingTime: new Date(Date.now() - 2 * HOUR),
    });
    assert.equal(before.error, undefined, before.error?.message);
    const after = await verify(leaves.compromised as IssuedCert, { level: 'strict' }, {
      scheme: 'notary.x509.signingAuthority',
      signingTime: new Date(Date.now() - HOUR / 2),
    });
    assert.equal(after.error?.code, 'CERTIFICATE_REVOKED');
    // notary.x509: the signing time is not authentic, so the certificate counts as revoked whatever it says
    const plain = await verify(leaves.compromised as IssuedCert, { level: 'strict' }, { signingTime: new Date(Date.now() - 2 * HOUR) });
    assert.equal(plain.error?.code, 'CERTIFICATE_REVOKED');
  });

  it('an untrusted chain (audit: authenticity only logged) is not sent to the endpoints it names', async () => {
    const { mediaType, envelope } = await signEnvelope({
      format: 'jws',
      payload: { targetArtifact: SUBJECT },
      privateKey: (leaves.good as IssuedCert).privateKey,
      certificateChain: pki.chainFor(leaves.good as IssuedCert),
      signingScheme: 'notary.x509',
      signingTime: new Date(Date.now() - 60_000),
    });
    const other = readTrustedCertificates(new TextEncoder().encode(pki.impostor.cert.pem), 'other.pem');
    const before = { ...pki.server.hits };
    const outcome = await verifySignature({
      envelope: { mediaType, bytes: envelope },
      subject: SUBJECT,
      artifactReference: REF,
      statement: statement({ level: 'audit' }),
      trustStore: createMemoryTrustStore([
        { type: 'ca', name: 'test', certificates: other },
        { type: 'signingAuthority', name: 'test', certificates: other },
      ]),
      clock: () => new Date(),
      revocation: { checker: createRevocationChecker({ clock: () => new Date(), fetch: createRevocationFetch(fetch) }) },
    });
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.results.find((r) => r.type === 'authenticity')?.error?.code, 'UNTRUSTED_SIGNER');
    const r = revocationResult(outcome);
    assert.equal(r?.error?.code, 'REVOCATION_STATUS_UNKNOWN');
    assert.match(r?.error?.message ?? '', /OCSP http:\S+: not contacted: the signing certificate chain is not trusted \(authenticity failed\)/);
    assert.deepEqual(pki.server.hits, before, 'no OCSP request and no CRL download');
  });

  it('air-gapped: supplied CRLs decide without any network fetch', async () => {
    const offline = createRevocationChecker({ clock: () => new Date() });
    const crls = [
      ...parseCrlFile(pki.server.crls.get('intermediate') as Uint8Array, 'intermediate.crl'),
      ...parseCrlFile(pki.server.crls.get('root') as Uint8Array, 'root.crl'),
    ];
    const good = await verify(leaves.good as IssuedCert, { level: 'strict' }, { checker: offline, crls });
    assert.equal(good.error, undefined, good.error?.message);
    assert.match(revocationResult(good)?.note ?? '', /by CRL file intermediate\.crl: good/);
    const revoked = await verify(leaves.revoked as IssuedCert, { level: 'strict' }, { checker: offline, crls });
    assert.equal(revoked.error?.code, 'CERTIFICATE_REVOKED');
    assert.match(revoked.error?.message ?? '', /according to CRL file intermediate\.crl/);
  });
});
