/**
 * The registry client's fetch: cross-fetch, because it honours a Store's CA bundle and keep-alive agents (Node's own
 * fetch ignores them; oci/README.md). It is imported at the first registry request, not at start-up: cross-fetch
 * loads node-fetch, whatwg-url and tr46's Unicode tables (~2.5 MB of heap), which an idle `signgate serve` — and every
 * command that never reaches a registry — would otherwise hold for nothing.
 */
import type { FetchLike } from '../oci/index.js';

let loaded: Promise<FetchLike> | undefined;

export const crossFetch: FetchLike = async (url, init) => {
  const fetch = await (loaded ??= import('cross-fetch').then((m) => m.default as unknown as FetchLike));
  return fetch(url, init);
};
