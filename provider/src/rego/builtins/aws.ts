/** providers.aws.sign_req: AWS Signature Version 4 for a request object (as OPA signs requests for http.send). */
import { createHash, createHmac } from 'node:crypto';
import { BuiltinError } from '../errors.js';
import type { Value } from '../value.js';
import { RObject } from '../value.js';
import { type Builtin, num, obj } from './types.js';
import { jsonMarshal } from './encoding.js';

const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const hmac = (k: string | Buffer, s: string): Buffer => createHmac('sha256', k).update(s).digest();
const typeErr = (msg: string): never => { throw new BuiltinError('eval_type_error', `providers.aws.sign_req: ${msg}`); };

function required(o: RObject, keys: readonly string[], operand: number, what: string): Record<string, string> {
  const missing = keys.filter((k) => !o.has(k));
  if (missing.length > 0) typeErr(`operand ${operand} missing required ${what} parameters(s): {${missing.map((k) => JSON.stringify(k)).join(', ')}}`);
  const bad = keys.filter((k) => typeof o.get(k) !== 'string');
  if (bad.length > 0) typeErr(`operand ${operand} invalid values for required ${what} parameters(s): {${bad.map((k) => JSON.stringify(k)).join(', ')}}`);
  return Object.fromEntries(keys.map((k) => [k, o.get(k) as string]));
}

const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

function signReq(a: readonly Value[]): Value {
  const req = obj('providers.aws.sign_req', a, 0);
  const cfg = obj('providers.aws.sign_req', a, 1);
  const ns = num('providers.aws.sign_req', a, 2);
  const r = required(req, ['method', 'url'], 1, 'request');
  const method = r['method'] as string, url = r['url'] as string;
  const c = required(cfg, ['aws_access_key', 'aws_region', 'aws_secret_access_key', 'aws_service'], 2, 'AWS config');
  if (!Number.isFinite(ns) || ns < 0 || ns > 9.3e18) typeErr('operand 3 could not convert time_ns value into a unix timestamp');
  const when = new Date(Math.floor(ns / 1e6));
  if (Number.isNaN(when.getTime())) typeErr('operand 3 could not convert time_ns value into a unix timestamp');
  const amzDate = when.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  let u: URL;
  try { u = new URL(url); } catch { return typeErr(`operand 1 invalid url ${url}`); }
  const raw = req.get('raw_body'), body = req.get('body');
  const payload = typeof raw === 'string' ? raw : body !== undefined ? jsonMarshal(body) : '';
  const headers = new Map<string, string>();
  const given = req.get('headers');
  if (given instanceof RObject) for (const [k, v] of given.entries()) if (typeof k === 'string') headers.set(k, typeof v === 'string' ? v : jsonMarshal(v));
  headers.set('host', u.host);
  headers.set('x-amz-content-sha256', sha256(payload));
  headers.set('x-amz-date', amzDate);
  const token = cfg.get('aws_session_token');
  if (typeof token === 'string' && token !== '') headers.set('x-amz-security-token', token);
  const canon = [...headers].map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, ' ')] as const).sort((x, y) => (x[0] < y[0] ? -1 : 1));
  const signed = canon.map(([k]) => k).join(';');
  const query = [...u.searchParams].map(([k, v]) => `${enc(k)}=${enc(v)}`).sort().join('&');
  // Like Go's url.URL.Path (which OPA signs): empty when the URL has no path; the method is used as given.
  const rawPath = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/.exec(url)?.[1] ?? '';
  const path = rawPath.split('/').map((s) => enc(decodeURIComponent(s))).join('/');
  const creq = [method, path, query, canon.map(([k, v]) => `${k}:${v}\n`).join(''), signed, sha256(payload)].join('\n');
  const scope = `${day}/${c['aws_region']}/${c['aws_service']}/aws4_request`;
  const sts = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(creq)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + c['aws_secret_access_key'], day), c['aws_region'] as string), c['aws_service'] as string), 'aws4_request');
  const sig = createHmac('sha256', key).update(sts).digest('hex');
  const outHeaders = new RObject([...headers].map(([k, v]) => [k, v] as const));
  outHeaders.set('Authorization', `AWS4-HMAC-SHA256 Credential=${c['aws_access_key']}/${scope},SignedHeaders=${signed},Signature=${sig}`);
  const out = new RObject(req.entries());
  out.set('headers', outHeaders);
  return out;
}

export const awsBuiltins: Readonly<Record<string, Builtin>> = {
  'providers.aws.sign_req': { arity: 3, fn: signReq },
};
