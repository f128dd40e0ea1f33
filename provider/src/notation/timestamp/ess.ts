/**
 * The signing-certificate attributes that name the TSA certificate inside the signed attributes: ESS
 * SigningCertificate (RFC 2634 5.4, SHA-1 hash) and SigningCertificateV2 (RFC 5035 3, SHA-256 by default). No
 * @peculiar package models them, so the schemas are declared here with @peculiar/asn1-schema (decorators applied as
 * plain calls: the project does not enable TypeScript's legacy decorators).
 */
import { AsnIntegerArrayBufferConverter, AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, GeneralNames } from '@peculiar/asn1-x509';

export class IssuerSerial {
  issuer = new GeneralNames();
  serialNumber = new ArrayBuffer(0);
}
AsnProp({ type: GeneralNames })(IssuerSerial.prototype, 'issuer');
AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })(IssuerSerial.prototype, 'serialNumber');

/** ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT id-sha256, certHash OCTET STRING, issuerSerial OPTIONAL } */
export class EssCertIdV2 {
  hashAlgorithm?: AlgorithmIdentifier;
  certHash = new OctetString();
  issuerSerial?: IssuerSerial;
}
AsnProp({ type: AlgorithmIdentifier, optional: true })(EssCertIdV2.prototype, 'hashAlgorithm');
AsnProp({ type: OctetString })(EssCertIdV2.prototype, 'certHash');
AsnProp({ type: IssuerSerial, optional: true })(EssCertIdV2.prototype, 'issuerSerial');

/** ESSCertID ::= SEQUENCE { certHash OCTET STRING (SHA-1), issuerSerial OPTIONAL } */
export class EssCertId {
  certHash = new OctetString();
  issuerSerial?: IssuerSerial;
}
AsnProp({ type: OctetString })(EssCertId.prototype, 'certHash');
AsnProp({ type: IssuerSerial, optional: true })(EssCertId.prototype, 'issuerSerial');

export class SigningCertificateV2 {
  certs: EssCertIdV2[] = [];
  policies?: ArrayBuffer;
}
AsnProp({ type: EssCertIdV2, repeated: 'sequence' })(SigningCertificateV2.prototype, 'certs');
AsnProp({ type: AsnPropTypes.Any, optional: true })(SigningCertificateV2.prototype, 'policies');

export class SigningCertificate {
  certs: EssCertId[] = [];
  policies?: ArrayBuffer;
}
AsnProp({ type: EssCertId, repeated: 'sequence' })(SigningCertificate.prototype, 'certs');
AsnProp({ type: AsnPropTypes.Any, optional: true })(SigningCertificate.prototype, 'policies');
