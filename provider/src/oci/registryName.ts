/**
 * One canonical spelling for a registry host[:port]: the only place signgate decides whether two written registry
 * names are the same registry. Everything that compares, caches or selects by a registry name (trust policy scopes,
 * credentials, plain-HTTP hosts, token realms, caches, metrics, mutate output) uses the result of this module.
 *
 * - host names: LDH labels (letters, digits, inner "-"), at most 63 characters a label and 253 in all, lowercased;
 *   a name that the WHATWG URL host parser (what Node's fetch and every URL-based client use) reads as an IPv4
 *   address is written as that address (`127.1`, `0x7f.0.0.1`, `2130706433` -> `127.0.0.1`);
 * - IPv6 literals only in brackets, written in RFC 5952 text form (lowercase, no leading zeros, the longest run of
 *   two or more zero groups as "::", IPv4-mapped addresses in mixed notation); zone identifiers are refused;
 * - the port is compared as a number: decimal digits only, 1-65535, leading zeros ignored; the HTTPS default 443 is
 *   dropped (except where the name would then read as a Docker Hub namespace);
 * - Docker Hub is `docker.io` under every name it answers to.
 */
import { isIPv6 } from 'node:net';

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_NAMES: ReadonlySet<string> = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
const HTTPS_PORT = 443;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const HOST_MAX = 253;
const IPV4_MAPPED = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/;

/** The canonical `host[:port]`, or why `domain` cannot be put in canonical form. */
export type RegistryName = { readonly registry: string } | { readonly problem: string };

/** True when a first path segment in canonical form is read as a registry (not a Docker Hub namespace). */
export function looksLikeRegistry(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment.startsWith('[') || segment === 'localhost';
}

function show(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
}

function canonicalIPv6(bracketed: string): { readonly host: string } | { readonly problem: string } {
  const inner = bracketed.slice(1, -1);
  if (inner.includes('%')) return { problem: `IPv6 address ${show(bracketed)} has a zone identifier, which a registry name cannot carry` };
  if (!isIPv6(inner)) return { problem: `${show(bracketed)} is not a valid IPv6 address` };
  // The WHATWG serializer is RFC 5952 section 4 exactly (lowercase, no leading zeros, longest zero run of >= 2 groups,
  // the first of equal runs); section 5's mixed notation for IPv4-mapped addresses is added here.
  const host = new URL(`https://[${inner}]/`).hostname;
  const mapped = IPV4_MAPPED.exec(host);
  if (mapped === null) return { host };
  const hi = parseInt(mapped[1] ?? '0', 16);
  const lo = parseInt(mapped[2] ?? '0', 16);
  return { host: `[::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}]` };
}

function canonicalHostName(host: string): { readonly host: string } | { readonly problem: string } {
  if (host.length === 0) return { problem: 'the registry host is empty' };
  if (host.length > HOST_MAX) return { problem: `registry host ${show(host)} is longer than ${HOST_MAX} characters` };
  if (!host.split('.').every((label) => LABEL.test(label))) {
    return {
      problem:
        `registry host ${show(host)} is not a valid host name (labels of letters, digits and inner "-", at most 63 ` +
        'characters each, separated by single dots, no trailing dot)',
    };
  }
  try {
    return { host: new URL(`https://${host}/`).hostname };
  } catch {
    return { problem: `registry host ${show(host)} ends in a number but is not an IPv4 address` };
  }
}

/**
 * The canonical form of a registry written `host`, `host:port`, `[ipv6]` or `[ipv6]:port`. Never throws. In an image
 * reference a lowercase one-label host without a port would read as a Docker Hub namespace, so it is refused there;
 * where the first segment is always the registry (trust policy scopes such as notation's `local/app`) pass
 * `{ singleLabel: true }`.
 */
export function registryName(domain: string, options: { readonly singleLabel?: boolean } = {}): RegistryName {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith('[')) {
    const close = domain.indexOf(']');
    if (close < 0) return { problem: `registry host ${show(domain)} opens "[" for an IPv6 address but does not close it` };
    host = domain.slice(0, close + 1);
    const after = domain.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return { problem: `registry ${show(domain)} has ${show(after)} after its IPv6 address; only ":port" may follow` };
      port = after.slice(1);
    }
  } else {
    const colon = domain.indexOf(':');
    if (colon >= 0) {
      if (domain.includes(':', colon + 1)) {
        return { problem: `registry ${show(domain)} has more than one ":"; write an IPv6 address in brackets, e.g. [2001:db8::1]:5000` };
      }
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
  }
  let portNumber: number | undefined;
  if (port !== undefined) {
    if (!/^[0-9]{1,10}$/.test(port)) return { problem: `port ${show(port)} of registry ${show(domain)} is not a decimal number` };
    portNumber = Number(port);
    if (portNumber < 1 || portNumber > 65535) return { problem: `port ${port} of registry ${show(domain)} is out of range (1 to 65535)` };
  }
  const canonical = host.startsWith('[') ? canonicalIPv6(host) : canonicalHostName(host);
  if ('problem' in canonical) return canonical;
  const name = canonical.host;
  if (portNumber === undefined || (portNumber === HTTPS_PORT && looksLikeRegistry(name))) {
    if (DOCKER_HUB_NAMES.has(name)) return { registry: DOCKER_HUB };
    if (!looksLikeRegistry(name) && options.singleLabel !== true) {
      return {
        problem:
          `registry host ${show(domain)} has no "." and no port, so in lowercase it reads as a Docker Hub namespace; ` +
          'write the registry\'s full name (e.g. registry.example.com) or its port',
      };
    }
    return { registry: name };
  }
  return { registry: `${name}:${portNumber}` };
}
