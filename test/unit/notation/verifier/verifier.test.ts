import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  NotationError,
  openTrustStore,
  parseTrustPolicyDocument,
  signEnvelope,
  verifySignature,
  type Descriptor,
  type SigningScheme,
  type TrustPolicyStatement,
  type VerificationOutcome,
} from '../../../../provider/src/notation/index.js';
import { createPki, EKU, YEAR_MS, type KeyKind, type Pki } from '../../../support/pki.js';

const AT = new Date('2025-11-01T00:00:00Z');
const SUBJECT: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: 'sha256:' + 'ab'.repeat(32),
  size: 1234,
};
const REF = `registry.example/app@${SUBJECT.digest}`;
const IDENTITY = 'x509.subject: C=US, ST=WA, O=signgate';

let dir: string;

async function writeStore(type: string, name: string, pems: readonly string[]): Promise<void> {
  const d = join(dir, 'x509', type, name);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, 'certs.pem'), pems.join('\n'));
}

function statement(over: Record<string, unknown> = {}): TrustPolicyStatement {
  const doc = parseTrustPolicyDocument({
    version: '1.0',
    trustPolicies: [
      {
        name: 'test',
        registryScopes: ['*'],
        signatureVerification: { level: 'strict' },
        trustStores: ['ca:good', 'signingAuthority:good'],
        trustedIdentities: [IDENTITY],
        ...over,
      },
    ],
  });
  return doc.trustPolicies[0] as TrustPolicyStatement;
}

interface SignOptions {
  format: 'jws' | 'cose';
  scheme: SigningScheme;
  pki: Pki;
  expiry?: Date;
  subject?: Descriptor;
  signingTime?: Date;
}

async function sign(o: SignOptions): Promise<{ mediaType: string; bytes: Uint8Array }> {
  const { mediaType, envelope } = await signEnvelope({
    format: o.format,
    payload: { targetArtifact: o.subject ?? SUBJECT },
    privateKey: o.pki.leaf.key.privateKey,
    certificateChain: o.pki.chain,
    signingScheme: o.scheme,
    signingTime: o.signingTime ?? new Date(AT.getTime() - 3600_000),
    ...(o.expiry ? { expiry: o.expiry } : {}),
  });
  return { mediaType, bytes: envelope };
}

async function verify(
  envelope: { mediaType: string; bytes: Uint8Array },
  st: TrustPolicyStatement = statement(),
  extra: { at?: Date; userMetadata?: Record<string, string> } = {},
): Promise<VerificationOutcome> {
  return verifySignature({
    envelope,
    subject: SUBJECT,
    artifactReference: REF,
    statement: st,
    trustStore: openTrustStore(dir),
    clock: () => extra.at ?? AT,
    ...(extra.userMetadata ? { userMetadata: extra.userMetadata } : {}),
  });
}

function failure(outcome: VerificationOutcome): { type: string; code: string } | undefined {
  const r = outcome.results.find((x) => x.error === outcome.error);
  return outcome.error && r ? { type: r.type, code: outcome.error.code } : undefined;
}

const matrix: { format: 'jws' | 'cose'; scheme: SigningScheme; key: KeyKind }[] = [
  { format: 'jws', scheme: 'notary.x509', key: 'ec-p256' },
  { format: 'jws', scheme: 'notary.x509.signingAuthority', key: 'rsa-3072' },
  { format: 'cose', scheme: 'notary.x509', key: 'rsa-3072' },
  { format: 'cose', scheme: 'notary.x509.signingAuthority', key: 'ec-p256' },
];

describe('notation verifier: each validation step, on signatures minted at test time', function () {
  this.timeout(60_000);
  let otherPki: Pki;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-verifier-'));
    otherPki = await createPki({ at: AT, caKey: 'ec-p384' });
    await writeStore('ca', 'other', [otherPki.root.pem]);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  for (const m of matrix) {
    describe(`${m.format} ${m.scheme} ${m.key}`, () => {
      let pki: Pki;
      before(async () => {
        pki = await createPki({ at: AT, leafKey: m.key });
        await writeStore('ca', 'good', [pki.root.pem]);
        await writeStore('signingAuthority', 'good', [pki.root.pem]);
      });

      it('verifies a good signature and records every validation in spec order', async () => {
        const outcome = await verify(await sign({ ...m, pki }));
        assert.equal(outcome.error, undefined, outcome.error?.message);
        assert.deepEqual(
          outcome.results.map((r) => r.type),
          ['integrity', 'authenticity', 'trustedIdentity', 'expiry', 'authenticTimestamp', 'revocation'],
        );
        const revocation = outcome.results.find((r) => r.type === 'revocation');
        assert.match(revocation?.note ?? '', /not checked/);
        assert.equal(outcome.content?.signerInfo.signingScheme, m.scheme);
      });

      it('fails integrity when a byte of the envelope is flipped', async () => {
        const env = await sign({ ...m, pki });
        const bytes = Uint8Array.from(env.bytes);
        // flip a byte in the middle of the payload region (for JWS a base64url char, for COSE a payload byte)
        const text = Buffer.from(bytes).toString('latin1');
        const at = m.format === 'jws' ? text.indexOf('"payload":"') + 20 : text.indexOf('targetArtifact') + 3;
        bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
        const outcome = await verify({ mediaType: env.mediaType, bytes });
        assert.equal(failure(outcome)?.type, 'integrity');
        assert.ok(outcome.error instanceof NotationError);
      });

      it('fails authenticity at strict, and only logs it at audit, when the root is not in the named stores', async () => {
        const env = await sign({ ...m, pki });
        const stores = ['ca:other', 'signingAuthority:other'];
        await writeStore('signingAuthority', 'other', [otherPki.root.pem]);
        const strict = await verify(env, statement({ trustStores: stores }));
        assert.deepEqual(failure(strict), { type: 'authenticity', code: 'UNTRUSTED_SIGNER' });
        const audit = await verify(env, statement({ trustStores: stores, signatureVerification: { level: 'audit' } }));
        assert.equal(audit.error, undefined);
        const logged = audit.results.find((r) => r.type === 'authenticity');
        assert.equal(logged?.action, 'log');
        assert.equal(logged?.error?.code, 'UNTRUSTED_SIGNER');
      });

      it('fails trusted identity when the leaf subject matches no identity', async () => {
        const env = await sign({ ...m, pki });
        const outcome = await verify(env, statement({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=someone else'] }));
        assert.deepEqual(failure(outcome), { type: 'trustedIdentity', code: 'UNTRUSTED_IDENTITY' });
        assert.match(outcome.error?.message ?? '', /does not match the X\.509 trusted identities/);
      });

      it('enforces expiry at strict and logs it at permissive', async () => {
        const env = await sign({ ...m, pki, expiry: new Date(AT.getTime() - 1000) });
        assert.deepEqual(failure(await verify(env)), { type: 'expiry', code: 'SIGNATURE_EXPIRED' });
        const permissive = await verify(env, statement({ signatureVerification: { level: 'permissive' } }));
        assert.equal(permissive.error, undefined);
        assert.equal(permissive.results.find((r) => r.type === 'expiry')?.error?.code, 'SIGNATURE_EXPIRED');
      });

      it('accepts a signature whose expiry is still ahead', async () => {
        const env = await sign({ ...m, pki, expiry: new Date(AT.getTime() + 1000) });
        assert.equal((await verify(env)).error, undefined);
      });

      it('fails when the payload names another digest (content descriptor mismatch)', async () => {
        const env = await sign({ ...m, pki, subject: { ...SUBJECT, digest: 'sha256:' + 'cd'.repeat(32) } });
        const outcome = await verify(env);
        assert.deepEqual(failure(outcome), { type: 'integrity', code: 'CONTENT_DESCRIPTOR_MISMATCH' });
        assert.match(outcome.error?.message ?? '', /content descriptor mismatch/);
      });

      it('fails when required user metadata is absent', async () => {
        const outcome = await verify(await sign({ ...m, pki }), statement(), { userMetadata: { team: 'payments' } });
        assert.deepEqual(failure(outcome), { type: 'integrity', code: 'USER_METADATA_MISMATCH' });
      });

      it('fails the time check when the signing certificate has expired at verification time', async () => {
        const env = await sign({ ...m, pki });
        const later = new Date(pki.leaf.cert.notAfter.getTime() + 1000);
        const outcome = await verify(env, statement(), { at: later });
        if (m.scheme === 'notary.x509') {
          // no tsa store: the chain must be valid now
          assert.deepEqual(failure(outcome), { type: 'authenticTimestamp', code: 'CERTIFICATE_NOT_VALID_AT_TIME' });
        } else {
          // signingAuthority: what counts is the authentic signing time, inside the validity
          assert.equal(outcome.error, undefined, outcome.error?.message);
        }
      });
    });
  }

  it('fails authenticTimestamp for notary.x509.signingAuthority when the signing time is outside the leaf validity', async () => {
    const pki = await createPki({ at: AT });
    await writeStore('signingAuthority', 'good', [pki.root.pem]);
    await writeStore('ca', 'good', [pki.root.pem]);
    const env = await sign({
      format: 'jws',
      scheme: 'notary.x509.signingAuthority',
      pki,
      signingTime: new Date(pki.leaf.cert.notBefore.getTime() - 1000),
    });
    assert.deepEqual(failure(await verify(env)), { type: 'authenticTimestamp', code: 'CERTIFICATE_NOT_VALID_AT_TIME' });
  });

  it('fails integrity when the leaf is not a code-signing certificate', async () => {
    const pki = await createPki({ at: AT, leaf: { extendedKeyUsages: [EKU.serverAuth] } });
    await writeStore('ca', 'good', [pki.root.pem]);
    const outcome = await verify(await sign({ format: 'cose', scheme: 'notary.x509', pki }));
    assert.equal(failure(outcome)?.type, 'integrity');
    assert.equal(outcome.error?.code, 'CERTIFICATE_INVALID');
  });

  it('does not verify a signature whose leaf certificate expired a year ago', async () => {
    const pki = await createPki({
      at: AT,
      leaf: { notBefore: new Date(AT.getTime() - 2 * YEAR_MS), notAfter: new Date(AT.getTime() - YEAR_MS) },
    });
    await writeStore('ca', 'good', [pki.root.pem]);
    const outcome = await verify(await sign({ format: 'jws', scheme: 'notary.x509', pki }));
    // no tsa store: the chain must be valid at verification time, and the leaf's notAfter is a year past
    assert.deepEqual(failure(outcome), { type: 'authenticTimestamp', code: 'CERTIFICATE_NOT_VALID_AT_TIME' });
    assert.match(outcome.error?.message ?? '', /has expired at verification time 2025-11-01T00:00:00\.000Z/);
  });
});
