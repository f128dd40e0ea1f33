/**
 * Spec types shared by the envelope parsers, the signer and the verifier (Notary Project signature
 * specification, "Signature Envelope" and "Payload" sections).
 */

export const MEDIA_TYPE_JWS = 'application/jose+json';
export const MEDIA_TYPE_COSE = 'application/cose';
export const MEDIA_TYPE_PAYLOAD = 'application/vnd.cncf.notary.payload.v1+json';
export const ARTIFACT_TYPE_SIGNATURE = 'application/vnd.cncf.notary.signature';

export type EnvelopeMediaType = typeof MEDIA_TYPE_JWS | typeof MEDIA_TYPE_COSE;
export type SigningScheme = 'notary.x509' | 'notary.x509.signingAuthority';
export type SignatureAlgorithm = 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512';

/** An OCI content descriptor as the payload's targetArtifact carries it. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The signed and unsigned attributes of a verified envelope, in the spec's words. */
export interface SignerInfo {
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signingScheme: SigningScheme;
  /** io.cncf.notary.signingTime (notary.x509 only). */
  readonly signingTime?: Date;
  /** io.cncf.notary.authenticSigningTime (notary.x509.signingAuthority only). */
  readonly authenticSigningTime?: Date;
  /** io.cncf.notary.expiry, when present. */
  readonly expiry?: Date;
  /** x5c / x5chain, leaf first, DER. */
  readonly certificateChain: readonly Uint8Array[];
  /** The raw signature bytes (what an RFC 3161 timestamp's messageImprint covers). */
  readonly signature: Uint8Array;
  readonly unsignedAttributes: {
    readonly signingAgent?: string;
    /** io.cncf.notary.timestampSignature: a DER RFC 3161 TimeStampToken. */
    readonly timestampSignature?: Uint8Array;
  };
}

export interface EnvelopeContent {
  readonly signerInfo: SignerInfo;
  readonly payload: { readonly contentType: string; readonly content: Uint8Array };
}

/** The decoded payload (application/vnd.cncf.notary.payload.v1+json). */
export interface Payload {
  readonly targetArtifact: Descriptor;
}

/** Trust store types of the Notary Project trust store layout (`x509/<type>/<name>/`). */
export type TrustStoreType = 'ca' | 'signingAuthority' | 'tsa';

/** One attribute of an X.509 distinguished name, with the short type name (CN, O, OU, C, ST, L, ...). */
export interface DistinguishedNameAttribute {
  readonly type: string;
  readonly value: string;
}
