/**
 * HTTP transport of the registry client: one injectable fetch seam, scheme choice (plain HTTP for loopback and listed
 * hosts), keep-alive agents with an optional private CA bundle, per-request timeouts, manual redirects that never
 * carry credentials to another origin, and retries with backoff on 429/502/503/504 and connection resets (Retry-After
 * honoured: retryAfter.ts), always inside the caller's AbortSignal. Bodies are read by body.ts.
 */
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { createHttpAgent, createHttpsAgent } from './agents.js';
import { OciError } from './errors.js';
import { DOCKER_HUB, canonicalRegistry } from './reference.js';
import { retryAfterMs } from './retryAfter.js';

export interface FetchHeaders {
  get(name: string): string | null;
}
/** What the client needs of a fetch Response; Node's fetch and cross-fetch/node-fetch both fit (their bodies are async iterable). */
export interface FetchResponse {
  readonly status: number;
  readonly headers: FetchHeaders;
  readonly body: AsyncIterable<Uint8Array> | null;
}
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array<ArrayBuffer>;
  signal: AbortSignal;
  redirect: 'manual';
  /** node-fetch / cross-fetch read this (keep-alive, private CA); Node's built-in fetch ignores it. */
  agent?: (url: URL) => http.Agent;
}
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

/**
 * One line per request for logs; URLs carry no query string and no header is ever included. A `request` without a
 * `status` failed before the registry answered (its `error` is the network error code, e.g. ECONNREFUSED).
 */
export interface RegistryEvent {
  readonly type: 'request' | 'retry' | 'redirect';
  readonly method: string;
  readonly url: string;
  readonly status?: number;
  readonly attempt: number;
  readonly error?: string;
}

export interface TransportOptions {
  readonly fetch: FetchLike;
  readonly plainHttpHosts?: readonly string[];
  /** Loopback hosts use plain HTTP unless this is false (a TLS registry on 127.0.0.1). Default true. */
  readonly loopbackPlainHttp?: boolean;
  /** PEM certificates trusted in addition to the system roots. */
  readonly ca?: string;
  readonly requestTimeoutMs?: number;
  readonly retries?: number;
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly userAgent?: string;
  readonly log?: (event: RegistryEvent) => void;
  /** Waits between retries (injectable for tests); must reject when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Places a Retry-After HTTP-date in time; without it only delay-seconds are honoured. */
  readonly clock?: () => Date;
}

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

/** A response plus the signal that bounds reading its body (caller deadline + per-request timeout). */
export interface Sent {
  readonly response: FetchResponse;
  readonly signal: AbortSignal;
  /** Final URL after redirects. */
  readonly url: string;
  readonly method: string;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
const RETRY_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ETIMEDOUT']);
const TLS_HINT = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)|ERR_TLS/;
const MAX_REDIRECTS = 5;

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** host part of a canonical `host[:port]` / `[v6]:port`. */
export function hostName(registry: string): string {
  return registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.replace(/:\d+$/, '');
}

export function isLoopback(registry: string): boolean {
  const h = hostName(registry);
  return h === 'localhost' || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Docker Hub's API lives at registry-1.docker.io. */
export function endpointHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** URL without query or fragment, for logs and messages (upload URLs carry state tokens in the query). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = error;
  for (let i = 0; i < 5 && typeof e === 'object' && e !== null; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

export class Transport {
  private readonly plain: ReadonlySet<string>;
  private readonly requestTimeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly httpAgent = createHttpAgent();
  private readonly httpsAgent: https.Agent;
  /** HTTP requests sent, including retries, redirects and token requests. */
  requests = 0;

  constructor(private readonly options: TransportOptions) {
    this.plain = new Set((options.plainHttpHosts ?? []).map((h) => canonicalRegistry(h, { singleLabel: true })));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.retries = options.retries ?? 3;
    this.retryBaseMs = options.retryBaseMs ?? 100;
    this.retryMaxMs = options.retryMaxMs ?? 2_000;
    this.sleep = options.sleep ?? defaultSleep;
    this.httpsAgent = createHttpsAgent(options.ca !== undefined ? { ca: [...rootCertificates, options.ca] } : {});
  }

  /** True when canonical `registry` (host[:port]) is spoken to over plain HTTP: loopback, or listed by host or host:port. */
  isPlainHttp(registry: string): boolean {
    return (this.options.loopbackPlainHttp !== false && isLoopback(registry)) || this.plain.has(registry) || this.plain.has(hostName(registry));
  }

  baseUrl(registry: string): string {
    return `${this.isPlainHttp(registry) ? 'http' : 'https'}://${endpointHost(registry)}`;
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** Sends with retries and redirects. Non-2xx answers are returned (after retries), not thrown. */
  async send(request: HttpRequest, signal?: AbortSignal): Promise<Sent> {
    for (let attempt = 0; ; attempt++) {
      const attemptSignal = signal ? AbortSignal.any([signal, AbortSignal.timeout(this.requestTimeoutMs)]) : AbortSignal.timeout(this.requestTimeoutMs);
      let sent: Sent;
      try {
        sent = await this.sendOnce(request, attemptSignal, attempt);
      } catch (error) {
        if (error instanceof OciError) throw error;
        const failure = this.classify(error, request, signal, attemptSignal);
        if (failure.retry && attempt < this.retries) {
          await this.wait(attempt, undefined, request, signal, failure.error.message);
          continue;
        }
        throw failure.error;
      }
      const status = sent.response.status;
      // a registry that asks for a longer pause than retryMaxMs is not retried early: its answer stands (RATE_LIMITED, ...)
      const after = RETRY_STATUS.has(status) ? retryAfterMs(sent.response.headers.get('retry-after'), this.options.clock) : undefined;
      if (RETRY_STATUS.has(status) && attempt < this.retries && (after === undefined || after <= this.retryMaxMs)) {
        await discard(sent.response);
        await this.wait(attempt, after, request, signal, `status ${status}`);
        continue;
      }
      return sent;
    }
  }

  /** Waits the backoff for `attempt`, or the registry's Retry-After (`afterMs`) when that is longer. */
  private async wait(attempt: number, afterMs: number | undefined, request: HttpRequest, signal: AbortSignal | undefined, why: string): Promise<void> {
    const backoff = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    const delay = Math.min(Math.max(backoff, afterMs ?? 0), this.retryMaxMs);
    this.options.log?.({ type: 'retry', method: request.method, url: safeUrl(request.url), attempt: attempt + 1, error: why });
    try {
      await this.sleep(delay, signal);
    } catch {
      throw new OciError('REGISTRY_TIMEOUT', `${request.method} ${safeUrl(request.url)}: the deadline passed while waiting to retry (${why})`);
    }
  }

  private async sendOnce(request: HttpRequest, signal: AbortSignal, attempt: number): Promise<Sent> {
    let url = request.url;
    let method = request.method;
    let headers: Record<string, string> = { ...request.headers };
    let body = request.body;
    if (this.options.userAgent !== undefined) headers['user-agent'] = this.options.userAgent;
    const origin = new URL(url).origin;
    for (let hop = 0; ; hop++) {
      this.requests++;
      const init: FetchInit = { method, headers, signal, redirect: 'manual', agent: (u) => (u.protocol === 'http:' ? this.httpAgent : this.httpsAgent) };
      if (body !== undefined) init.body = body.buffer instanceof ArrayBuffer ? (body as Uint8Array<ArrayBuffer>) : new Uint8Array(body);
      let response: FetchResponse;
      try {
        response = await this.options.fetch(url, init);
      } catch (error) {
        // no status: refused, reset, timed out, TLS; counted as status "error" by whoever listens
        this.options.log?.({ type: 'request', method, url: safeUrl(url), attempt, error: errorCodes(error)[0] ?? (error as Error)?.name ?? 'error' });
        throw error;
      }
      this.options.log?.({ type: 'request', method, url: safeUrl(url), status: response.status, attempt });
      const location = response.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(response.status) || location === null || (method === 'POST' && response.status !== 303)) {
        return { response, signal, url, method };
      }
      await discard(response);
      if (hop >= MAX_REDIRECTS) throw new OciError('RESPONSE_INVALID', `${request.method} ${safeUrl(request.url)}: more than ${MAX_REDIRECTS} redirects`);
      const next = new URL(location, url);
      if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new OciError('RESPONSE_INVALID', `${safeUrl(url)} redirected to a ${next.protocol} URL`);
      if (next.origin !== origin) {
        // credentials belong to the registry's origin only (signed storage URLs carry their own)
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      if (response.status === 303) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
      }
      this.options.log?.({ type: 'redirect', method, url: safeUrl(next.href), attempt });
      url = next.href;
    }
  }

  private classify(error: unknown, request: HttpRequest, caller: AbortSignal | undefined, attempt: AbortSignal): { retry: boolean; error: OciError } {
    const what = `${request.method} ${safeUrl(request.url)}`;
    if (caller?.aborted) return { retry: false, error: new OciError('REGISTRY_TIMEOUT', `${what}: the deadline passed before the registry answered`, { cause: error }) };
    if (attempt.aborted) {
      return { retry: true, error: new OciError('REGISTRY_TIMEOUT', `${what}: no answer within ${this.requestTimeoutMs} ms`, { cause: error }) };
    }
    const codes = errorCodes(error);
    const retry = codes.some((c) => RETRY_NETWORK.has(c)) || /socket hang up|other side closed/i.test(String((error as Error)?.message));
    let hint = 'check that the registry is running and reachable';
    if (codes.some((c) => TLS_HINT.test(c))) hint = 'the TLS certificate is not trusted; pass the registry CA bundle (caFile / --ca-file)';
    else if (codes.some((c) => c === 'EPROTO' || c === 'ERR_SSL_WRONG_VERSION_NUMBER')) hint = 'the registry may speak plain HTTP; list it in plainHttpHosts (--plain-http)';
    else if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN')) hint = 'the host name does not resolve';
    const detail = codes[0] ?? (error as Error)?.message ?? String(error);
    return { retry, error: new OciError('REGISTRY_UNREACHABLE', `${what}: ${detail}; ${hint}`, { cause: error }) };
  }
}

/** Drops a response body without reading it. */
export async function discard(response: FetchResponse): Promise<void> {
  const body = response.body as (AsyncIterable<Uint8Array> & { cancel?: () => Promise<void>; destroy?: () => void }) | null;
  if (body === null) return;
  try {
    if (typeof body.cancel === 'function') await body.cancel();
    else if (typeof body.destroy === 'function') body.destroy();
  } catch {
    // already closed
  }
}
