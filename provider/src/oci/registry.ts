/**
 * The registry client's composition point: one Registry per process (or per configuration) holds the transport,
 * authentication state, caches and the per-registry memory of referrers-API support, and hands out Repository objects.
 */
import { readFile } from 'node:fs/promises';
import { OciError } from './errors.js';
import { Authenticator } from './auth.js';
import { RegistryCaches, registryMemory, type CacheInvalidation, type CacheOptions, type CacheStats } from './cache.js';
import type { CredentialLookup } from './credentials.js';
import { MAX_MANIFEST_BYTES } from './mediaTypes.js';
import { parseReference, type Reference } from './reference.js';
import { Repository, type RegistryLimits, type RepositoryContext } from './repository.js';
import { listPaged } from './listing.js';
import { parseAllowedTokenRealms } from './tokenRealm.js';
import { Transport, type FetchLike, type RegistryEvent } from './transport.js';

export interface RegistryOptions {
  /** The one network seam: Node's fetch or cross-fetch (cross-fetch honours the keep-alive agents and `caFile`). */
  readonly fetch: FetchLike;
  /** Wall clock for token expiry, cache TTLs and the signature `created` annotation. */
  readonly clock: () => Date;
  readonly credentials?: CredentialLookup;
  /**
   * Token realm hosts (`host` or `host:port`) off the registry's own site that may receive its credentials; a realm on
   * the registry's registrable domain always may (tokenRealm.ts). Anonymous token requests go to any realm.
   */
  readonly allowedTokenRealms?: readonly string[];
  /** Hosts (`host` or `host:port`) spoken to over plain HTTP; loopback hosts always are. */
  readonly plainHttpHosts?: readonly string[];
  /** Loopback hosts (localhost, 127.0.0.0/8, [::1]) use plain HTTP unless this is false. Default true. */
  readonly loopbackPlainHttp?: boolean;
  /** PEM bundle trusted in addition to the system roots (read once by createRegistry). */
  readonly caFile?: string;
  readonly timeouts?: { readonly requestMs?: number };
  readonly retry?: { readonly retries?: number; readonly baseMs?: number; readonly maxMs?: number };
  readonly cache?: CacheOptions;
  readonly limits?: Partial<RegistryLimits>;
  readonly userAgent?: string;
  /** Request / retry / redirect events without credentials or query strings. */
  readonly log?: (event: RegistryEvent) => void;
  /** Waits between retries (tests pass an instant one). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type ReferrersSupport = 'supported' | 'unsupported' | 'unknown';

export interface RegistryStats {
  /** HTTP requests sent so far (retries, redirects and token requests included). */
  readonly requests: number;
  readonly caches: CacheStats;
}

export class Registry {
  private readonly ctx: RepositoryContext;

  /** Prefer createRegistry, which also reads `caFile`. `ca` is PEM text. */
  constructor(options: RegistryOptions & { readonly ca?: string }) {
    const transport = new Transport({
      fetch: options.fetch,
      ...(options.plainHttpHosts !== undefined ? { plainHttpHosts: options.plainHttpHosts } : {}),
      ...(options.loopbackPlainHttp !== undefined ? { loopbackPlainHttp: options.loopbackPlainHttp } : {}),
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      ...(options.timeouts?.requestMs !== undefined ? { requestTimeoutMs: options.timeouts.requestMs } : {}),
      ...(options.retry?.retries !== undefined ? { retries: options.retry.retries } : {}),
      ...(options.retry?.baseMs !== undefined ? { retryBaseMs: options.retry.baseMs } : {}),
      ...(options.retry?.maxMs !== undefined ? { retryMaxMs: options.retry.maxMs } : {}),
      ...(options.userAgent !== undefined ? { userAgent: options.userAgent } : {}),
      ...(options.log !== undefined ? { log: options.log } : {}),
      ...(options.sleep !== undefined ? { sleep: options.sleep } : {}),
      clock: options.clock,
    });
    const limits: RegistryLimits = {
      maxManifestBytes: options.limits?.maxManifestBytes ?? MAX_MANIFEST_BYTES,
      maxReferrerPages: options.limits?.maxReferrerPages ?? 20,
      maxReferrers: options.limits?.maxReferrers ?? 100,
    };
    for (const [k, v] of Object.entries(limits)) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new OciError('CONFIG_INVALID', `registry client limit ${k} must be a positive integer, got ${String(v)}`);
    }
    this.ctx = {
      transport,
      auth: new Authenticator({
        transport,
        clock: options.clock,
        allowedTokenRealms: parseAllowedTokenRealms(options.allowedTokenRealms ?? []),
        ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
      }),
      caches: new RegistryCaches(options.cache ?? {}, options.clock),
      limits,
      clock: options.clock,
      referrersSupport: registryMemory<boolean>(),
    };
  }

  /** A repository by reference (string or parsed). resolve() without argument then uses its digest, else tag, else `latest`. */
  repository(reference: Reference | string): Repository {
    const ref = typeof reference === 'string' ? parseReference(reference) : reference;
    return new Repository(ref.registry, ref.repository, ref.digest ?? ref.tag ?? 'latest', this.ctx);
  }

  /** Every repository of `registry` (canonical host[:port]) from `/v2/_catalog` (paginated, bounded). */
  async catalog(registry: string, options: { readonly signal?: AbortSignal } = {}): Promise<readonly string[]> {
    const first = `${this.ctx.transport.baseUrl(registry)}/v2/_catalog`;
    const send = (url: string): ReturnType<Repository['request']> =>
      this.ctx.auth.send(registry, { method: 'GET', url }, ['registry:catalog:*'], options.signal);
    return listPaged(first, 'repositories', `the catalog of ${registry}`, send);
  }

  referrersSupport(registry: string): ReferrersSupport {
    const known = this.ctx.referrersSupport.get(registry);
    return known === undefined ? 'unknown' : known ? 'supported' : 'unsupported';
  }

  stats(): RegistryStats {
    return { requests: this.ctx.transport.requests, caches: this.ctx.caches.stats() };
  }

  /** Drops the tag resolutions and referrer lists a registry event made stale; returns how many entries. */
  invalidateCaches(change: CacheInvalidation): number {
    return this.ctx.caches.invalidate(change);
  }

  /** Forgets cached tags, referrer lists and content (e.g. on a configuration change). */
  clearCaches(): void {
    this.ctx.caches.clear();
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.ctx.transport.close();
  }
}

/** Builds a Registry, reading `caFile` (a PEM bundle) first; a missing or certificate-less file is CONFIG_INVALID. */
export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  if (options.caFile === undefined) return new Registry(options);
  let ca: string;
  try {
    ca = await readFile(options.caFile, 'utf8');
  } catch (cause) {
    throw new OciError('CONFIG_INVALID', `CA bundle ${options.caFile} cannot be read: ${(cause as Error).message}`, { cause });
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(ca)) {
    throw new OciError('CONFIG_INVALID', `CA bundle ${options.caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return new Registry({ ...options, ca });
}
