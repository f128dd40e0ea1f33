/**
 * Real RFC 3161 tokens from the reference vectors (../shared/vectors/notation): GlobalSign countersignatures in JWS
 * and COSE envelopes, verified against the shared tsa stores, and the corrupted tokens the corpus injects.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode } from 'cbor-x';
import { NotationError } from '../../../../provider/src/notation/errors.js';
import { timestampWindow, verifyTimestampToken } from '../../../../provider/src/notation/timestamp/index.js';
import { openTrustStore } from '../../../../provider/src/notation/truststore/index.js';
import type { Certificate } from '../../../../provider/src/notation/x509/index.js';
import { requireShared } from '../../../support/requirements.js';

const FILES = fileURLToPath(new URL('../../../../../shared/vectors/notation/files', import.meta.url));
const TIMESTAMP_HEADER = 'io.cncf.notary.timestampSignature';

interface Countersigned {
  readonly token: Uint8Array;
  readonly signature: Uint8Array;
}

/** JWS flattened JSON: the token is standard base64 in the unprotected header, the signature base64url. */
function fromJws(path: string): Countersigned {
  const jws = JSON.parse(readFileSync(join(FILES, path), 'utf8')) as { header: Record<string, string>; signature: string };
  return {
    token: new Uint8Array(Buffer.from(jws.header[TIMESTAMP_HEADER] ?? '', 'base64')),
    signature: new Uint8Array(Buffer.from(jws.signature, 'base64url')),
  };
}

/** COSE_Sign1 (tag 18): [protected, unprotected, payload, signature]; the token is a bstr in the unprotected map. */
function fromCose(path: string): Countersigned {
  const sign1 = decode(readFileSync(join(FILES, path))) as { tag: number; value: [unknown, Record<string, Uint8Array>, unknown, Uint8Array] };
  assert.equal(sign1.tag, 18);
  return { token: new Uint8Array(sign1.value[1][TIMESTAMP_HEADER] ?? []), signature: new Uint8Array(sign1.value[3]) };
}

function invalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof NotationError, `expected NotationError, got ${String(err)}`);
    assert.equal(err.code, 'TIMESTAMP_INVALID', err.message);
    assert.match(err.message, message);
    return true;
  });
}

describe('notation/timestamp: real GlobalSign tokens from the reference vectors', function () {
  let globalSign: readonly Certificate[];
  let digiCert: readonly Certificate[];

  before(async function () {
    requireShared(this, FILES);
    const store = openTrustStore(join(FILES, 'truststores/notation-go'));
    globalSign = await store.getCertificates('tsa', 'test-timestamp');
    digiCert = await store.getCertificates('tsa', 'test-mismatch');
  });

  it('verifies the JWS countersignature against GlobalSign Root R6 (genTime 2024-06-18T06:29:37Z ±1s)', () => {
    const { token, signature } = fromJws('signatures/timestamp/jwsWithTimestamp.sig');
    const ts = verifyTimestampToken(token, signature, globalSign);
    assert.equal(ts.genTime.toISOString(), '2024-06-18T06:29:37.000Z');
    assert.equal(ts.accuracyMs, 1000);
    assert.deepEqual(
      ts.tsaChain.map((c) => c.subject),
      [
        'CN=Globalsign TSA for Advanced - G4 - 202311,O=GlobalSign nv-sa,C=BE',
        'CN=GlobalSign Timestamping CA - SHA384 - G4,O=GlobalSign nv-sa,C=BE',
        'CN=GlobalSign,O=GlobalSign,OU=GlobalSign Root CA - R6',
      ],
    );
    assert.equal(ts.tsaChain[2], globalSign[0]);
  });

  it('verifies the COSE countersignatures; their windows are what the authenticTimestamp step compares', () => {
    const expired = verifyTimestampToken(...args(fromCose('signatures/timestamp/coseExpiredWithTimestamp.sig')), globalSign);
    const w = timestampWindow(expired);
    assert.deepEqual([w.lowerLimit.toISOString(), w.upperLimit.toISOString()], ['2024-06-18T07:21:11.000Z', '2024-06-18T07:21:13.000Z']);
    const after = verifyTimestampToken(...args(fromCose('signatures/timestamp/timestampAfterNotAfter.sig')), globalSign);
    assert.equal(after.genTime.toISOString().slice(0, 10), '2024-06-19');
    verifyTimestampToken(...args(fromCose('signatures/timestamp/coseWithTimestamp.sig')), globalSign);
  });

  it('rejects a GlobalSign token when the tsa store holds only the DigiCert root', () => {
    invalid(
      () => verifyTimestampToken(...args(fromJws('signatures/timestamp/jwsWithTimestamp.sig')), digiCert),
      /does not lead to a trusted root: .*GlobalSign Root CA - R6.*DigiCert Trusted Root G4/,
    );
  });

  it('rejects the token over another signature (messageImprint)', () => {
    const { token } = fromJws('signatures/timestamp/jwsWithTimestamp.sig');
    const other = fromCose('signatures/timestamp/coseWithTimestamp.sig');
    invalid(() => verifyTimestampToken(token, other.signature, globalSign), /messageImprint/);
  });

  it('rejects the injected token whose eContentType is id-data', () => {
    invalid(
      () => verifyTimestampToken(...args(fromJws('signatures/injected/withoutTimestamp+TimeStampTokenWithInvalideContentType.sig')), globalSign),
      /eContentType is 1\.2\.840\.113549\.1\.7\.1, not id-ct-TSTInfo/,
    );
  });

  it('rejects the injected token without certificates, at its messageImprint first (as notation)', () => {
    invalid(
      () => verifyTimestampToken(...args(fromJws('signatures/injected/withoutTimestamp+TimeStampTokenWithoutCertificate.sig')), globalSign),
      /messageImprint/,
    );
  });

  it('rejects the corrupt BER token of the e2e-with-invalid-timestamped-signature layout', () => {
    const blobs = join(FILES, 'layouts/e2e-with-invalid-timestamped-signature/blobs/sha256');
    const envelope = readdirSync(blobs)
      .map((name) => join('layouts/e2e-with-invalid-timestamped-signature/blobs/sha256', name))
      .find((path) => readFileSync(join(FILES, path), 'latin1').includes(TIMESTAMP_HEADER));
    assert.ok(envelope, 'the layout holds a JWS envelope with a timestamp');
    invalid(() => verifyTimestampToken(...args(fromJws(envelope)), globalSign), /failed to parse the timestamp countersignature/);
  });
});

function args(c: Countersigned): [Uint8Array, Uint8Array] {
  return [c.token, c.signature];
}
