/**
 * Signing algorithm names as the Notation plugin contract writes them (RSASSA-PSS-SHA-256, ECDSA-SHA-384, ...), for
 * the rows of notation's one algorithm table. RSASSA-PKCS1-v1_5 — what some KMS offer by default (ACR's
 * RSA_PKCS1_SHA_256) — is refused: Notation verifiers reject it; signgate signs RSA keys with RSASSA-PSS.
 */
import type { AlgorithmSpec } from '../notation/index.js';
import { KeyError } from './errors.js';
import type { HashAlgorithm } from './plugin/protocol.js';

export function hashAlgorithmName(spec: AlgorithmSpec): HashAlgorithm {
  return `SHA-${spec.hash.slice(3)}` as HashAlgorithm;
}

export function signingAlgorithmName(spec: AlgorithmSpec): string {
  return `${spec.keyType === 'rsa' ? 'RSASSA-PSS' : 'ECDSA'}-${hashAlgorithmName(spec)}`;
}

/** Throws ALGORITHM_REFUSED for PKCS#1 v1.5 and PLUGIN_RESPONSE_REJECTED for any name other than the key spec's. */
export function checkSigningAlgorithm(who: string, name: string, expected: AlgorithmSpec): void {
  if (/PKCS1|RS256|RS384|RS512/i.test(name)) {
    throw new KeyError(
      'ALGORITHM_REFUSED',
      `${who} signed with ${name} (RSASSA-PKCS1-v1_5): Notation verifiers reject PKCS#1 v1.5 signatures, so signgate signs RSA keys ` +
        `with RSASSA-PSS (${signingAlgorithmName(expected)} for this key) — configure the key or plugin for RSASSA-PSS`,
    );
  }
  if (name !== signingAlgorithmName(expected)) {
    throw new KeyError(
      'PLUGIN_RESPONSE_REJECTED',
      `${who} answered with signing algorithm ${JSON.stringify(name)}, but its key spec requires ${signingAlgorithmName(expected)}; nothing was signed`,
    );
  }
}
