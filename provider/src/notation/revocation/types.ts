/**
 * The results of revocation checking, in notation-core-go's terms (revocation/result): per server, per certificate,
 * and the HTTP seam through which OCSP requests and CRL downloads go out.
 */
import type { Certificate } from '../x509/index.js';

/** RFC 5280 5.3.1 CRLReason names (OCSP uses the same values). */
export const REVOCATION_REASONS: Readonly<Record<number, string>> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};

export type RevocationMethod = 'ocsp' | 'crl';

/** One answer about one certificate from one OCSP responder or one CRL. */
export interface ServerResult {
  readonly method: RevocationMethod;
  /** The OCSP or CRL URL, or `file <name>` for a supplied CRL. */
  readonly server: string;
  /** `unknown`: the status could not be determined (unreachable, stale, wrongly signed, or the responder said unknown). */
  readonly status: 'ok' | 'revoked' | 'unknown';
  readonly revocationTime?: Date;
  /** CRLReason name, when the answer gives one. */
  readonly reason?: string;
  /** Why the status could not be determined. */
  readonly error?: string;
  /** How long the answer may be reused: OCSP / CRL nextUpdate (or the default age for a CRL without one). */
  readonly validUntil?: Date;
}

/**
 * One certificate's result. `nonRevokable`: the certificate names no OCSP responder or CRL distribution point and no
 * supplied CRL covers it (or it is the chain's root), so it is not checked and counts as not revoked, as in notation.
 */
export interface CertRevocationResult {
  readonly certificate: Certificate;
  readonly status: 'ok' | 'revoked' | 'unknown' | 'nonRevokable';
  readonly servers: readonly ServerResult[];
}

/** One HTTP exchange with an OCSP responder or CRL distribution point. */
export interface RevocationRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly body?: Uint8Array;
  readonly contentType?: string;
  /** Responses larger than this fail. */
  readonly maxBytes: number;
  /** Bound on this exchange, inside `signal`. */
  readonly timeoutMs: number;
  /** The caller's deadline. */
  readonly signal?: AbortSignal;
}

/** Returns the body of a 2xx response, or throws an Error whose message says what failed. */
export type RevocationFetch = (request: RevocationRequest) => Promise<Uint8Array>;

/** Counters for fetches and cache hits (the server turns them into Prometheus metrics). */
export interface RevocationEvents {
  fetch?(method: RevocationMethod, outcome: 'ok' | 'error'): void;
  cache?(method: RevocationMethod, hit: boolean): void;
}
