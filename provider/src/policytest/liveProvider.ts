/**
 * Live external data providers (`--provider NAME=https://host:port/path --provider-ca FILE`): keys an evaluation
 * asks for are POSTed as a Gatekeeper ProviderRequest; answers are cached for the run.
 */
import { request } from 'node:https';
import { PolicyTestError } from './errors.js';
import { type ExternalDataAnswer, type ExternalDataHost, ExternalDataHalt } from './externalData.js';
import { type Json, isObj } from './yamlFiles.js';

export interface LiveProvider { readonly name: string; readonly url: URL; readonly ca: string | Buffer | undefined; readonly timeoutMs?: number }

const MAX_RESPONSE = 8 * 1024 * 1024;

interface Item { readonly value?: Json; readonly error?: string }

export class LiveHost implements ExternalDataHost {
  private readonly cache = new Map<string, Map<string, Item>>();
  private readonly systemErrors = new Map<string, string>();
  private readonly pending = new Map<string, Set<string>>();

  constructor(private readonly providers: ReadonlyMap<string, LiveProvider>) {}

  has(provider: string): boolean { return this.providers.has(provider); }

  lookup(provider: string, keys: readonly string[]): ExternalDataAnswer {
    if (!this.providers.has(provider)) throw new ExternalDataHalt('missing', provider, keys, `external_data: provider "${provider}" has no fixture in the case and no --provider ${provider}=URL`);
    const sys = this.systemErrors.get(provider);
    if (sys !== undefined) return { responses: [], errors: [], systemError: sys };
    const known = this.cache.get(provider) ?? new Map<string, Item>();
    const missing = keys.filter((k) => !known.has(k));
    if (missing.length > 0) {
      const p = this.pending.get(provider) ?? new Set<string>();
      for (const k of missing) p.add(k);
      this.pending.set(provider, p);
      throw new ExternalDataHalt('fetch', provider, missing, `external_data: fetching ${missing.length} key(s) from provider "${provider}"`);
    }
    const responses: [string, Json][] = [];
    const errors: [string, string][] = [];
    for (const k of keys) {
      const it = known.get(k) as Item;
      if (it.error) errors.push([k, it.error]); else responses.push([k, it.value ?? null]);
    }
    return { responses, errors, systemError: undefined };
  }

  /** Fetches every key asked for since the last call. */
  async fetchPending(): Promise<void> {
    const work = [...this.pending];
    this.pending.clear();
    for (const [name, keys] of work) {
      const p = this.providers.get(name) as LiveProvider;
      const body = await post(p, JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: [...keys] } }));
      let doc: unknown;
      try { doc = JSON.parse(body); } catch (e) {
        throw new PolicyTestError('PROVIDER_FAILED', `provider "${name}" at ${p.url.href} answered with invalid JSON; check that the URL is the provider's verify route`, { cause: e });
      }
      const resp = isObj(doc as Json) ? (doc as Record<string, Json>)['response'] : undefined;
      if (!isObj(resp)) throw new PolicyTestError('PROVIDER_FAILED', `provider "${name}" answered without a "response" object; it must return a Gatekeeper ProviderResponse`);
      if (typeof resp['systemError'] === 'string' && resp['systemError'] !== '') { this.systemErrors.set(name, resp['systemError']); continue; }
      const cache = this.cache.get(name) ?? new Map<string, Item>();
      this.cache.set(name, cache);
      for (const it of Array.isArray(resp['items']) ? resp['items'] : []) {
        if (!isObj(it) || typeof it['key'] !== 'string') continue;
        const error = typeof it['error'] === 'string' && it['error'] !== '' ? it['error'] : undefined;
        cache.set(it['key'], error !== undefined ? { error } : { value: it['value'] ?? null });
      }
      for (const k of keys) if (!cache.has(k)) cache.set(k, { error: `provider "${name}" returned no item for this key` });
    }
  }
}

function post(p: LiveProvider, body: string): Promise<string> {
  if (p.url.protocol !== 'https:') return Promise.reject(new PolicyTestError('PROVIDER_FAILED', `provider "${p.name}" URL ${p.url.href} must use https (Gatekeeper only calls providers over TLS)`));
  return new Promise((resolve, reject) => {
    const req = request(p.url, {
      method: 'POST', ca: p.ca, timeout: p.timeoutMs ?? 10_000,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE) { req.destroy(new Error(`response larger than ${MAX_RESPONSE} bytes`)); return; }
        chunks.push(c);
      });
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300) reject(new PolicyTestError('PROVIDER_FAILED', `provider "${p.name}" at ${p.url.href} answered HTTP ${res.statusCode ?? '?'}`));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${p.timeoutMs ?? 10_000} ms`)));
    req.on('error', (e) => reject(new PolicyTestError('PROVIDER_FAILED', `cannot reach provider "${p.name}" at ${p.url.href}: ${e.message}; check the URL and --provider-ca`, { cause: e })));
    req.end(body);
  });
}
