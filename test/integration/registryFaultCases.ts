/**
 * The registry fault matrix (issue 15, section 2) as a table: each case names a fault of the registry (or of its token
 * endpoint) and, next to it, what the provider must answer on the verify and the mutate route. Run by
 * registry-faults.test.ts against a real docker-registry behind test/support/faultProxy.ts.
 *
 * Expectations: `pass` (a verdict with isSuccess true: only where a genuine, trusted signature is served intact),
 * `value` (mutate answers the image's true digest), `{ fail }` (a decided verdict, isSuccess false, with that
 * errorReason), `{ error }` (an item error with that code and message), `timeout` (item error `timed out after <N>ms`:
 * the deadline answered, not the registry).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Descriptor, OciErrorCode } from '../../provider/src/oci/index.js';
import { once, type FaultRule, type ProxiedRequest } from '../support/faultProxy.js';
import { AT } from '../unit/verify/fixtures.js';

export type ImageName = 'signed' | 'unsigned' | 'other' | 'victim' | 'crossed';
export type Expect = 'pass' | 'value' | 'timeout' | { readonly fail: string } | { readonly error: OciErrorCode; readonly message?: RegExp };

/** What a fault may need to know: the images, the proxies' origins and the other subject's signature manifests. */
export interface World {
  readonly images: Readonly<Record<ImageName, Descriptor>>;
  /** Signature manifest descriptors of image `other` (a genuine, trusted signature of another subject). */
  readonly otherSignatures: readonly Descriptor[];
  /** Origin of a second proxy (on 127.0.0.2) in front of the same registry: "another origin". */
  readonly otherOrigin: string;
  /** The registry's own repository path of every image. */
  readonly repository: string;
}

export interface FaultCase {
  readonly name: string;
  readonly image: ImageName;
  /** Where the provider reaches the registry: through the fault proxy (default), a closed port, or the token registry. */
  readonly via?: 'proxy' | 'down' | 'token';
  /** Fault of the registry (proxy) or, with via 'token', of the token endpoint. */
  readonly fault?: (world: World) => FaultRule;
  /** Fault of the second origin (127.0.0.2), when a redirect sends the client there. */
  readonly otherFault?: (world: World) => FaultRule;
  readonly verify: Expect;
  readonly mutate: Expect;
  /**
   * The provider's defaults (4900 / 1950 ms) instead of the matrix's short deadlines: for cases that wait out a
   * Retry-After or read megabytes up to a cap, whose point is not the deadline (on a loaded machine they may need it).
   */
  readonly defaultDeadlines?: true;
  /** Extra evidence, on what the proxies saw. */
  readonly check?: (seen: { readonly proxy: readonly ProxiedRequest[]; readonly other: readonly ProxiedRequest[] }) => void;
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const NOTARY = 'application/vnd.cncf.notary.signature';
const is = (method: string, pattern: RegExp) => (r: ProxiedRequest) => r.method === method && pattern.test(r.path);
const get = (pattern: RegExp) => is('GET', pattern);
const blob = /\/blobs\/sha256:/;
const tagSchema = /\/manifests\/sha256-/;
const byDigest = /\/manifests\/sha256:/;
const referrersApi = /\/referrers\//;
const manifestTag = (tag: string): RegExp => new RegExp(`/manifests/${tag}$`);
const when = (match: (r: ProxiedRequest) => boolean, fault: ReturnType<FaultRule>): FaultRule => (r) => (match(r) ? fault : undefined);
const every = (fault: ReturnType<FaultRule>): FaultRule => () => fault;
/** Both HEAD and GET of the tag: HEAD refused (405), so the client reads the manifest by GET. */
const headRefused = (rule: FaultRule): FaultRule => (r) => (r.method === 'HEAD' ? { kind: 'status', status: 405 } : rule(r));

function index(manifests: readonly unknown[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
}
function fakeSignature(): Descriptor & { artifactType: string } {
  return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${randomBytes(32).toString('hex')}`, size: 700, artifactType: NOTARY };
}
const indexAnswer = (body: Uint8Array, headers: Record<string, string> = {}) =>
  ({ kind: 'answer', headers: { 'content-type': OCI_INDEX, 'docker-content-digest': `sha256:${createHash('sha256').update(body).digest('hex')}`, ...headers }, body }) as const;

const oneHourLater = new Date(AT.getTime() + 3600_000).toUTCString();
const oneSecondLater = new Date(AT.getTime() + 1000).toUTCString();
const timeout = 'timeout' as const;

export const FAULT_CASES: readonly FaultCase[] = [
  // control
  { name: 'no fault, signed image', image: 'signed', verify: 'pass', mutate: 'value' },
  { name: 'no fault, unsigned image', image: 'unsigned', verify: { fail: 'SIGNATURE_NOT_FOUND' }, mutate: 'value' },
  // the registry is not there or does not answer
  { name: 'down (nothing listens)', image: 'signed', via: 'down', verify: { error: 'REGISTRY_UNREACHABLE', message: /ECONNREFUSED; check that the registry is running/ }, mutate: { error: 'REGISTRY_UNREACHABLE', message: /ECONNREFUSED/ } },
  { name: 'refusing (connection closed, no answer)', image: 'signed', fault: () => every({ kind: 'refuse' }), verify: { error: 'REGISTRY_UNREACHABLE', message: /check that the registry is running/ }, mutate: { error: 'REGISTRY_UNREACHABLE' } },
  { name: 'slow headers (never answers)', image: 'signed', fault: () => every({ kind: 'hang' }), verify: timeout, mutate: timeout },
  { name: 'slow headers on the signature blob only', image: 'signed', fault: () => when(get(blob), { kind: 'hang' }), verify: timeout, mutate: 'value' },
  { name: 'body trickle (1 byte / 100 ms) of the referrers index', image: 'signed', fault: () => when(get(tagSchema), { kind: 'upstream', trickle: { everyMs: 100 } }), verify: timeout, mutate: 'value' },
  // (cross-fetch's node-fetch 2 left such a body stalled until the request timeout: oci/agents.ts ends it)
  { name: 'reset mid-body of the signature envelope', image: 'signed', fault: () => when(get(blob), { kind: 'upstream', resetMidBody: true }), verify: { error: 'REGISTRY_UNREACHABLE', message: /blob sha256:\w+ of .*: the connection failed while reading the body/ }, mutate: 'value' },
  // 5xx and 429
  { name: '500 on every request', image: 'signed', fault: () => every({ kind: 'status', status: 500 }), verify: { error: 'REGISTRY_ERROR', message: /answered 500; the registry failed, retry later/ }, mutate: { error: 'REGISTRY_ERROR' } },
  { name: '503 on the signature manifest, after retries', image: 'signed', fault: () => when(get(byDigest), { kind: 'status', status: 503 }), verify: { error: 'REGISTRY_ERROR', message: /answered 503/ }, mutate: 'value' },
  { name: '502 once, then the registry recovers (retried)', image: 'signed', fault: () => once(() => true, { kind: 'status', status: 502 }), verify: 'pass', mutate: 'value' },
  {
    name: '429 once with Retry-After: 1 (seconds)',
    image: 'signed',
    fault: () => once(get(tagSchema), { kind: 'status', status: 429, headers: { 'retry-after': '1' } }),
    defaultDeadlines: true,
    verify: 'pass',
    mutate: 'value',
    check: (seen) => assertAsked(seen.proxy, tagSchema, 2, 'the 429 is retried'),
  },
  {
    name: '429 once with Retry-After as an HTTP-date (now + 1 s)',
    image: 'signed',
    fault: () => once(get(tagSchema), { kind: 'status', status: 429, headers: { 'retry-after': oneSecondLater } }),
    defaultDeadlines: true,
    verify: 'pass',
    mutate: 'value',
    check: (seen) => assertAsked(seen.proxy, tagSchema, 2, 'the 429 is retried'),
  },
  { name: '429 asking for 3600 s: not retried early', image: 'signed', fault: () => every({ kind: 'status', status: 429, headers: { 'retry-after': '3600' } }), verify: { error: 'RATE_LIMITED', message: /answered 429; the registry rate-limits this client \(it asks to retry after "3600"\)/ }, mutate: { error: 'RATE_LIMITED' } },
  { name: '429 asking for an HTTP-date one hour ahead', image: 'signed', fault: () => every({ kind: 'status', status: 429, headers: { 'retry-after': oneHourLater } }), verify: { error: 'RATE_LIMITED', message: /it asks to retry after "\w{3}, \d{2} \w{3} \d{4} 01:00:00 GMT"/ }, mutate: { error: 'RATE_LIMITED' } },
  // redirects
  { name: 'redirect loop on the image manifest', image: 'signed', fault: (w) => when((r) => manifestTag('signed').test(r.path), { kind: 'redirect', location: `/v2/${w.repository}/manifests/signed` }), verify: { error: 'RESPONSE_INVALID', message: /more than 5 redirects/ }, mutate: { error: 'RESPONSE_INVALID', message: /more than 5 redirects/ } },
  {
    name: 'blob redirected to another origin that serves it intact',
    image: 'signed',
    fault: (w) => (r) => (get(blob)(r) ? { kind: 'redirect', location: `${w.otherOrigin}${r.path}` } : undefined),
    verify: 'pass',
    mutate: 'value',
    check: (seen) => assertAsked(seen.other, blob, 1, 'the other origin served the blob'),
  },
  {
    name: 'blob redirected to another origin that serves other bytes',
    image: 'signed',
    fault: (w) => (r) => (get(blob)(r) ? { kind: 'redirect', location: `${w.otherOrigin}${r.path}` } : undefined),
    otherFault: () => every({ kind: 'upstream', corrupt: true }),
    verify: { error: 'DIGEST_MISMATCH' },
    mutate: 'value',
  },
  { name: 'redirect to a file: URL', image: 'signed', fault: () => when(get(blob), { kind: 'redirect', location: 'file:///etc/passwd' }), verify: { error: 'RESPONSE_INVALID', message: /redirected to a file: URL/ }, mutate: 'value' },
  // wrong content
  { name: 'wrong digest: envelope blob altered', image: 'signed', fault: () => when(get(blob), { kind: 'upstream', corrupt: true }), verify: { error: 'DIGEST_MISMATCH' }, mutate: 'value' },
  { name: 'wrong digest: signature manifest altered', image: 'signed', fault: () => when(get(byDigest), { kind: 'upstream', corrupt: true }), verify: { error: 'DIGEST_MISMATCH' }, mutate: 'value' },
  { name: 'wrong digest: referrers index altered', image: 'signed', fault: () => when(get(tagSchema), { kind: 'upstream', corrupt: true }), verify: { error: 'DIGEST_MISMATCH', message: /does not hash to the Docker-Content-Digest/ }, mutate: 'value' },
  { name: 'wrong digest: image manifest by tag altered (HEAD refused)', image: 'signed', fault: () => headRefused(when(get(manifestTag('signed')), { kind: 'upstream', corrupt: true })), verify: { error: 'DIGEST_MISMATCH', message: /registry says sha256:/ }, mutate: { error: 'DIGEST_MISMATCH' } },
  // Content-Length
  { name: 'lying Content-Length (more) on the envelope blob', image: 'signed', fault: () => when(get(blob), { kind: 'upstream', contentLength: 5000 }), verify: { error: 'SIZE_MISMATCH', message: /announces 5000 bytes, the descriptor says/ }, mutate: 'value' },
  { name: 'lying Content-Length (more) on the referrers index', image: 'signed', fault: () => when(get(tagSchema), { kind: 'upstream', contentLength: 100_000 }), verify: { error: 'REGISTRY_UNREACHABLE', message: /referrers tag sha256-\w+ of .*: the connection failed while reading the body/ }, mutate: 'value' },
  { name: 'lying Content-Length (less) on the signature manifest', image: 'signed', fault: () => when(get(byDigest), { kind: 'upstream', contentLength: 10 }), verify: { error: 'SIZE_MISMATCH', message: /announces 10 bytes/ }, mutate: 'value' },
  { name: 'missing Content-Length on every answer (chunked)', image: 'signed', fault: () => every({ kind: 'upstream', contentLength: 'absent' }), verify: 'pass', mutate: 'value' },
  // endless and huge
  { name: 'endless body: referrers index', image: 'signed', defaultDeadlines: true, fault: () => when(get(tagSchema), { kind: 'endless', headers: { 'content-type': OCI_INDEX } }), verify: { error: 'SIZE_LIMIT_EXCEEDED', message: /4194304-byte limit; reading stopped/ }, mutate: 'value' },
  { name: 'endless body: envelope blob', image: 'signed', defaultDeadlines: true, fault: () => when(get(blob), { kind: 'endless' }), verify: { error: 'SIZE_MISMATCH', message: /longer than the \d+ bytes the descriptor says/ }, mutate: 'value' },
  { name: 'endless body: image manifest by tag (HEAD refused)', image: 'signed', defaultDeadlines: true, fault: () => headRefused(when(get(manifestTag('signed')), { kind: 'endless', headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })), verify: { error: 'SIZE_LIMIT_EXCEEDED' }, mutate: { error: 'SIZE_LIMIT_EXCEEDED' } },
  { name: 'huge referrers page (3,000 entries)', image: 'signed', fault: () => when(get(referrersApi), indexAnswer(index(Array.from({ length: 3000 }, fakeSignature)))), verify: { error: 'RESPONSE_INVALID', message: /more than 2000 referrers listed/ }, mutate: 'value' },
  { name: 'referrers page announced over 4 MiB', image: 'signed', fault: () => when(get(referrersApi), { kind: 'status', status: 200, headers: { 'content-type': OCI_INDEX, 'content-length': String(64 << 20) } }), verify: { error: 'SIZE_LIMIT_EXCEEDED', message: /announces 67108864 bytes/ }, mutate: 'value' },
  {
    name: 'endless referrers pagination (Link: next, forever)',
    image: 'signed',
    fault: () => (r) => {
      if (!get(referrersApi)(r)) return undefined;
      const page = Number(/[?&]page=(\d+)/.exec(r.path)?.[1] ?? 0);
      return indexAnswer(index([]), { link: `<${r.path.replace(/\?.*$/, '')}?page=${page + 1}>; rel="next"` });
    },
    verify: { error: 'RESPONSE_INVALID', message: /more than 20 pages/ },
    mutate: 'value',
  },
  { name: 'referrers Link to another origin', image: 'signed', fault: (w) => when(get(referrersApi), indexAnswer(index([]), { link: `<${w.otherOrigin}/v2/x/referrers/y>; rel="next"` })), verify: { error: 'RESPONSE_INVALID', message: /points to another origin/ }, mutate: 'value' },
  // signatures of other subjects
  {
    name: 'referrers tag lists the signature of another subject',
    image: 'victim',
    fault: (w) => when(get(tagSchema), { kind: 'upstream', path: `/v2/${w.repository}/manifests/${w.images.other.digest.replace(':', '-')}` }),
    verify: { fail: 'SIGNATURE_NOT_FOUND' },
    mutate: 'value',
  },
  { name: 'referrers API lists the signature of another subject', image: 'victim', fault: (w) => when(get(referrersApi), indexAnswer(index(w.otherSignatures))), verify: { fail: 'SIGNATURE_NOT_FOUND' }, mutate: 'value' },
  { name: 'signature manifest of this subject over another subject\'s payload', image: 'crossed', verify: { fail: 'CONTENT_DESCRIPTOR_MISMATCH' }, mutate: 'value' },
  // the token endpoint (docker-registry in auth: token mode; the proxy sits in front of the token server)
  { name: 'token: no fault', image: 'signed', via: 'token', verify: 'pass', mutate: 'value' },
  { name: 'token: endpoint refuses connections', image: 'signed', via: 'token', fault: () => every({ kind: 'refuse' }), verify: { error: 'REGISTRY_UNREACHABLE' }, mutate: { error: 'REGISTRY_UNREACHABLE' } },
  { name: 'token: 500', image: 'signed', via: 'token', fault: () => every({ kind: 'status', status: 500 }), verify: { error: 'REGISTRY_ERROR', message: /token for repository:fault\/app:pull/ }, mutate: { error: 'REGISTRY_ERROR' } },
  { name: 'token: never answers', image: 'signed', via: 'token', fault: () => every({ kind: 'hang' }), verify: timeout, mutate: timeout },
  { name: 'token: answer is not JSON', image: 'signed', via: 'token', fault: () => every({ kind: 'answer', headers: { 'content-type': 'text/html' }, body: new TextEncoder().encode('<html>login</html>') }), verify: { error: 'RESPONSE_INVALID', message: /answered something other than JSON/ }, mutate: { error: 'RESPONSE_INVALID' } },
  { name: 'token: endless answer', image: 'signed', via: 'token', defaultDeadlines: true, fault: () => every({ kind: 'endless' }), verify: { error: 'SIZE_LIMIT_EXCEEDED', message: /1048576-byte limit/ }, mutate: { error: 'SIZE_LIMIT_EXCEEDED' } },
  { name: 'token: a token the registry rejects', image: 'signed', via: 'token', fault: () => every({ kind: 'answer', headers: { 'content-type': 'application/json' }, body: new TextEncoder().encode('{"token":"forged"}') }), verify: { error: 'UNAUTHORIZED' }, mutate: { error: 'UNAUTHORIZED' } },
  { name: 'token: 429 once with an HTTP-date Retry-After', image: 'signed', via: 'token', fault: () => once(() => true, { kind: 'status', status: 429, headers: { 'retry-after': oneSecondLater } }), defaultDeadlines: true, verify: 'pass', mutate: 'value' },
  { name: 'token: redirect loop', image: 'signed', via: 'token', fault: () => (r) => ({ kind: 'redirect', location: r.path }), verify: { error: 'RESPONSE_INVALID', message: /more than 5 redirects/ }, mutate: { error: 'RESPONSE_INVALID' } },
];

function assertAsked(seen: readonly ProxiedRequest[], pattern: RegExp, atLeast: number, why: string): void {
  const n = seen.filter((r) => pattern.test(r.path)).length;
  if (n < atLeast) throw new Error(`${why}: expected at least ${atLeast} requests matching ${pattern}, saw ${n}`);
}
