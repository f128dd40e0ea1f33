/**
 * TLS material for integration tests: a throwaway CA and a server certificate naming the given hosts (IP addresses or
 * DNS names), minted at test time with the key helpers of pki.ts. Servers written in Go (docker-registry) check
 * validity against the real clock, so callers pass the instant the run happens at.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { isIP } from 'node:net';
import { createKeyPair, issueCertificate, YEAR_MS, type IssuedCertificate } from './pki.js';

export interface TlsServerMaterial {
  readonly ca: IssuedCertificate;
  /** Server certificate PEM followed by the CA PEM. */
  readonly certChainPem: string;
  /** PKCS#8 PEM of the server key. */
  readonly keyPem: string;
}

export async function createTlsServerCertificate(options: { at: Date; hosts: readonly string[] }): Promise<TlsServerMaterial> {
  const at = options.at.getTime();
  const caKey = await createKeyPair('ec-p256');
  const ca = await issueCertificate({
    subject: 'CN=signgate test TLS CA,O=signgate',
    key: caKey,
    notBefore: new Date(at - YEAR_MS),
    notAfter: new Date(at + YEAR_MS),
    basicConstraints: { ca: true, critical: true },
    keyUsages: ['keyCertSign', 'cRLSign'],
  });
  const key = await createKeyPair('ec-p256');
  const names = options.hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '7e57',
    subject: `CN=${options.hosts[0] ?? 'localhost'}`,
    issuer: ca.cert.subject,
    notBefore: new Date(at - 3600_000),
    notAfter: new Date(at + YEAR_MS),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as Algorithm,
    publicKey: key.keys.publicKey,
    signingKey: caKey.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1']),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  const keyPem = key.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { ca, certChainPem: `${cert.toString('pem')}\n${ca.pem}\n`, keyPem };
}
