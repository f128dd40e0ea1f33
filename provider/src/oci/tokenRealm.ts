/**
 * Where a registry's credentials may go (distribution token authentication). A registry's Bearer challenge names the
 * token realm, and the client sends the registry's username/password or identity token there to get a token. A realm
 * on another site would receive them, so they go only to a realm that
 *   - shares the registry's registrable domain (Public Suffix List through tldts, private suffixes included, so
 *     `auth.docker.io` serves `docker.io` but `a.github.io` does not serve `b.github.io`), or
 *   - is an IP literal or a host without a registrable domain (`localhost`) equal to the registry's host (any port), or
 *   - is listed, as a canonical host[:port], in the client's `allowedTokenRealms`.
 * Anonymous token requests carry nothing and may go to any realm. Hosts are compared only in canonical form
 * (reference.ts `canonicalRegistry`). tldts (the whole Public Suffix List) is imported when credentials first meet a
 * token realm: a process that never sends credentials to a token service (`signgate serve` on the embedded
 * configuration) does not hold it.
 */
import { OciError } from './errors.js';
import { canonicalRegistry } from './reference.js';
import { hostName } from './transport.js';

/** At most this many hosts in allowedTokenRealms (the Store CRD has the same maxItems). */
const MAX_ALLOWED_TOKEN_REALMS = 64;

/** Canonicalizes `allowedTokenRealms` (host or host:port each); a host that has no canonical form is CONFIG_INVALID. */
export function parseAllowedTokenRealms(hosts: readonly string[]): ReadonlySet<string> {
  if (hosts.length > MAX_ALLOWED_TOKEN_REALMS) {
    throw new OciError('CONFIG_INVALID', `allowedTokenRealms lists ${hosts.length} hosts, at most ${MAX_ALLOWED_TOKEN_REALMS} are allowed`);
  }
  return new Set(
    hosts.map((host, i) => {
      try {
        return canonicalRegistry(host, { singleLabel: true });
      } catch (cause) {
        const why = cause instanceof OciError ? cause.message : String(cause);
        throw new OciError('CONFIG_INVALID', `allowedTokenRealms[${i}] (--allowed-token-realm) is not a token realm host (host or host:port, as in https://HOST/token): ${why}`, { cause });
      }
    }),
  );
}

/**
 * The canonical host[:port] of a realm URL, as allowedTokenRealms lists it, or undefined when the host has no canonical
 * form. An http realm without a port is on port 80 (the canonical form leaves out only HTTPS's 443).
 */
function realmHost(realm: URL): string | undefined {
  const written = realm.port === '' && realm.protocol === 'http:' ? `${realm.hostname}:80` : realm.host;
  try {
    return canonicalRegistry(written, { singleLabel: true });
  } catch {
    return undefined;
  }
}

let publicSuffixList: Promise<typeof import('tldts')> | undefined;

/** How to find the site a host belongs to: its registrable domain, or the host itself (IP literals, `localhost`, bare names). */
async function siteOf(): Promise<(host: string) => string> {
  const { getDomain } = await (publicSuffixList ??= import('tldts'));
  return (host) => getDomain(host, { allowPrivateDomains: true }) ?? host;
}

/**
 * Throws TOKEN_REALM_REFUSED unless `registry` (host[:port]) may send its credentials to `realm` (see the file header).
 * Call it only when there are credentials to send.
 */
export async function checkTokenRealm(registry: string, realm: URL, allowed: ReadonlySet<string>): Promise<void> {
  const site = await siteOf();
  const own = canonicalRegistry(registry, { singleLabel: true });
  const host = realmHost(realm);
  if (host !== undefined && (allowed.has(host) || site(hostName(host)) === site(hostName(own)))) return;
  const where = `${realm.origin}${realm.pathname}`;
  const fix =
    host === undefined
      ? `its host "${realm.host}" cannot be listed in allowedTokenRealms because it is not a registry host name; use anonymous access or a registry whose token service has a full host name`
      : `if that token service is ${own}'s own, add "${host}" to the Store's spec.parameters.allowedTokenRealms ` +
        `(signgate verify, resolve and sign: --allowed-token-realm ${host})`;
  throw new OciError(
    'TOKEN_REALM_REFUSED',
    `registry ${own} asked for a token from ${where}, which is outside ${own}'s domain (${site(hostName(own))}); ` +
      `signgate did not send ${own}'s credentials there; ${fix}`,
  );
}
