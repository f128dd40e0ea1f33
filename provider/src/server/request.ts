/**
 * Reading a Gatekeeper ProviderRequest: the body under a byte limit, then JSON, then the envelope
 * (`apiVersion`, `kind: ProviderRequest`, `request.keys`) into a readonly value. Every problem is a ServerError that
 * names the field and what is expected; nothing here throws anything else.
 */
import type { IncomingMessage } from 'node:http';
import { ServerError } from './errors.js';

export const API_VERSIONS: readonly string[] = ['externaldata.gatekeeper.sh/v1beta1', 'externaldata.gatekeeper.sh/v1alpha1'];
export const DEFAULT_API_VERSION = 'externaldata.gatekeeper.sh/v1beta1';

export interface RequestLimits {
  /** Body bytes at most (default 1 MiB). */
  readonly maxBodyBytes: number;
  /** Keys per request at most (default 1000). */
  readonly maxKeys: number;
  /** Characters per key at most (default 1100: a [namespace] prefix and a full reference with tag and digest). */
  readonly maxKeyLength: number;
}

export const DEFAULT_LIMITS: RequestLimits = { maxBodyBytes: 1024 * 1024, maxKeys: 1000, maxKeyLength: 1100 };

export interface ProviderRequest {
  readonly apiVersion: string;
  readonly keys: readonly string[];
}

const tooLarge = (limit: number): ServerError =>
  new ServerError('BODY_TOO_LARGE', `request body is larger than ${limit} bytes; send fewer keys per request`);

/** Reads the body, refusing it as soon as it passes the limit. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const quote = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v.slice(0, 80)) : v === undefined ? 'nothing' : typeof v);

export function parseProviderRequest(body: Uint8Array, limits: RequestLimits): ProviderRequest {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (cause) {
    throw new ServerError('BODY_INVALID', `request body is not valid JSON (${(cause as Error).message}); send a ProviderRequest`, { cause });
  }
  if (!isObject(doc)) throw new ServerError('BODY_INVALID', `request body must be a JSON object (a ProviderRequest), got ${Array.isArray(doc) ? 'an array' : quote(doc)}`);
  const { apiVersion, kind, request } = doc;
  if (typeof apiVersion !== 'string' || !API_VERSIONS.includes(apiVersion)) {
    throw new ServerError('REQUEST_INVALID', `apiVersion must be ${API_VERSIONS.join(' or ')}, got ${quote(apiVersion)}`);
  }
  if (kind !== 'ProviderRequest') throw new ServerError('REQUEST_INVALID', `kind must be "ProviderRequest", got ${quote(kind)}`);
  if (!isObject(request)) throw new ServerError('REQUEST_INVALID', 'request.keys is missing: expected {"request":{"keys":["image", ...]}}');
  const keys = request.keys;
  if (!Array.isArray(keys)) {
    throw new ServerError('REQUEST_INVALID', `request.keys must be an array of image references, got ${keys === undefined ? 'nothing (missing)' : quote(keys)}`);
  }
  if (keys.length > limits.maxKeys) {
    throw new ServerError('TOO_MANY_KEYS', `request.keys has ${keys.length} keys, more than the limit of ${limits.maxKeys}; split the request`);
  }
  keys.forEach((k: unknown, i) => {
    if (typeof k !== 'string') throw new ServerError('REQUEST_INVALID', `request.keys[${i}] must be a string (an image reference), got ${quote(k)}`);
    if (k.length > limits.maxKeyLength) {
      throw new ServerError('KEY_TOO_LONG', `request.keys[${i}] is ${k.length} characters long, more than the limit of ${limits.maxKeyLength}`);
    }
  });
  return Object.freeze({ apiVersion, keys: Object.freeze([...(keys as string[])]) });
}
