/**
 * Registry authentication (distribution token spec and RFC 7235/7617): anonymous, Basic, and Bearer tokens obtained
 * from the realm named in the WWW-Authenticate challenge (service, scope), cached per registry and scope until they
 * expire by the injected clock. After one challenge the scheme is remembered per registry, so later requests send
 * credentials (or fetch the token for a new scope) without another 401 round trip. Credentials never reach logs or
 * messages, and reach a token realm only on the registry's own site or listed in allowedTokenRealms (tokenRealm.ts).
 */
import { LRUCache } from 'lru-cache';
import { OciError } from './errors.js';
import { readBody } from './body.js';
import { registryMemory } from './cache.js';
import { isPlainObject } from './descriptor.js';
import { statusError } from './httpError.js';
import { checkTokenRealm } from './tokenRealm.js';
import { discard, type HttpRequest, type Sent, type Transport } from './transport.js';
import type { Credential, CredentialLookup } from './credentials.js';

export interface Challenge {
  /** Lowercased scheme: `bearer`, `basic`, ... */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const MAX_CHALLENGE = 8 * 1024;
const MAX_TOKEN_RESPONSE = 1024 * 1024;
/** Docker token spec: a token without expires_in lives 60 seconds. */
const DEFAULT_TOKEN_SECONDS = 60;

/** Parses a WWW-Authenticate header into its challenges (`Bearer realm="..",service="..",scope=".."`). */
export function parseChallenges(header: string): Challenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  const text = header.slice(0, MAX_CHALLENGE);
  const re = /\s*(?:([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))|([A-Za-z0-9!#$%&'*+.^_`|~-]+))\s*,?/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    if (m[0].length === 0) break;
    if (m[4] !== undefined) {
      out.push({ scheme: m[4].toLowerCase(), params: Object.create(null) as Record<string, string> });
    } else if (m[1] !== undefined && out.length > 0) {
      const last = out[out.length - 1] as { params: Record<string, string> };
      last.params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
    }
  }
  return out;
}

type Scheme = { readonly kind: 'basic' } | { readonly kind: 'bearer'; readonly realm: string; readonly service?: string };

export interface AuthOptions {
  readonly transport: Transport;
  readonly credentials?: CredentialLookup;
  readonly clock: () => Date;
  readonly tokenCacheEntries?: number;
  /** Canonical hosts (tokenRealm.ts parseAllowedTokenRealms) of token realms off the registry's site that may get its credentials. */
  readonly allowedTokenRealms?: ReadonlySet<string>;
}

function basic(c: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`, 'utf8').toString('base64')}`;
}

export class Authenticator {
  private readonly schemes = registryMemory<Scheme>();
  private readonly tokens: LRUCache<string, string>;
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(private readonly options: AuthOptions) {
    this.tokens = new LRUCache<string, string>({
      max: options.tokenCacheEntries ?? 1000,
      ttlResolution: 0,
      perf: { now: () => options.clock().getTime() },
    });
  }

  /** Sends `request` to `registry` with the credentials the registry asks for; answers 401 only when auth failed. */
  async send(registry: string, request: HttpRequest, scopes: readonly string[], signal?: AbortSignal): Promise<Sent> {
    const transport = this.options.transport;
    const pre = await this.authorization(registry, scopes, signal);
    const sent = await transport.send(withAuth(request, pre), signal);
    if (sent.response.status !== 401) return sent;
    const challenges = parseChallenges(sent.response.headers.get('www-authenticate') ?? '');
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params['realm']);
    const basicChallenge = challenges.find((c) => c.scheme === 'basic');
    let retry: string | undefined;
    if (bearer !== undefined) {
      const scheme: Scheme = { kind: 'bearer', realm: bearer.params['realm'] as string, ...(bearer.params['service'] ? { service: bearer.params['service'] } : {}) };
      this.schemes.set(registry, scheme);
      const wanted = [...new Set([...scopes, ...(bearer.params['scope'] ?? '').split(' ').filter((s) => s.length > 0)])].sort();
      const wantedKey = this.tokenKey(registry, scheme, wanted);
      this.tokens.delete(wantedKey);
      const token = await this.token(registry, scheme, wanted, signal);
      // the token covers the scopes this client asked for, so later requests for them reuse it without a challenge
      const ownKey = this.tokenKey(registry, scheme, [...scopes].sort());
      const ttl = this.tokens.getRemainingTTL(wantedKey);
      if (ownKey !== wantedKey && ttl > 0 && Number.isFinite(ttl)) this.tokens.set(ownKey, token, { ttl });
      retry = `Bearer ${token}`;
    } else if (basicChallenge !== undefined) {
      const credential = await this.credential(registry);
      if (credential !== undefined && 'username' in credential) {
        this.schemes.set(registry, { kind: 'basic' });
        retry = basic(credential);
      }
    }
    if (retry === undefined || retry === pre) return sent;
    await discard(sent.response);
    return transport.send(withAuth(request, retry), signal);
  }

  private async credential(registry: string): Promise<Credential | undefined> {
    return this.options.credentials ? await this.options.credentials(registry) : undefined;
  }

  private async authorization(registry: string, scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    const scheme = this.schemes.get(registry);
    if (scheme === undefined) return undefined;
    if (scheme.kind === 'basic') {
      const c = await this.credential(registry);
      return c !== undefined && 'username' in c ? basic(c) : undefined;
    }
    return `Bearer ${await this.token(registry, scheme, [...scopes].sort(), signal)}`;
  }

  private tokenKey(registry: string, scheme: { realm: string; service?: string }, scopes: readonly string[]): string {
    return `${registry}|${scheme.realm}|${scheme.service ?? ''}|${scopes.join(' ')}`;
  }

  private async token(registry: string, scheme: { realm: string; service?: string }, scopes: readonly string[], signal?: AbortSignal): Promise<string> {
    const key = this.tokenKey(registry, scheme, scopes);
    const cached = this.tokens.get(key);
    if (cached !== undefined) return cached;
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      pending = this.fetchToken(registry, scheme, scopes, key, signal).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(registry: string, scheme: { realm: string; service?: string }, scopes: readonly string[], key: string, signal?: AbortSignal): Promise<string> {
    const credential = await this.credential(registry);
    if (credential !== undefined && 'registryToken' in credential) return credential.registryToken;
    let realm: URL;
    try {
      realm = new URL(scheme.realm);
    } catch (cause) {
      throw new OciError('RESPONSE_INVALID', `registry ${registry} named a token realm that is not a URL`, { cause });
    }
    const transport = this.options.transport;
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && transport.isPlainHttp(realm.host))) {
      throw new OciError('RESPONSE_INVALID', `registry ${registry} named token realm ${realm.origin}${realm.pathname}, which is not HTTPS; list its host in plainHttpHosts to allow it`);
    }
    if (credential !== undefined) await checkTokenRealm(registry, realm, this.options.allowedTokenRealms ?? new Set());
    const what = `token for ${scopes.join(' ') || 'registry access'} at ${registry}`;
    let request: HttpRequest;
    if (credential !== undefined && 'identityToken' in credential) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.identityToken, client_id: 'signgate', scope: scopes.join(' ') });
      if (scheme.service !== undefined) form.set('service', scheme.service);
      request = { method: 'POST', url: realm.href, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new TextEncoder().encode(form.toString()) };
    } else {
      if (scheme.service !== undefined) realm.searchParams.set('service', scheme.service);
      for (const s of scopes) realm.searchParams.append('scope', s);
      request = { method: 'GET', url: realm.href, ...(credential !== undefined && 'username' in credential ? { headers: { authorization: basic(credential) } } : {}) };
    }
    const sent = await transport.send(request, signal);
    if (sent.response.status !== 200) {
      const error = await statusError(sent, what);
      throw new OciError(error.code, credential === undefined && error.code === 'UNAUTHORIZED' ? `${error.message} (no credentials are configured for ${registry})` : error.message);
    }
    const bytes = await readBody(sent, { cap: MAX_TOKEN_RESPONSE, what });
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    } catch {
      throw new OciError('RESPONSE_INVALID', `${what}: the token server answered something other than JSON`);
    }
    const token = isPlainObject(json) ? (json['token'] ?? json['access_token']) : undefined;
    if (typeof token !== 'string' || token.length === 0 || token.length > 64 * 1024 || /[\s"]/.test(token)) {
      throw new OciError('RESPONSE_INVALID', `${what}: the token server answer has no usable "token" or "access_token"`);
    }
    const expiresIn = isPlainObject(json) && typeof json['expires_in'] === 'number' && json['expires_in'] > 0 ? json['expires_in'] : DEFAULT_TOKEN_SECONDS;
    // keep it for 90% of its life so it does not expire between the cache check and the registry's check
    const ttl = Math.max(1, Math.floor(expiresIn * 900));
    this.tokens.set(key, token, { ttl });
    return token;
  }
}

function withAuth(request: HttpRequest, authorization: string | undefined): HttpRequest {
  if (authorization === undefined) return request;
  return { ...request, headers: { ...request.headers, authorization } };
}
