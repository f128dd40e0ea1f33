/**
 * The bounds every listener (HTTPS and metrics) is created with, set explicitly rather than left to Node's defaults:
 * how long a client may take for its TLS handshake and headers, for its whole request, how long an idle keep-alive
 * connection stays open, how many headers of what size it may send, and how many connections are open at once.
 * Node checks the header and request timeouts on a timer (`connectionsCheckingInterval`); it runs at a fraction of the
 * shortest timeout so that a cut comes close to its bound.
 */
import type http from 'node:http';
import { ServerError } from './errors.js';

export interface ConnectionLimits {
  /** TLS handshake, then the request's headers, each within this (default 10 s). */
  readonly headersTimeoutMs: number;
  /** The whole request (headers and body) within this (default 30 s). */
  readonly requestTimeoutMs: number;
  /**
   * An idle keep-alive connection is closed after this (default 120 s). Keep it longer than the client's own idle
   * timeout (GO_IDLE_CONN_TIMEOUT_MS) so that the client closes an idle connection first: a server that closes first
   * races the client's next request on that connection, and Go resends a POST that got no answer only when nothing of
   * it had been written, so the race reaches Gatekeeper as a failed call (ECONNRESET or EOF).
   */
  readonly keepAliveTimeoutMs: number;
  /** Open connections at most; more are closed as they arrive (default 4096). */
  readonly maxConnections: number;
}

/**
 * The idle timeout of Go's HTTP clients, which call both services: `IdleConnTimeout` of the net/http Transport that
 * Gatekeeper's external data client uses (open-policy-agent/frameworks externaldata) and of `http.DefaultTransport`
 * (CNCF Distribution's notification endpoints, Harbor's webhooks). Go does not read the `Keep-Alive: timeout=` header.
 */
export const GO_IDLE_CONN_TIMEOUT_MS = 90_000;

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 120_000,
  maxConnections: 4096,
});

/** Headers per request at most, and their total size: a ProviderRequest needs a handful of short ones. */
export const MAX_HEADERS_COUNT = 64;
export const MAX_HEADER_BYTES = 16 * 1024;

/** Validates `limits` (whole milliseconds > 0, headers within the request timeout) or throws SETTINGS_INVALID. */
export function checkConnectionLimits(limits: ConnectionLimits): ConnectionLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new ServerError('SETTINGS_INVALID', `server setting ${name} must be a whole number above 0, got ${String(value)}`);
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ServerError(
      'SETTINGS_INVALID',
      `the headers timeout (${limits.headersTimeoutMs}ms) is longer than the request timeout (${limits.requestTimeoutMs}ms), which includes the headers; lower --headers-timeout or raise --request-timeout`,
    );
  }
  return limits;
}

/** The options of http(s).createServer that carry the limits. */
export function serverOptions(limits: ConnectionLimits): http.ServerOptions & { handshakeTimeout: number } {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
    maxHeaderSize: MAX_HEADER_BYTES,
    handshakeTimeout: limits.headersTimeoutMs, // tls.Server only; http.Server ignores it
  };
}

/** The limits that are properties rather than options. */
export function applyConnectionLimits(server: http.Server, limits: ConnectionLimits): void {
  server.maxHeadersCount = MAX_HEADERS_COUNT;
  server.maxConnections = limits.maxConnections;
}
