/**
 * External data keys: an image reference, optionally prefixed `[namespace]` (Ratify's form), so that a namespace's
 * configuration applies. Parsing a key never touches the network.
 */
import { OciError, parseReference, type Reference } from '../oci/index.js';

export interface ProviderKey {
  /** The namespace of a `[namespace]` prefix; undefined for a bare reference (cluster-wide configuration). */
  readonly namespace: string | undefined;
  readonly reference: Reference;
}

const NAMESPACE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

export class KeyError extends Error {}

/**
 * Splits `[namespace]image` and parses the image reference; throws KeyError with a message naming the key. A leading
 * `[...]` holding a ":" is an IPv6 registry host (`[::1]:5000/app`), never a namespace (a DNS label has no ":").
 */
export function parseKey(key: string): ProviderKey {
  let namespace: string | undefined;
  let rest = key;
  if (key.startsWith('[') && !/^\[[^\]]*:/.test(key)) {
    const end = key.indexOf(']');
    if (end < 0) throw new KeyError(`key "${key.slice(0, 80)}" starts with "[" but has no closing "]"; expected [namespace]image`);
    const ns = key.slice(1, end);
    if (ns !== '' && !NAMESPACE.test(ns)) {
      throw new KeyError(`key "${key.slice(0, 80)}" has an invalid namespace "${ns.slice(0, 70)}"; a Kubernetes namespace is a DNS label (a-z, 0-9, -)`);
    }
    namespace = ns === '' ? undefined : ns;
    rest = key.slice(end + 1);
  }
  try {
    return { namespace, reference: parseReference(rest) };
  } catch (error) {
    if (error instanceof OciError) throw new KeyError(error.message);
    throw error;
  }
}
