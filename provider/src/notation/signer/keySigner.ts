/**
 * The key-signer seam: the envelope builders never hold a private key, only a KeySigner — the key spec, the
 * certificate chain, and `sign(bytes to sign)`. A PEM key file (`privateKeySigner`), a PKCS#11 token and a Notation
 * plugin (`../../keys`) implement it. Whatever a KeySigner returns is checked here before it is used (the plugin
 * specification's "validate the generated signature" steps, applied to every implementation): the leaf key is of the
 * key spec, and the signature verifies over exactly the bytes sent. The certificate requirements of a chain that comes
 * from custody are checked where it is read (`../../keys`), with `validateCodeSigningCertChain`.
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { ALGORITHMS, algorithmForKey, createSignatureBytes, verifySignatureBytes, type AlgorithmSpec } from '../envelope/index.js';
import { NotationError } from '../errors.js';

/** Key type and size in the Notary Project's words (signature specification, "Algorithm Selection"). */
export type KeySpec = 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'EC-256' | 'EC-384' | 'EC-521';

export const KEY_SPECS: readonly KeySpec[] = ['RSA-2048', 'RSA-3072', 'RSA-4096', 'EC-256', 'EC-384', 'EC-521'];

export interface KeySigner {
  /** Names the key in messages (a file path, a PKCS#11 URI without its PIN, a plugin and key id); never a secret. */
  readonly description: string;
  readonly keySpec: KeySpec;
  /**
   * Signs exactly `data` with the key spec's algorithm — RSASSA-PSS (MGF1 with the same hash, salt length = hash
   * length) or ECDSA in the raw r||s form JWS and COSE use — and returns the certificate chain (DER, leaf first) whose
   * leaf holds the key. (A Notation plugin names its chain only in its generate-signature answer.)
   */
  sign(data: Uint8Array): Promise<KeySignature>;
}

export interface KeySignature {
  readonly signature: Uint8Array;
  readonly certificateChain: readonly Uint8Array[];
}

export function keySpecName(spec: AlgorithmSpec): KeySpec {
  return `${spec.keyType === 'rsa' ? 'RSA' : 'EC'}-${spec.keySize}` as KeySpec;
}

/** The algorithm table row of a key spec; undefined for anything else. */
export function algorithmForKeySpec(keySpec: unknown): AlgorithmSpec | undefined {
  return ALGORITHMS.find((a) => keySpecName(a) === keySpec);
}

/** A PEM/DER key held in memory (the key-file door). Throws SIGN_REQUEST_INVALID when the leaf does not hold the key. */
export function privateKeySigner(privateKey: KeyObject, certificateChain: readonly Uint8Array[], description = 'the private key'): KeySigner {
  if (privateKey?.type !== 'private') {
    throw new NotationError('SIGN_REQUEST_INVALID', `cannot sign with ${description}: it is not a private key`);
  }
  const spec = algorithmForKey(privateKey, description);
  const leaf = certificateChain[0];
  if (leaf !== undefined) {
    let certKey: Buffer | undefined;
    try {
      certKey = new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' });
    } catch {
      certKey = undefined; // reported by checkKeySigner
    }
    const ownKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    if (certKey && !certKey.equals(ownKey)) {
      throw new NotationError(
        'SIGN_REQUEST_INVALID',
        `cannot sign: ${description} does not belong to the first (leaf) certificate of the chain; pass the certificate issued for this key first`,
      );
    }
  }
  return {
    description,
    keySpec: keySpecName(spec),
    sign: async (data) => ({ signature: createSignatureBytes(spec, privateKey, data), certificateChain }),
  };
}

/** A KeySigner whose key spec was checked; `sign` checks every answer before returning it. */
export interface CheckedSigner {
  readonly algorithm: AlgorithmSpec;
  sign(data: Uint8Array): Promise<KeySignature>;
}

function leafKeyOf(who: string, chain: readonly Uint8Array[]): KeyObject {
  if (!Array.isArray(chain) || chain.length === 0) {
    throw new NotationError('SIGN_REQUEST_INVALID', `cannot sign with ${who}: the certificate chain is empty; pass the leaf certificate first`);
  }
  for (const [i, der] of chain.entries()) {
    if (!(der instanceof Uint8Array) || der.byteLength === 0) {
      throw new NotationError('SIGN_REQUEST_INVALID', `cannot sign with ${who}: certificate ${i} of the chain is not DER bytes`);
    }
  }
  try {
    return new X509Certificate(chain[0] as Uint8Array).publicKey;
  } catch (cause) {
    throw new NotationError('SIGN_REQUEST_INVALID', `cannot sign with ${who}: the first certificate of the chain does not parse as an X.509 certificate`, { cause });
  }
}

/** The last leaf parsed: a signer answers with the same leaf every time, and X.509 parsing costs more than a signature. */
let lastLeaf: { readonly der: Buffer; readonly key: KeyObject } | undefined;

function leafKey(who: string, chain: readonly Uint8Array[]): KeyObject {
  const der = chain?.[0];
  if (lastLeaf && der instanceof Uint8Array && lastLeaf.der.equals(der)) return lastLeaf.key;
  const key = leafKeyOf(who, chain);
  lastLeaf = { der: Buffer.from(der as Uint8Array), key };
  return key;
}

/**
 * Checks a KeySigner and each of its answers: its key spec is one the spec allows (ALGORITHM_UNSUPPORTED); the chain
 * it returns has a leaf whose key is of that key spec (ALGORITHM_MISMATCH); the signature verifies over exactly the
 * bytes given with that leaf key (SIGNATURE_INVALID). Nothing a key signer made up can reach an envelope.
 */
export function checkKeySigner(signer: KeySigner): CheckedSigner {
  const who = signer.description;
  const algorithm = algorithmForKeySpec(signer.keySpec);
  if (!algorithm) {
    throw new NotationError(
      'ALGORITHM_UNSUPPORTED',
      `${who} has key spec ${JSON.stringify(signer.keySpec)}; Notary Project signatures allow only ${KEY_SPECS.join(', ')}`,
    );
  }
  return {
    algorithm,
    async sign(data: Uint8Array): Promise<KeySignature> {
      const { signature, certificateChain } = await signer.sign(data);
      const leaf = leafKey(who, certificateChain);
      const leafAlgorithm = algorithmForKey(leaf, `the leaf certificate of ${who}`);
      if (leafAlgorithm !== algorithm) {
        throw new NotationError(
          'ALGORITHM_MISMATCH',
          `${who} reports key spec ${signer.keySpec} but its leaf certificate holds a ${keySpecName(leafAlgorithm)} key; ` +
            'the certificate chain belongs to another key — pass the certificate issued for this key',
        );
      }
      if (!(signature instanceof Uint8Array) || !verifySignatureBytes(algorithm, leaf, data, signature)) {
        throw new NotationError(
          'SIGNATURE_INVALID',
          `${who} returned a signature that does not verify over the bytes to sign with the leaf certificate's ${keySpecName(algorithm)} ` +
            `key (${algorithm.name}); the certificate is for another key, or the signer changed the data — nothing was signed`,
        );
      }
      return { signature, certificateChain: [...certificateChain] };
    },
  };
}
