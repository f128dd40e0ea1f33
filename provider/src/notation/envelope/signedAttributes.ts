/**
 * Signed attributes and `crit`, shared by JWS and COSE (signature-specification.md "Signed Attributes"; the envelope
 * specs' `crit` rules). Each format exposes its protected header through `ProtectedHeaderView`; times are decoded by
 * the format (RFC 3339 strings in JWS, CBOR tag 1 in COSE).
 */
import { NotationError } from '../errors.js';
import { MEDIA_TYPE_PAYLOAD, type SigningScheme } from '../types.js';
import { HEADER } from './constants.js';

export type EnvelopeFormat = 'JWS' | 'COSE';

export interface ProtectedHeaderView {
  readonly format: EnvelopeFormat;
  /** The raw `crit` value (JWS `crit`, COSE label 2); undefined when absent. */
  readonly crit: unknown;
  /** The raw content type (JWS `cty`, COSE label 3); undefined when absent. */
  readonly contentType: unknown;
  /** A text-named protected header parameter; undefined when absent. */
  get(name: string): unknown;
  has(name: string): boolean;
  /** Names that are registered by JOSE / COSE and so may never be listed in crit. */
  isRegistered(name: string): boolean;
  /** Decodes a time-valued attribute in the format's encoding; returns undefined when it is malformed. */
  readTime(value: unknown): Date | undefined;
  /** How the format encodes times, for messages ("an RFC 3339 string", "a CBOR tag 1 epoch time"). */
  readonly timeEncoding: string;
}

export interface SignedAttributes {
  readonly signingScheme: SigningScheme;
  readonly signingTime?: Date;
  readonly authenticSigningTime?: Date;
  readonly expiry?: Date;
  readonly contentType: string;
}

const SCHEMES: readonly SigningScheme[] = ['notary.x509', 'notary.x509.signingAuthority'];
/** Names this verifier understands when marked critical. */
const UNDERSTOOD_CRITICAL: ReadonlySet<string> = new Set([HEADER.signingScheme, HEADER.expiry, HEADER.authenticSigningTime]);
const RESIGN = 're-sign the artifact with a Notation-compatible signer';

function fail(code: 'SIGNED_ATTRIBUTE_INVALID' | 'CRIT_INVALID' | 'PAYLOAD_INVALID', view: ProtectedHeaderView, what: string): never {
  throw new NotationError(code, `${view.format} envelope: ${what}; ${RESIGN}`);
}

function checkPlugin(view: ProtectedHeaderView): void {
  if (!view.has(HEADER.verificationPlugin)) return;
  const plugin = view.get(HEADER.verificationPlugin);
  const minVersion = view.get(HEADER.verificationPluginMinVersion);
  const name = typeof plugin === 'string' ? JSON.stringify(plugin) : '(unnamed)';
  const version = typeof minVersion === 'string' ? ` version ${JSON.stringify(minVersion)} or later` : '';
  throw new NotationError(
    'PLUGIN_REQUIRED',
    `${view.format} envelope: the signature requires verification plugin ${name}${version} ` +
      `(${HEADER.verificationPlugin}), and signgate does not support verification plugins; ` +
      'verify this artifact with notation and that plugin, or have it signed without a verification plugin',
  );
}

/** crit: present, a non-empty array of distinct names, each present, each understood, and listing every required name. */
function checkCrit(view: ProtectedHeaderView, scheme: SigningScheme): void {
  const crit = view.crit;
  if (crit === undefined) fail('CRIT_INVALID', view, `the protected header has no "crit"; it must list "${HEADER.signingScheme}"`);
  if (!Array.isArray(crit) || crit.length === 0) fail('CRIT_INVALID', view, '"crit" must be a non-empty array of header names');
  const seen = new Set<string>();
  for (const entry of crit as unknown[]) {
    if (typeof entry !== 'string' || entry === '') {
      fail('CRIT_INVALID', view, `"crit" entry ${JSON.stringify(entry)} is not a header name`);
    }
    if (seen.has(entry)) fail('CRIT_INVALID', view, `"crit" lists "${entry}" twice`);
    seen.add(entry);
    if (!view.has(entry)) fail('CRIT_INVALID', view, `"crit" lists "${entry}", which is absent from the protected header`);
    if (UNDERSTOOD_CRITICAL.has(entry)) continue;
    if (view.isRegistered(entry) || entry === HEADER.signingTime) {
      fail('CRIT_INVALID', view, `"crit" lists "${entry}", which must not be marked critical`);
    }
    throw new NotationError(
      'UNSUPPORTED_CRITICAL_ATTRIBUTE',
      `${view.format} envelope: the signature marks the extended attribute "${entry}" critical, and signgate does not ` +
        'understand it (unknown critical attributes must fail verification); have the artifact signed without it',
    );
  }
  const required: string[] = [HEADER.signingScheme];
  if (scheme === 'notary.x509.signingAuthority') required.push(HEADER.authenticSigningTime);
  if (view.has(HEADER.expiry)) required.push(HEADER.expiry);
  for (const name of required) {
    if (!seen.has(name)) fail('CRIT_INVALID', view, `"crit" must list "${name}"`);
  }
}

function readTime(view: ProtectedHeaderView, name: string): Date | undefined {
  if (!view.has(name)) return undefined;
  const time = view.readTime(view.get(name));
  if (!time) fail('SIGNED_ATTRIBUTE_INVALID', view, `"${name}" must be ${view.timeEncoding}`);
  return time;
}

/**
 * Validates the signed attributes in this order: signing scheme, verification plugin, presence of the scheme's time
 * attribute (and absence of the other one), crit, the times' encoding, expiry after signing time, content type.
 */
export function validateSignedAttributes(view: ProtectedHeaderView): SignedAttributes {
  const scheme = view.get(HEADER.signingScheme);
  if (scheme === undefined) fail('SIGNED_ATTRIBUTE_INVALID', view, `the signed attribute "${HEADER.signingScheme}" is missing`);
  if (!SCHEMES.includes(scheme as SigningScheme)) {
    fail('SIGNED_ATTRIBUTE_INVALID', view, `signing scheme ${JSON.stringify(scheme)} is not one of ${SCHEMES.join(', ')}`);
  }
  const signingScheme = scheme as SigningScheme;
  checkPlugin(view);
  const authority = signingScheme === 'notary.x509.signingAuthority';
  const [timeName, otherName] = authority
    ? [HEADER.authenticSigningTime, HEADER.signingTime]
    : [HEADER.signingTime, HEADER.authenticSigningTime];
  if (view.has(otherName)) fail('SIGNED_ATTRIBUTE_INVALID', view, `"${otherName}" must not be present with signing scheme ${signingScheme}`);
  if (!view.has(timeName)) fail('SIGNED_ATTRIBUTE_INVALID', view, `"${timeName}" is required with signing scheme ${signingScheme}`);
  checkCrit(view, signingScheme);

  const time = readTime(view, timeName) as Date;
  const expiry = readTime(view, HEADER.expiry);
  if (expiry && expiry.getTime() <= time.getTime()) {
    fail('SIGNED_ATTRIBUTE_INVALID', view, `expiry ${expiry.toISOString()} is not after the signing time ${time.toISOString()}`);
  }

  const cty = view.contentType;
  if (cty !== MEDIA_TYPE_PAYLOAD) {
    fail('PAYLOAD_INVALID', view, `payload content type ${cty === undefined ? 'is missing' : `${JSON.stringify(cty)} is not supported`} (expected "${MEDIA_TYPE_PAYLOAD}")`);
  }
  return Object.freeze({
    signingScheme,
    ...(authority ? { authenticSigningTime: time } : { signingTime: time }),
    ...(expiry ? { expiry } : {}),
    contentType: cty,
  });
}
