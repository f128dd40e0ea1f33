import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openTrustStore,
  parseTrustPolicyDocument,
  signEnvelope,
  verifySignature,
  type TrustPolicyStatement,
  type VerificationOutcome,
} from '../../../../provider/src/notation/index.js';
import { createPki, YEAR_MS, type Pki } from '../../../support/pki.js';
import { createTestTsa, type TestTsa, type TimestampOptions } from '../../../support/tsa.js';

const AT = new Date('2025-11-01T00:00:00Z');
const SUBJECT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + 'ef'.repeat(32), size: 99 };

describe('notation verifier: authentic timestamp (RFC 3161 countersignatures against tsa stores)', function () {
  this.timeout(60_000);
  let dir: string;
  let pki: Pki;
  let tsa: TestTsa;
  let longLivedTsa: TestTsa;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-ts-'));
    pki = await createPki({ at: AT });
    tsa = await createTestTsa({ at: AT });
    // a TSA whose certificate outlives the signing certificate, to stamp times after the signer expired
    longLivedTsa = await createTestTsa({
      at: AT,
      leaf: { notBefore: new Date(AT.getTime() - YEAR_MS), notAfter: new Date(AT.getTime() + 1.5 * YEAR_MS) },
    });
    for (const [type, pem] of [['ca', pki.root.pem], ['tsa', `${tsa.root.pem}\n${longLivedTsa.root.pem}`]] as const) {
      await mkdir(join(dir, 'x509', type, 'test'), { recursive: true });
      await writeFile(join(dir, 'x509', type, 'test', 'root.pem'), pem);
    }
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  function statement(over: Record<string, unknown> = {}, sv: Record<string, unknown> = {}): TrustPolicyStatement {
    return parseTrustPolicyDocument({
      version: '1.0',
      trustPolicies: [
        {
          name: 'ts',
          registryScopes: ['*'],
          signatureVerification: { level: 'strict', ...sv },
          trustStores: ['ca:test', 'tsa:test'],
          trustedIdentities: ['*'],
          ...over,
        },
      ],
    }).trustPolicies[0] as TrustPolicyStatement;
  }

  async function signed(
    ts?: Omit<TimestampOptions, 'genTime'> & { genTime?: Date },
    format: 'jws' | 'cose' = 'jws',
    authority: TestTsa = tsa,
  ) {
    const { mediaType, envelope } = await signEnvelope({
      format,
      payload: { targetArtifact: SUBJECT },
      privateKey: pki.leaf.key.privateKey,
      certificateChain: pki.chain,
      signingScheme: 'notary.x509',
      signingTime: AT,
      ...(ts ? { timestamper: async (sig: Uint8Array) => authority.timestamp(sig, { genTime: AT, ...ts }) } : {}),
    });
    return { mediaType, bytes: envelope };
  }

  async function verify(envelope: { mediaType: string; bytes: Uint8Array }, st: TrustPolicyStatement, at = AT): Promise<VerificationOutcome> {
    return verifySignature({
      envelope,
      subject: SUBJECT,
      artifactReference: `r.example/a@${SUBJECT.digest}`,
      statement: st,
      trustStore: openTrustStore(dir),
      clock: () => at,
    });
  }

  const stepOf = (o: VerificationOutcome) => o.results.find((r) => r.type === 'authenticTimestamp');

  for (const format of ['jws', 'cose'] as const) {
    it(`${format}: verifies a timestamped signature and says when it was stamped`, async () => {
      const o = await verify(await signed({}, format), statement());
      assert.equal(o.error, undefined, o.error?.message);
      assert.match(stepOf(o)?.note ?? '', /timestamped at 2025-11-01/);
    });
  }

  it('keeps a timestamped signature valid after its signing certificate expired', async () => {
    const afterExpiry = new Date(pki.leaf.cert.notAfter.getTime() + 1000);
    const o = await verify(await signed({}), statement(), afterExpiry);
    assert.equal(o.error, undefined, o.error?.message);
    const lazy = await verify(await signed({}), statement({}, { verifyTimestamp: 'afterCertExpiry' }), afterExpiry);
    assert.equal(lazy.error, undefined, lazy.error?.message);
  });

  it('fails when a tsa store is configured and the signature carries no countersignature', async () => {
    const o = await verify(await signed(), statement());
    assert.equal(stepOf(o)?.error?.code, 'TIMESTAMP_MISSING');
    assert.equal(o.error?.code, 'TIMESTAMP_MISSING');
    assert.match(o.error?.message ?? '', /no timestamp countersignature was found/);
  });

  it('with verifyTimestamp afterCertExpiry, does not need a countersignature while the chain is valid', async () => {
    const o = await verify(await signed(), statement({}, { verifyTimestamp: 'afterCertExpiry' }));
    assert.equal(o.error, undefined, o.error?.message);
  });

  it('fails when the countersignature covers other bytes than the signature', async () => {
    const o = await verify(await signed({ tamper: { imprint: true } }), statement());
    assert.equal(o.error?.code, 'TIMESTAMP_INVALID');
    assert.equal(stepOf(o)?.action, 'enforce');
  });

  it('fails when the timestamp lies after the signing certificate expired', async () => {
    const late = new Date(pki.leaf.cert.notAfter.getTime() + YEAR_MS / 12);
    const o = await verify(await signed({ genTime: late }, 'jws', longLivedTsa), statement(), late);
    assert.equal(o.error?.code, 'CERTIFICATE_NOT_VALID_AT_TIME');
    assert.match(o.error?.message ?? '', /timestamp can be after certificate/);
  });

  it('fails when the TSA is not trusted by the tsa store', async () => {
    const other = await createTestTsa({ at: AT, freshCaKey: true });
    const { mediaType, envelope } = await signEnvelope({
      format: 'jws',
      payload: { targetArtifact: SUBJECT },
      privateKey: pki.leaf.key.privateKey,
      certificateChain: pki.chain,
      signingScheme: 'notary.x509',
      signingTime: AT,
      timestamper: async (sig) => other.timestamp(sig, { genTime: AT }),
    });
    const o = await verify({ mediaType, bytes: envelope }, statement());
    assert.equal(o.error?.code, 'TIMESTAMP_INVALID');
  });

  it('fails when the named tsa store does not exist, and only logs it at permissive', async () => {
    const env = await signed({});
    const strict = await verify(env, statement({ trustStores: ['ca:test', 'tsa:absent'] }));
    assert.equal(strict.error?.code, 'TRUST_STORE_NOT_FOUND');
    assert.equal(stepOf(strict)?.error?.code, 'TRUST_STORE_NOT_FOUND');
    const permissive = await verify(env, statement({ trustStores: ['ca:test', 'tsa:absent'] }, { level: 'permissive' }));
    assert.equal(permissive.error, undefined);
    assert.equal(stepOf(permissive)?.action, 'log');
    assert.equal(stepOf(permissive)?.error?.code, 'TRUST_STORE_NOT_FOUND');
  });
});
