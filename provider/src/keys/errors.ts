import { SigngateError } from '../errors.js';

/** Every failure of key custody. Append new codes; never rename one. */
export type KeyErrorCode =
  // PKCS#11 (a configuration problem of the URI, module, token, PIN, key or certificate unless noted)
  | 'PKCS11_URI_INVALID' // not an RFC 7512 pkcs11: URI, or an attribute signgate cannot honour
  | 'PKCS11_MODULE_NOT_FOUND' // no module-path / SIGNGATE_PKCS11_MODULE, or the file is absent
  | 'PKCS11_MODULE_INVALID' // the file does not load or initialize as a PKCS#11 module
  | 'PKCS11_TOKEN_NOT_FOUND' // no token (or more than one) matches the URI's token attributes
  | 'PKCS11_PIN_INVALID' // the PIN is missing, wrong or locked, or its pin-source cannot be read
  | 'PKCS11_KEY_NOT_FOUND' // no private key (or more than one) matches object / id
  | 'PKCS11_KEY_UNSUPPORTED' // key type or size outside the Notary Project set, or the token lacks the mechanism
  | 'PKCS11_CERTIFICATE_NOT_FOUND' // no --cert and no certificate object with the key's id
  | 'PKCS11_SIGN_FAILED' // the token failed while signing (run time)
  // both doors
  | 'CERTIFICATE_KEY_MISMATCH' // the leaf certificate does not hold the key
  | 'CERTIFICATE_INVALID' // the chain breaks the Notary Project certificate requirements
  | 'ALGORITHM_REFUSED' // an algorithm Notation verifiers reject (RSASSA-PKCS1-v1_5)
  // Notation plugins (configuration)
  | 'PLUGIN_NOT_FOUND' // no notation-<name> in the plugin folder, or the name is not a plugin name
  | 'PLUGIN_NOT_EXECUTABLE' // the file exists but cannot be executed
  | 'PLUGIN_CAPABILITY_MISSING' // get-plugin-metadata lacks SIGNATURE_GENERATOR.RAW/ENVELOPE or contract 1.0
  // Notation plugins (run time)
  | 'PLUGIN_ERROR' // exit 1 with an errorCode (VALIDATION_ERROR, ACCESS_DENIED, THROTTLED, ...)
  | 'PLUGIN_FAILED' // another exit code, a signal, or no answer
  | 'PLUGIN_TIMEOUT' // no answer within the timeout; the plugin was killed
  | 'PLUGIN_OUTPUT_TOO_LARGE' // stdout or stderr over the 64 MiB the contract allows
  | 'PLUGIN_RESPONSE_INVALID' // the answer is not the JSON the contract defines
  | 'PLUGIN_RESPONSE_REJECTED'; // the answer fails its check: signature, algorithm, chain, envelope, descriptor

/** Codes that mean "the configuration is wrong" (exit 2); the rest are failures at run time (exit 3). */
const CONFIGURATION: ReadonlySet<KeyErrorCode> = new Set<KeyErrorCode>([
  'PKCS11_URI_INVALID',
  'PKCS11_MODULE_NOT_FOUND',
  'PKCS11_MODULE_INVALID',
  'PKCS11_TOKEN_NOT_FOUND',
  'PKCS11_PIN_INVALID',
  'PKCS11_KEY_NOT_FOUND',
  'PKCS11_KEY_UNSUPPORTED',
  'PKCS11_CERTIFICATE_NOT_FOUND',
  'CERTIFICATE_KEY_MISMATCH',
  'CERTIFICATE_INVALID',
  'ALGORITHM_REFUSED',
  'PLUGIN_NOT_FOUND',
  'PLUGIN_NOT_EXECUTABLE',
  'PLUGIN_CAPABILITY_MISSING',
]);

export class KeyError extends SigngateError<KeyErrorCode> {
  /** True when the user's configuration (URI, PIN, files, plugin choice) is wrong; false for a failure at run time. */
  get isConfiguration(): boolean {
    return CONFIGURATION.has(this.code);
  }
}
