/**
 * Listing what a registry holds (distribution-spec "Content Discovery"): the tags of a repository
 * (`/v2/<name>/tags/list`) and the repositories of a registry (`/v2/_catalog`, scope `registry:catalog:*`), both
 * paginated with `n` and the Link header (same origin only). Pages, entries and bytes are bounded; a listing that
 * would pass the bound fails with SIZE_LIMIT_EXCEEDED rather than return a silent part of the truth.
 */
import { OciError } from './errors.js';
import { readBody } from './body.js';
import { isPlainObject } from './descriptor.js';
import { statusError } from './httpError.js';
import { decodeJson } from './manifest.js';
import { parseLinkNext } from './referrers.js';
import type { Sent } from './transport.js';

export interface ListingLimits {
  /** Entries asked for per page (`n`). */
  readonly pageSize: number;
  /** Entries in all; more is SIZE_LIMIT_EXCEEDED. */
  readonly maxEntries: number;
}

export const DEFAULT_LISTING_LIMITS: ListingLimits = Object.freeze({ pageSize: 1000, maxEntries: 100_000 });
const MAX_PAGE_BYTES = 4 * 1024 * 1024;
const MAX_NAME_CHARS = 256;

/**
 * Every string of `field` over all pages. `send(url)` sends one authenticated GET; the first url is `first`.
 * A 404 on the first page (`notFound`) is an empty list (a repository without tags).
 */
export async function listPaged(
  first: string,
  field: 'tags' | 'repositories',
  what: string,
  send: (url: string) => Promise<Sent>,
  limits: ListingLimits = DEFAULT_LISTING_LIMITS,
): Promise<readonly string[]> {
  const out: string[] = [];
  const url = new URL(first);
  url.searchParams.set('n', String(limits.pageSize));
  let next: string | undefined = url.href;
  for (let page = 0; next !== undefined; page++) {
    const sent = await send(next);
    if (sent.response.status === 404 && page === 0 && field === 'tags') return [];
    if (sent.response.status !== 200) throw await statusError(sent, what, 'TAG_NOT_FOUND');
    const json = decodeJson(await readBody(sent, { cap: MAX_PAGE_BYTES, what }), what);
    const list = isPlainObject(json) ? json[field] : undefined;
    if (list !== null && list !== undefined && !Array.isArray(list)) throw new OciError('RESPONSE_INVALID', `${what}: "${field}" is not a list`);
    for (const entry of (list ?? []) as unknown[]) {
      if (typeof entry !== 'string' || entry.length === 0 || entry.length > MAX_NAME_CHARS) {
        throw new OciError('RESPONSE_INVALID', `${what}: an entry of "${field}" is not a name of at most ${MAX_NAME_CHARS} characters`);
      }
      out.push(entry);
    }
    if (out.length > limits.maxEntries) {
      throw new OciError('SIZE_LIMIT_EXCEEDED', `${what}: more than ${limits.maxEntries} entries; narrow the namespace or raise the limit`);
    }
    next = parseLinkNext(sent.response.headers.get('link'), sent.url);
  }
  return Object.freeze(out);
}
