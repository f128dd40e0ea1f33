/**
 * The PKCS#11 door: `openPkcs11Signer(uri)` opens one logged-in session on the token, finds the private key, reads
 * the certificate chain (given, or from the token), checks that the leaf holds the key and meets the certificate
 * requirements, and returns a KeySigner whose `sign(bytes)` hashes in process and has the token sign the digest:
 * CKM_RSA_PKCS_PSS (hash and MGF1 of the key spec, salt length = hash length) or CKM_ECDSA, whose output already is
 * the raw r||s form JWS and COSE use. Only the digest and the signature cross the module boundary.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { algorithmForKeySpec, parseCertificate, type KeySigner } from '../../notation/index.js';
import { checkCertificateChain } from '../chain.js';
import { KeyError } from '../errors.js';
import { findPrivateKey, tokenCertificateChain } from './key.js';
import { ckr, openSession } from './session.js';
import { parsePkcs11Uri, type Pkcs11Uri } from './uri.js';

const MAX_PIN_FILE = 1024;

export interface Pkcs11Options {
  /** The module when the URI has no module-path (the CLI passes SIGNGATE_PKCS11_MODULE). */
  readonly defaultModulePath?: string;
  /** DER, leaf first (--cert); absent: the token's certificate objects. */
  readonly certificateChain?: readonly Uint8Array[];
}

export interface Pkcs11Signer extends KeySigner {
  /** Waits for a signature in progress, logs out and closes the session; the module is finalized with its last signer. */
  close(): Promise<void>;
}

const MECHANISM = {
  sha256: { hash: pkcs11js.CKM_SHA256, mgf: pkcs11js.CKG_MGF1_SHA256 },
  sha384: { hash: pkcs11js.CKM_SHA384, mgf: pkcs11js.CKG_MGF1_SHA384 },
  sha512: { hash: pkcs11js.CKM_SHA512, mgf: pkcs11js.CKG_MGF1_SHA512 },
} as const;

function readPin(uri: Pkcs11Uri): string | undefined {
  if (uri.pinSource === undefined) return uri.pinValue;
  let text: string;
  try {
    const bytes = readFileSync(uri.pinSource);
    if (bytes.byteLength > MAX_PIN_FILE) throw new Error(`it is ${bytes.byteLength} bytes, more than ${MAX_PIN_FILE}`);
    text = bytes.toString('utf8');
  } catch (err) {
    throw new KeyError('PKCS11_PIN_INVALID', `cannot read the PIN from pin-source ${uri.pinSource}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return text.replace(/\r?\n$/, '');
}

/** Opens the key a PKCS#11 URI names. Throws KeyError (configuration codes) for anything that stops signing. */
export function openPkcs11Signer(uriText: string, options: Pkcs11Options = {}): Pkcs11Signer {
  const uri = parsePkcs11Uri(uriText);
  const modulePath = uri.modulePath ?? options.defaultModulePath;
  if (modulePath === undefined || modulePath === '') {
    throw new KeyError('PKCS11_MODULE_NOT_FOUND', `${uri.redacted} names no PKCS#11 module; add ?module-path=/path/to/module.so or set SIGNGATE_PKCS11_MODULE`);
  }
  const session = openSession(uri, modulePath, readPin(uri));
  try {
    const key = findPrivateKey(session, uri);
    const algorithm = algorithmForKeySpec(key.keySpec);
    if (!algorithm) {
      throw new KeyError(
        'PKCS11_KEY_UNSUPPORTED',
        `the key of ${uri.redacted} is ${key.keySpec}; Notary Project signatures allow only RSA-2048/3072/4096 and EC-256/384/521 keys`,
      );
    }
    const mechanisms = session.lib.C_GetMechanismList(session.slot);
    const needed = algorithm.keyType === 'rsa' ? pkcs11js.CKM_RSA_PKCS_PSS : pkcs11js.CKM_ECDSA;
    if (!mechanisms.includes(needed)) {
      throw new KeyError(
        'PKCS11_KEY_UNSUPPORTED',
        algorithm.keyType === 'rsa'
          ? `the token of ${uri.redacted} does not offer CKM_RSA_PKCS_PSS; Notation signatures need RSASSA-PSS, and RSASSA-PKCS1-v1_5 (CKM_RSA_PKCS) signatures would be rejected by Notation verifiers`
          : `the token of ${uri.redacted} does not offer CKM_ECDSA`,
      );
    }
    const chain = options.certificateChain ?? tokenCertificateChain(session, key, uri);
    checkCertificateChain(uri.redacted, chain);
    const leafKey = (parseCertificate(chain[0] as Uint8Array)).x509.publicKey;
    const spki = (k: typeof leafKey) => k.export({ type: 'spki', format: 'der' });
    if (key.publicKey && !spki(leafKey).equals(spki(key.publicKey))) {
      throw new KeyError(
        'CERTIFICATE_KEY_MISMATCH',
        `the leaf certificate ${options.certificateChain ? 'given with --cert' : 'on the token'} is for another key than ${uri.redacted}; pass the certificate issued for this key`,
      );
    }
    const signatureBytes = algorithm.keyType === 'rsa' ? Math.ceil(algorithm.keySize / 8) : 2 * Math.ceil(algorithm.keySize / 8);
    const mechanism: pkcs11js.Mechanism =
      algorithm.keyType === 'rsa'
        ? {
            mechanism: pkcs11js.CKM_RSA_PKCS_PSS,
            parameter: {
              type: pkcs11js.CK_PARAMS_RSA_PSS,
              hashAlg: MECHANISM[algorithm.hash].hash,
              mgf: MECHANISM[algorithm.hash].mgf,
              saltLen: algorithm.hashBytes,
            } as pkcs11js.RsaPSS,
          }
        : { mechanism: pkcs11js.CKM_ECDSA };
    let closed = false;
    return {
      description: uri.redacted,
      keySpec: key.keySpec as KeySigner['keySpec'],
      sign: (data) =>
        session.exclusive(async () => {
          if (closed) throw new KeyError('PKCS11_SIGN_FAILED', `the PKCS#11 session of ${uri.redacted} is closed`);
          const digest = createHash(algorithm.hash).update(data).digest();
          let signature: Buffer;
          try {
            session.lib.C_SignInit(session.handle, mechanism, key.handle);
            signature = await session.lib.C_SignAsync(session.handle, digest, Buffer.alloc(signatureBytes));
          } catch (err) {
            throw new KeyError('PKCS11_SIGN_FAILED', `the token failed to sign with ${uri.redacted} (${ckr(err)}); check the token and retry`, { cause: err });
          }
          if (signature.byteLength !== signatureBytes) {
            throw new KeyError('PKCS11_SIGN_FAILED', `the token returned a ${signature.byteLength}-byte signature for ${uri.redacted}, not ${signatureBytes} bytes`);
          }
          return { signature: new Uint8Array(signature), certificateChain: chain };
        }),
      close: () =>
        session.exclusive(async () => {
          if (closed) return;
          closed = true;
          session.close();
        }),
    };
  } catch (err) {
    session.close();
    if (err instanceof KeyError) throw err;
    throw new KeyError('PKCS11_KEY_UNSUPPORTED', `the token could not describe the key of ${uri.redacted} (${ckr(err)}); check the key object's attributes`, { cause: err });
  }
}
