/**
 * Revocation checking of a certificate chain, as notation-core-go's revocation.ValidateContext does it, plus the
 * caches and the air-gapped path: for every certificate but the root, CRLs supplied as files for its issuer first
 * (no network when one of them is current and decides), then OCSP when the certificate names a responder, falling back
 * to its CRL distribution points when OCSP cannot give a good or revoked answer, else CRLs alone. Verified OCSP answers
 * are cached until their nextUpdate; verified CRLs in memory (and, with a CRL directory, on disk) until theirs.
 * Identical fetches in flight run once.
 */
import { LRUCache } from 'lru-cache';
import type { Certificate } from '../x509/index.js';
import type { CrlDirectory } from './crlDirectory.js';
import { crlAuthorityProblem, crlEntryFor, crlNamesIssuer, crlTimeProblem, MAX_CRL_BYTES, parseCrl, type Crl } from './crl.js';
import { revocationEndpoints } from './endpoints.js';
import { createOcspRequest, MAX_OCSP_RESPONSE_BYTES, OcspResponseError, verifyOcspResponse, type OcspAnswer } from './ocsp.js';
import type { CertRevocationResult, RevocationEvents, RevocationFetch, ServerResult } from './types.js';

/** How long a CRL without nextUpdate is reused (notation accepts such a CRL; something must bound its reuse). */
export const CRL_WITHOUT_NEXT_UPDATE_MAX_AGE_MS = 60 * 60 * 1000;

export interface RevocationCheckerOptions {
  /** The network seam; absent means air-gapped: only supplied CRLs are used, endpoints give "could not be determined". */
  readonly fetch?: RevocationFetch;
  readonly clock: () => Date;
  /** Verified CRLs are also kept here (re-verified when read back). */
  readonly crlDirectory?: CrlDirectory;
  /** Per-request bounds (notation: OCSP 2 s, CRL 5 s). */
  readonly ocspTimeoutMs?: number;
  readonly crlTimeoutMs?: number;
  /** CRL size cap (default 32 MiB). */
  readonly maxCrlBytes?: number;
  /** Cached CRLs at most (default 64) and OCSP answers at most (default 10,000). */
  readonly maxCachedCrls?: number;
  readonly maxCachedOcsp?: number;
  /**
   * Bytes of cached CRLs at most, counted by `crlMemoryBytes` (default 256 MiB): the least recently used go first, and
   * a CRL over the bound is used for the check that fetched it and not kept.
   */
  readonly maxCachedCrlBytes?: number;
  readonly events?: RevocationEvents;
}

export interface CheckChainOptions {
  /** The authentic signing time (notary.x509.signingAuthority), compared with invalidity dates. */
  readonly signingTime?: Date;
  /** CRLs supplied by configuration (air-gapped use), consulted before any network fetch. */
  readonly crls?: readonly Crl[];
  /** The caller's deadline. */
  readonly signal?: AbortSignal;
  /** Set: fetch nothing for this chain (caches and supplied CRLs still answer); the reason is reported instead. */
  readonly noFetch?: string;
}

export interface RevocationChecker {
  /** One result per certificate, leaf first; the last (the root) is never checked. */
  checkChain(chain: readonly Certificate[], options?: CheckChainOptions): Promise<readonly CertRevocationResult[]>;
}

interface OcspCached {
  readonly result: ServerResult;
  /** A verified answer (good, revoked or unknown) ends the OCSP attempts; a failed exchange tries the next responder. */
  readonly decisive: boolean;
  readonly invalidityDate?: Date;
}

const OFFLINE = 'fetching revocation information is disabled (offline); supply the CRL as a file';

const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Default byte bound of the CRL cache: 64 CRLs of up to 32 MiB each could otherwise hold gigabytes. */
const DEFAULT_CRL_CACHE_BYTES = 256 * 1024 * 1024;

/**
 * What a parsed CRL holds in memory, as the CRL cache counts it: its DER (the signed part is a view of it) and, on the
 * generous side, 200 bytes per revoked serial (the map slot, its hex key, the entry object and its Date).
 */
function crlMemoryBytes(crl: Crl): number {
  return crl.raw.byteLength + 200 * crl.entries.size + 1024;
}

/** Limit on remembered (CRL, issuer) verification outcomes. */
const AUTHORITY_MEMO_LIMIT = 4096;

export function createRevocationChecker(options: RevocationCheckerOptions): RevocationChecker {
  const { clock, events = {} } = options;
  const ocspTimeoutMs = options.ocspTimeoutMs ?? 2000;
  const crlTimeoutMs = options.crlTimeoutMs ?? 5000;
  const maxCrlBytes = Math.min(options.maxCrlBytes ?? MAX_CRL_BYTES, MAX_CRL_BYTES);
  const perf = { now: () => clock().getTime() };
  const crls = new LRUCache<string, Crl>({
    max: options.maxCachedCrls ?? 64,
    maxSize: options.maxCachedCrlBytes ?? DEFAULT_CRL_CACHE_BYTES,
    sizeCalculation: crlMemoryBytes,
    ttlAutopurge: false,
    ttlResolution: 0,
    perf,
  });
  const ocspAnswers = new LRUCache<string, OcspCached>({ max: options.maxCachedOcsp ?? 10_000, ttlResolution: 0, perf });
  const pending = new Map<string, Promise<unknown>>();
  const authority = new Map<string, string | null>();

  function once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = pending.get(key);
    if (running) return running as Promise<T>;
    const p = work().finally(() => pending.delete(key));
    pending.set(key, p);
    return p;
  }

  /** crlAuthorityProblem, remembered per (CRL, issuer): the signature over a large CRL is checked once. */
  function authorityProblem(crl: Crl, issuer: Certificate): string | undefined {
    const key = `${crl.fingerprint256}:${issuer.fingerprint256}`;
    const known = authority.get(key);
    if (known !== undefined) return known ?? undefined;
    const problem = crlAuthorityProblem(crl, issuer);
    if (authority.size >= AUTHORITY_MEMO_LIMIT) {
      const oldest = authority.keys().next().value;
      if (oldest !== undefined) authority.delete(oldest);
    }
    authority.set(key, problem ?? null);
    return problem;
  }

  function validUntil(crl: Crl): Date {
    return crl.nextUpdate ?? new Date(clock().getTime() + CRL_WITHOUT_NEXT_UPDATE_MAX_AGE_MS);
  }

  /** A usable CRL for `url` and `issuer`: memory, then disk, then the network; throws with the reason otherwise. */
  async function crlAt(url: string, issuer: Certificate, o: CheckChainOptions): Promise<Crl> {
    const accept = (crl: Crl): string | undefined => authorityProblem(crl, issuer) ?? crlTimeProblem(crl, clock());
    const remember = (crl: Crl): void => {
      const ttl = validUntil(crl).getTime() - clock().getTime();
      if (ttl > 0) crls.set(url, crl, { ttl });
    };
    const cached = crls.get(url);
    if (cached && accept(cached) === undefined) {
      events.cache?.('crl', true);
      return cached;
    }
    events.cache?.('crl', false);
    if (options.crlDirectory) {
      const stored = await options.crlDirectory.read(url).catch(() => undefined);
      if (stored) {
        try {
          const crl = parseCrl(stored, url);
          if (accept(crl) === undefined) {
            remember(crl);
            return crl;
          }
        } catch {
          // a damaged cache file is ignored and replaced below
        }
      }
    }
    const send = o.noFetch === undefined ? options.fetch : undefined;
    if (!send) throw new Error(o.noFetch ?? OFFLINE);
    const { signal } = o;
    return once(`crl\u0000${url}`, async () => {
      let bytes: Uint8Array;
      try {
        bytes = await send({ url, method: 'GET', maxBytes: maxCrlBytes, timeoutMs: crlTimeoutMs, ...(signal ? { signal } : {}) });
        events.fetch?.('crl', 'ok');
      } catch (err) {
        events.fetch?.('crl', 'error');
        throw new Error(`download failed: ${reasonOf(err)}`, { cause: err });
      }
      const crl = parseCrl(bytes, url);
      const problem = accept(crl);
      if (problem) throw new Error(problem);
      remember(crl);
      if (options.crlDirectory) await options.crlDirectory.write(url, bytes).catch(() => undefined);
      return crl;
    });
  }

  function crlResult(crl: Crl, cert: Certificate, signingTime: Date | undefined, server: string): ServerResult {
    const entry = crlEntryFor(crl, cert, signingTime);
    if (entry?.unsupported) return { method: 'crl', server, status: 'unknown', error: entry.unsupported };
    if (entry) {
      return {
        method: 'crl',
        server,
        status: 'revoked',
        revocationTime: entry.revocationTime,
        ...(entry.reason ? { reason: entry.reason } : {}),
      };
    }
    return { method: 'crl', server, status: 'ok', validUntil: validUntil(crl) };
  }

  /** Asks one responder (or the cache). `decisive`: a verified answer that ends the OCSP attempts (good, revoked, unknown). */
  async function ocspAt(url: string, cert: Certificate, issuer: Certificate, o: CheckChainOptions): Promise<OcspCached> {
    const key = `${url}\u0000${issuer.fingerprint256}\u0000${cert.serialNumber}`;
    const hit = ocspAnswers.get(key);
    events.cache?.('ocsp', hit !== undefined);
    if (hit) return hit;
    const base = { method: 'ocsp' as const, server: url };
    const undetermined = (error: string): OcspCached => ({ result: { ...base, status: 'unknown', error }, decisive: false });
    const send = o.noFetch === undefined ? options.fetch : undefined;
    if (!send) return undetermined(o.noFetch ?? OFFLINE);
    return once(`ocsp\u0000${key}`, async (): Promise<OcspCached> => {
      let body: Uint8Array;
      try {
        body = await send({
          url,
          method: 'POST',
          body: createOcspRequest(cert, issuer),
          contentType: 'application/ocsp-request',
          maxBytes: MAX_OCSP_RESPONSE_BYTES,
          timeoutMs: ocspTimeoutMs,
          ...(o.signal ? { signal: o.signal } : {}),
        });
        events.fetch?.('ocsp', 'ok');
      } catch (err) {
        events.fetch?.('ocsp', 'error');
        return undetermined(`request failed: ${reasonOf(err)}`);
      }
      let a: OcspAnswer;
      try {
        a = verifyOcspResponse(body, cert, issuer, clock());
      } catch (err) {
        // OcspResponseError says why the answer is not believed; anything else is a response that does not decode
        return undetermined(err instanceof OcspResponseError ? err.message : `the response does not decode (${reasonOf(err)})`);
      }
      const result: ServerResult =
        a.status === 'good'
          ? { ...base, status: 'ok', validUntil: a.nextUpdate }
          : a.status === 'revoked'
            ? { ...base, status: 'revoked', revocationTime: a.revocationTime ?? a.thisUpdate, ...(a.reason ? { reason: a.reason } : {}) }
            : { ...base, status: 'unknown', error: 'the responder does not know the certificate (OCSP status unknown)' };
      const answer: OcspCached = { result, decisive: true, ...(a.invalidityDate ? { invalidityDate: a.invalidityDate } : {}) };
      const ttl = a.nextUpdate.getTime() - clock().getTime();
      if (ttl > 0) ocspAnswers.set(key, answer, { ttl });
      return answer;
    });
  }

  /** The OCSP result for one check: the invalidityDate rule depends on the signature's signing time. */
  function ocspResult(answer: OcspCached, signingTime: Date | undefined): ServerResult {
    const { result, invalidityDate } = answer;
    if (result.status === 'revoked' && signingTime && invalidityDate && signingTime < invalidityDate) {
      return { method: 'ocsp', server: result.server, status: 'ok' };
    }
    return result;
  }

  async function checkCertificate(cert: Certificate, issuer: Certificate, o: CheckChainOptions): Promise<CertRevocationResult> {
    const servers: ServerResult[] = [];
    const done = (status: CertRevocationResult['status']): CertRevocationResult => ({ certificate: cert, status, servers });
    const supplied = (o.crls ?? []).filter((c) => crlNamesIssuer(c, issuer));
    for (const crl of supplied) {
      const problem = authorityProblem(crl, issuer) ?? crlTimeProblem(crl, clock());
      servers.push(problem ? { method: 'crl', server: crl.source, status: 'unknown', error: problem } : crlResult(crl, cert, o.signingTime, crl.source));
    }
    if (servers.some((s) => s.status === 'revoked')) return done('revoked');
    if (servers.some((s) => s.status === 'ok')) return done('ok');

    const endpoints = revocationEndpoints(cert);
    if (endpoints.problem) {
      servers.push({ method: 'crl', server: 'certificate', status: 'unknown', error: endpoints.problem });
      return done('unknown');
    }
    if (endpoints.ocsp.length === 0 && endpoints.crl.length === 0) return done(servers.length > 0 ? 'unknown' : 'nonRevokable');

    for (const url of endpoints.ocsp) {
      const answer = await ocspAt(url, cert, issuer, o);
      const r = ocspResult(answer, o.signingTime);
      servers.push(r);
      if (r.status !== 'unknown') return done(r.status);
      if (answer.decisive) break;
    }
    if (endpoints.crl.length === 0) return done('unknown');
    // Every distribution point is read (partial CRLs), as notation does; the first failure makes the status unknown.
    let status: CertRevocationResult['status'] = 'ok';
    for (const url of endpoints.crl) {
      try {
        const r = crlResult(await crlAt(url, issuer, o), cert, o.signingTime, url);
        servers.push(r);
        if (r.status === 'revoked') return done('revoked');
        if (r.status === 'unknown') status = 'unknown';
      } catch (err) {
        servers.push({ method: 'crl', server: url, status: 'unknown', error: reasonOf(err) });
        return done('unknown');
      }
    }
    return done(status);
  }

  return {
    async checkChain(chain, o = {}) {
      const results = chain.slice(0, -1).map((cert, i) => checkCertificate(cert, chain[i + 1] as Certificate, o));
      const root = chain[chain.length - 1];
      return [...(await Promise.all(results)), ...(root ? [{ certificate: root, status: 'nonRevokable' as const, servers: [] }] : [])];
    },
  };
}
