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
  /** DER, leaf first; the leaf holds the public half of the key. */
  readonly certificateChain: readonly Uint8Array[];
  /**
   * Signs exactly `data` with the key spec's algorithm: RSASSA-PSS (MGF1 with the same hash, salt length = hash
   * length) or ECDSA returning the raw r||s form JWS and COSE use.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
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
      certKey = undefined; // reported by checkKeySigner with the chain rules
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
    certificateChain,
    sign: async (data) => createSignatureBytes(spec, privateKey, data),
  };
}

/** A KeySigner whose chain and key spec were checked; `sign` checks every signature before returning it. */
export interface CheckedSigner {
  readonly algorithm: AlgorithmSpec;
  readonly certificateChain: readonly Uint8Array[];
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/**
 * Checks a KeySigner before it is used: its key spec is one the spec allows (ALGORITHM_UNSUPPORTED) and is the leaf
 * key's (ALGORITHM_MISMATCH). The
 * returned `sign` throws SIGNATURE_INVALID when a signature does not verify over exactly the bytes given with the leaf
 * key, so nothing a key signer made up can reach an envelope.
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
  const chain = signer.certificateChain;
  if (!Array.isArray(chain) || chain.length === 0) {
    throw new NotationError('SIGN_REQUEST_INVALID', `cannot sign with ${who}: the certificate chain is empty; pass the leaf certificate first`);
  }
  for (const [i, der] of chain.entries()) {
    if (!(der instanceof Uint8Array) || der.byteLength === 0) {
      throw new NotationError('SIGN_REQUEST_INVALID', `cannot sign with ${who}: certificate ${i} of the chain is not DER bytes`);
    }
  }
  let leafKey: KeyObject;
  try {
    leafKey = new X509Certificate(chain[0] as Uint8Array).publicKey;
  } catch (cause) {
    throw new NotationError('SIGN_REQUEST_INVALID', `cannot sign with ${who}: the first certificate of the chain does not parse as an X.509 certificate`, { cause });
  }
  const leafAlgorithm = algorithmForKey(leafKey, `the leaf certificate of ${who}`);
  if (leafAlgorithm !== algorithm) {
    throw new NotationError(
      'ALGORITHM_MISMATCH',
      `${who} reports key spec ${signer.keySpec} but its leaf certificate holds a ${keySpecName(leafAlgorithm)} key; ` +
        'the certificate chain belongs to another key — pass the certificate issued for this key',
    );
  }
  return {
    algorithm,
    certificateChain: [...chain],
    async sign(data: Uint8Array): Promise<Uint8Array> {
      const signature = await signer.sign(data);
      if (!(signature instanceof Uint8Array) || !verifySignatureBytes(algorithm, leafKey, data, signature)) {
        throw new NotationError(
          'SIGNATURE_INVALID',
          `${who} returned a signature that does not verify over the bytes to sign with the leaf certificate's ${keySpecName(algorithm)} ` +
            `key (${algorithm.name}); the key is not the certificate's, or the signer changed the data — nothing was signed`,
        );
      }
      return signature;
    },
  };
}
