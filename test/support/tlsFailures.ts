/**
 * Matchers for `assert.rejects` on TLS failures that accept only the failure meant, never any connection failure
 * (a refused port, a timeout or a plain reset must not pass for a TLS refusal).
 */
import assert from 'node:assert/strict';

type CodedError = Error & { readonly code?: string };

function coded(e: unknown): CodedError {
  assert.ok(e instanceof Error, `expected an Error, got ${String(e)}`);
  return e as CodedError;
}

/** TLS 1.3 server refused a client that sent no certificate: the client reads alert 116 (certificate_required). */
export function certificateRequired(e: unknown): boolean {
  const err = coded(e);
  assert.equal(err.code, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', `expected TLS alert certificate_required, got ${err.code}: ${err.message}`);
  return true;
}

/** The client refused the server certificate: it is not issued by a CA the client trusts. */
export function untrustedServerCertificate(e: unknown): boolean {
  const err = coded(e);
  assert.ok(
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'].includes(err.code ?? ''),
    `expected a certificate verification failure, got ${err.code}: ${err.message}`,
  );
  return true;
}

/**
 * The server dropped a client whose certificate its client CA did not issue. Node's TLS server completes the TLS 1.3
 * handshake, then checks the client certificate and destroys the socket without an alert, so the client sees
 * ECONNRESET "socket hang up" on its first read: pair this matcher with a check that no request reached the handler.
 */
export function droppedAfterHandshake(e: unknown): boolean {
  const err = coded(e);
  assert.equal(err.code, 'ECONNRESET', `expected the server to drop the connection, got ${err.code}: ${err.message}`);
  assert.match(err.message, /socket hang up/);
  return true;
}

/** A TLS 1.2 client against a TLS 1.3-only server: the server answers alert 70 (protocol_version). */
export function protocolVersionRefused(e: unknown): boolean {
  const err = coded(e);
  // node reports an alert read during its own write as EPROTO; the alert is in OpenSSL's text
  assert.equal(err.code, 'EPROTO', `expected TLS alert protocol_version, got ${err.code}: ${err.message}`);
  assert.match(err.message, /tlsv1 alert protocol version.*SSL alert number 70/);
  return true;
}
