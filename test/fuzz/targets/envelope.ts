/**
 * JWS and COSE envelopes: parse + integrity verification of mutated valid envelopes. Oracle: a mutation verifies only
 * when the signed parts are unchanged (JWS protected/payload/signature; COSE protected/payload/signature), i.e. only
 * unsigned fields (x5c, unprotected headers, JSON layout) changed.
 */
import fc from 'fast-check';
import { NotationError, signEnvelope } from '../../../provider/src/notation/index.js';
import { parseEnvelope } from '../../../provider/src/notation/envelope/index.js';
import { decodeCbor } from '../../../provider/src/notation/envelope/cbor.js';
import { createPki } from '../../support/pki.js';
import { checkable, FuzzFinding, mutatedBytes, typedOnly, type FuzzTarget } from '../harness.js';

const typed = (e: unknown): boolean => e instanceof NotationError;
const DIGEST = `sha256:${'12'.repeat(32)}`;

async function validEnvelope(format: 'jws' | 'cose'): Promise<Uint8Array> {
  const pki = await createPki({ at: new Date('2025-11-01T00:00:00Z') });
  const { envelope } = await signEnvelope({
    format,
    payload: { targetArtifact: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: DIGEST, size: 1234 } },
    privateKey: pki.leaf.key.privateKey,
    certificateChain: pki.chain,
    signingScheme: 'notary.x509',
    signingTime: new Date('2025-10-31T00:00:00Z'),
  });
  return envelope;
}

/** The signed parts of an envelope, as one comparable string; undefined when they cannot be read. */
function signedParts(format: 'jws' | 'cose', bytes: Uint8Array): string | undefined {
  try {
    if (format === 'jws') {
      const j = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
      return JSON.stringify([j['protected'], j['payload'], j['signature']]);
    }
    const tagged = decodeCbor(bytes, 'fuzz') as { value?: unknown[] } | unknown[];
    const parts = Array.isArray(tagged) ? tagged : (tagged.value ?? []);
    return JSON.stringify([parts[0], parts[2], parts[3]].map((p) => (p instanceof Uint8Array ? Buffer.from(p).toString('hex') : p)));
  } catch {
    return undefined;
  }
}

function envelopeTarget(format: 'jws' | 'cose'): FuzzTarget {
  let valid: Uint8Array | undefined;
  const mediaType = format === 'jws' ? 'application/jose+json' : 'application/cose';
  return {
    name: format,
    what: `notation/envelope: ${format.toUpperCase()} parse + verify of mutated valid envelopes (and random bytes)`,
    ciRuns: 400,
    async setup() {
      valid = await validEnvelope(format);
    },
    property: () => {
      const original = valid ?? new Uint8Array();
      const expected = signedParts(format, original);
      return checkable(fc.property(fc.oneof({ weight: 9, arbitrary: mutatedBytes(() => original) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }) }), (bytes) => {
        const content = typedOnly(typed, () => parseEnvelope(mediaType, bytes).verify());
        if (content !== undefined && signedParts(format, bytes) !== expected) {
          throw new FuzzFinding(`a ${format} envelope whose signed parts changed still verified: ${Buffer.from(bytes).toString('base64')}`);
        }
      }));
    },
  };
}

export const jwsTarget = envelopeTarget('jws');
export const coseTarget = envelopeTarget('cose');
