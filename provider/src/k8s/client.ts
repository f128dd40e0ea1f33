/**
 * A small Kubernetes API client: JSON requests and watch streams over node:http(s), authenticated by
 * @kubernetes/client-node's KubeConfig (kubeconfig file or in-cluster service account: CA, client certificates,
 * bearer tokens, exec plugins). Hand-written rather than the generated API classes because the controller needs
 * three things they hide: the raw watch stream (bookmarks, 410 inside the stream), byte bounds on every answer, and
 * one place that turns every failure into a KubeError.
 */
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { jsonSyntaxProblem } from '../jsonText.js';
import { KubeError } from './errors.js';

/** Bound on a list or object answer. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Bound on one watch event (one line of the stream). */
export const MAX_WATCH_EVENT_BYTES = 8 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

export interface WatchEvent {
  readonly type: string;
  readonly object: Readonly<Record<string, unknown>>;
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** Default application/json; `application/merge-patch+json` for PATCH. */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

export interface KubeClient {
  /** One JSON request; resolves the parsed body of a 2xx answer, throws KubeError otherwise. */
  request(method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE', path: string, options?: RequestOptions): Promise<unknown>;
  /** A watch stream: `onEvent` per event; resolves when the server ends the stream, rejects with KubeError. */
  watch(path: string, query: Readonly<Record<string, string>>, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function statusMessage(status: number, text: string, what: string): KubeError {
  let detail = text.slice(0, 500);
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body) && typeof body.message === 'string') detail = body.message;
  } catch {
    // not JSON: keep the text
  }
  const hint = status === 401 || status === 403 ? '; check the ServiceAccount and its RBAC (see charts/signgate templates/rbac.yaml)' : '';
  return new KubeError(status === 410 ? 'KUBE_GONE' : 'KUBE_HTTP', `${what} answered HTTP ${status}: ${detail}${hint}`, { status });
}

/** Parses one watch line into an event. */
export function parseWatchLine(line: string, what: string): WatchEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    // no cause: V8's message quotes the text around the error, and a watch line may carry a Secret's data
    throw new KubeError('KUBE_RESPONSE', `${what} sent a watch event that is not JSON (${jsonSyntaxProblem(line, err)})`);
  }
  if (!isRecord(value) || typeof value.type !== 'string' || !isRecord(value.object)) {
    throw new KubeError('KUBE_RESPONSE', `${what} sent a watch event without type and object`);
  }
  return { type: value.type, object: value.object };
}

function tlsOptions(opts: https.RequestOptions): https.RequestOptions {
  const out: https.RequestOptions = {};
  if (opts.ca !== undefined) out.ca = opts.ca;
  if (opts.cert !== undefined) out.cert = opts.cert;
  if (opts.key !== undefined) out.key = opts.key;
  if (opts.servername !== undefined) out.servername = opts.servername;
  if (opts.rejectUnauthorized !== undefined) out.rejectUnauthorized = opts.rejectUnauthorized;
  return out;
}

/** A KubeClient for the current context of `kubeConfig`. */
export function kubeClientFromConfig(kubeConfig: KubeConfig): KubeClient {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new KubeError('KUBE_CONFIG', 'no Kubernetes cluster is configured: run inside a pod with a ServiceAccount, or set KUBECONFIG');
  const server = cluster.server.replace(/\/+$/, '');

  async function open(method: string, path: string, options: RequestOptions, timeoutMs: number): Promise<http.IncomingMessage> {
    const url = new URL(server + path);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const opts: https.RequestOptions = {};
    try {
      await kubeConfig.applyToHTTPSOptions(opts);
    } catch (cause) {
      throw new KubeError('KUBE_CONFIG', `the kubeconfig cannot authenticate to ${server}: ${(cause as Error).message}`, { cause });
    }
    const plain = url.protocol === 'http:';
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (opts.headers && !Array.isArray(opts.headers)) Object.assign(headers, opts.headers);
    if (body) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = body.length;
    }
    if (typeof opts.auth === 'string') headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const what = `the Kubernetes API (${method} ${path})`;
    return new Promise((resolve, reject) => {
      const request = (plain ? http : https).request(
        {
          ...(plain ? {} : tlsOptions(opts)),
          method,
          protocol: url.protocol,
          hostname: url.hostname.replace(/^\[|\]$/g, ''),
          port: url.port,
          path: url.pathname + url.search,
          headers,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        resolve,
      );
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs}ms`)));
      request.on('error', (cause) => {
        const aborted = options.signal?.aborted === true;
        reject(new KubeError('KUBE_UNREACHABLE', aborted ? `${what} was cancelled` : `cannot reach ${what} at ${server}: ${cause.message}`, { cause }));
      });
      request.end(body);
    });
  }

  async function readAll(response: http.IncomingMessage, what: string): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response) {
      size += (chunk as Buffer).length;
      if (size > MAX_RESPONSE_BYTES) {
        response.destroy();
        throw new KubeError('KUBE_RESPONSE', `${what} answered more than ${MAX_RESPONSE_BYTES} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  return {
    async request(method, path, options = {}) {
      const what = `the Kubernetes API (${method} ${path})`;
      const response = await open(method, path, options, REQUEST_TIMEOUT_MS);
      let text: string;
      try {
        text = await readAll(response, what);
      } catch (err) {
        if (err instanceof KubeError) throw err;
        throw new KubeError('KUBE_UNREACHABLE', `${what} broke off: ${(err as Error).message}`, { cause: err });
      }
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) throw statusMessage(status, text, what);
      try {
        return JSON.parse(text) as unknown;
      } catch (cause) {
        throw new KubeError('KUBE_RESPONSE', `${what} answered something that is not JSON`, { cause });
      }
    },

    async watch(path, query, onEvent, signal) {
      const what = `the Kubernetes API (watch ${path})`;
      const seconds = Number(query.timeoutSeconds ?? '300');
      const response = await open('GET', path, { query: { ...query, watch: 'true' }, signal }, (seconds + 30) * 1000);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) throw statusMessage(status, await readAll(response, what), what);
      let pending = '';
      try {
        for await (const chunk of response) {
          pending += (chunk as Buffer).toString('utf8');
          let newline: number;
          while ((newline = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, newline).trim();
            pending = pending.slice(newline + 1);
            if (line !== '') onEvent(parseWatchLine(line, what));
          }
          if (pending.length > MAX_WATCH_EVENT_BYTES) throw new KubeError('KUBE_RESPONSE', `${what} sent an event larger than ${MAX_WATCH_EVENT_BYTES} bytes`);
        }
      } catch (err) {
        response.destroy();
        if (err instanceof KubeError) throw err;
        if (signal.aborted) return;
        throw new KubeError('KUBE_UNREACHABLE', `${what} broke off: ${(err as Error).message}`, { cause: err });
      }
      if (pending.trim() !== '') onEvent(parseWatchLine(pending.trim(), what));
    },
  };
}
