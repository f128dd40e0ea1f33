/**
 * The revocation validation (trust-store-trust-policy spec, "Certificate Revocation Evaluation"; notation-go's
 * verifyRevocation and revocationFinalResult): the signing chain's results are folded into one. A revoked
 * certificate wins (the one nearest the leaf is named); otherwise any certificate whose status could not be
 * determined makes the result unknown; certificates without revocation information, and the root, count as not revoked.
 * The authentic signing time (notary.x509.signingAuthority) is compared with invalidity dates, as notation does.
 */
import { NotationError } from '../errors.js';
import type { CertRevocationResult, CheckChainOptions, Crl, RevocationChecker, ServerResult } from '../revocation/index.js';
import type { SignerInfo } from '../types.js';
import type { Certificate } from '../x509/index.js';

/** How the verifier reaches revocation information. */
export interface RevocationInput {
  readonly checker: RevocationChecker;
  /** CRLs supplied by configuration, used before any network fetch. */
  readonly crls?: readonly Crl[];
  readonly signal?: AbortSignal;
}

export interface RevocationEvidence {
  readonly note: string;
  /** The earliest nextUpdate of the answers the result relied on. */
  readonly validUntil?: Date;
}

/** Why an untrusted chain's endpoints are not contacted (they are whatever its maker wrote). */
const UNTRUSTED =
  'not contacted: the signing certificate chain is not trusted (authenticity failed), and signgate sends no request to ' +
  'the addresses an untrusted certificate names; trust the signer first';

export const NOT_CHECKED_NOTE = 'revocation was not checked: no revocation checker is configured; certificates are treated as not revoked';

const iso = (d: Date): string => d.toISOString();

function describeServer(s: ServerResult): string {
  const what = `${s.method === 'ocsp' ? 'OCSP' : 'CRL'} ${s.server}`;
  if (s.status === 'revoked') {
    return `${what}: revoked${s.revocationTime ? ` at ${iso(s.revocationTime)}` : ''}${s.reason ? ` (reason ${s.reason})` : ''}`;
  }
  return s.status === 'ok' ? `${what}: good` : `${what}: ${s.error ?? 'status unknown'}`;
}

const label = (c: Certificate): string => `"${c.subject}" (serial ${c.serialNumber})`;

function revokedError(r: CertRevocationResult, position: string): NotationError {
  const s = r.servers.find((x) => x.status === 'revoked');
  return new NotationError(
    'CERTIFICATE_REVOKED',
    `${position} certificate ${label(r.certificate)} is revoked` +
      `${s?.revocationTime ? ` since ${iso(s.revocationTime)}` : ''}${s?.reason ? `, reason ${s.reason}` : ''}` +
      `${s ? `, according to ${s.method === 'ocsp' ? 'OCSP' : 'CRL'} ${s.server}` : ''}; ` +
      're-sign the image with a certificate that is not revoked',
  );
}

function unknownError(r: CertRevocationResult, position: string): NotationError {
  const detail = r.servers.length > 0 ? r.servers.map(describeServer).join('; ') : 'no answer';
  return new NotationError(
    'REVOCATION_STATUS_UNKNOWN',
    `revocation status of ${position} certificate ${label(r.certificate)} could not be determined (${detail}); ` +
      'make the OCSP responder or CRL distribution point reachable, or supply a current CRL file for its issuer',
  );
}

function positionOf(i: number, purpose: Purpose): string {
  if (purpose === 'timestamping') return i === 0 ? 'timestamping' : 'timestamping intermediate';
  return i === 0 ? 'signing' : 'intermediate';
}

type Purpose = 'signing' | 'timestamping';

/** Folds a chain's results (notation's revocationFinalResult); throws for revoked or unknown, else the evidence. */
function finalResult(results: readonly CertRevocationResult[], purpose: Purpose): RevocationEvidence {
  const revoked = results.findIndex((r) => r.status === 'revoked');
  if (revoked >= 0) throw revokedError(results[revoked] as CertRevocationResult, positionOf(revoked, purpose));
  const unknown = results.findIndex((r) => r.status === 'unknown');
  if (unknown >= 0) throw unknownError(results[unknown] as CertRevocationResult, positionOf(unknown, purpose));
  const checked = results.filter((r) => r.status === 'ok');
  if (checked.length === 0) {
    return { note: `revocation was not checked: no certificate of the ${purpose} chain names an OCSP responder or CRL distribution point` };
  }
  let until: number | undefined;
  for (const r of checked) {
    for (const s of r.servers) {
      if (s.status === 'ok' && s.validUntil) until = Math.min(until ?? Number.POSITIVE_INFINITY, s.validUntil.getTime());
    }
  }
  const methods = checked.map((r) => {
    const good = r.servers.find((s) => s.status === 'ok');
    return `${label(r.certificate)} by ${good ? describeServer(good) : 'no server'}`;
  });
  return {
    note: `not revoked: ${methods.join('; ')}`,
    ...(until !== undefined ? { validUntil: new Date(until) } : {}),
  };
}

function checkOptions(input: RevocationInput, signingTime?: Date): CheckChainOptions {
  return {
    ...(signingTime ? { signingTime } : {}),
    ...(input.crls ? { crls: input.crls } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  };
}

/**
 * Checks the signing chain and returns the note and validity of a good result; throws CERTIFICATE_REVOKED /
 * REVOCATION_STATUS_UNKNOWN. An untrusted chain (authenticity failed, only logged) is checked without fetching:
 * certificates without endpoints stay "not checked" as in notation, the others cannot be determined.
 */
export async function verifyRevocation(
  chain: readonly Certificate[],
  signerInfo: SignerInfo,
  input: RevocationInput | undefined,
  trusted: boolean,
): Promise<RevocationEvidence> {
  if (!input) return { note: NOT_CHECKED_NOTE };
  const signingTime = signerInfo.signingScheme === 'notary.x509.signingAuthority' ? signerInfo.authenticSigningTime : undefined;
  const options = checkOptions(input, signingTime);
  return finalResult(await input.checker.checkChain(chain, trusted ? options : { ...options, noFetch: UNTRUSTED }), 'signing');
}

/**
 * The timestamping chain of a verified RFC 3161 countersignature (notation-go's timestamp revocation check), reported
 * as an authentic timestamp failure. The caller runs it only when the revocation validation is not skipped, as the
 * specification's "Certificate Revocation Evaluation" begins.
 */
export async function verifyTimestampRevocation(tsaChain: readonly Certificate[], input: RevocationInput): Promise<RevocationEvidence> {
  return finalResult(await input.checker.checkChain(tsaChain, checkOptions(input)), 'timestamping');
}
