/**
 * Image references in the grammar of distribution/reference, put in one canonical form:
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component [ "/" path-component ]*      (at most 255 characters once canonical)
 *   domain    := ( domain-name | "[" ipv6 "]" ) [ ":" port ]
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * A first segment is a domain when it contains "." or ":", is "localhost", or has an uppercase letter; otherwise the
 * reference is on Docker Hub (`docker.io`, one-segment repositories under `library/`). The domain is put in canonical
 * form by registryName.ts (case, port number, IPv4/IPv6 text, Docker Hub's other names). Every accepted spelling of
 * one image yields the same Reference, and formatReference of it parses back to itself.
 */
import { OciError } from './errors.js';
import { clip, digestProblem } from './digest.js';
import { DOCKER_HUB, registryName } from './registryName.js';

export interface Reference {
  /** Canonical host[:port], e.g. `docker.io`, `localhost:5000`, `[::1]:5000` (see registryName.ts). */
  readonly registry: string;
  /** the repository path inside the registry, e.g. `library/nginx`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export { DOCKER_HUB };
const NAME_MAX = 255;
const INPUT_MAX = 1024;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;

const EXAMPLE = 'expected host/repository[:tag][@sha256:<64 hex>], for example registry.example.com/team/app:v1.2';
const SCOPE_EXAMPLE = 'expected a fully qualified repository host/path without scheme, tag or digest, for example registry.example.com/team/app';

function invalid(input: string, problem: string): OciError {
  return new OciError('REFERENCE_INVALID', `image reference "${clip(input)}" is invalid: ${problem}; ${EXAMPLE}`);
}

/** Parses and normalizes an image reference; throws OciError REFERENCE_INVALID saying what is wrong. */
export function parseReference(input: string): Reference {
  if (typeof input !== 'string' || input.length === 0) throw invalid(String(input), 'it is empty');
  if (input.length > INPUT_MAX) throw invalid(input, `it is longer than ${INPUT_MAX} characters`);
  if (/\s/.test(input)) throw invalid(input, 'it contains whitespace');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) throw invalid(input, 'it has a URL scheme; remove "http://", "https://" or "oci://"');
  if (IMAGE_ID.test(input)) throw invalid(input, 'a 64-character hex string is an image ID, not a reference; prefix it with the repository and "@sha256:"');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (digest.includes('@')) throw invalid(input, 'it has more than one "@"');
    const problem = digestProblem(digest);
    if (problem !== undefined) throw invalid(input, `the digest after "@" is not valid: ${problem}`);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (tag.length === 0) throw invalid(input, 'the tag after ":" is empty');
    if (tag.length > 128) throw invalid(input, `the tag has ${tag.length} characters, at most 128 are allowed`);
    if (!TAG.test(tag)) {
      throw invalid(input, `tag "${clip(tag, 40)}" may only contain letters, digits, "_", "." and "-", and must not start with "." or "-"`);
    }
  }
  if (rest.length === 0) throw invalid(input, 'the repository name is missing');

  const { registry, repository } = splitDomain(input, rest);

  const ref: { registry: string; repository: string; tag?: string; digest?: string } = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return Object.freeze(ref);
}

function splitDomain(input: string, name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash < 0 || (!/[.:[]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    return canonicalName(input, DOCKER_HUB, name, invalid);
  }
  return canonicalName(input, first, name.slice(slash + 1), invalid);
}

/** Canonical registry + repository (Docker Hub's one-segment repositories under `library/`). */
function canonicalName(
  input: string,
  domain: string,
  path: string,
  fail: (input: string, problem: string) => OciError,
  singleLabel = false,
): { registry: string; repository: string } {
  const canonical = registryName(domain, { singleLabel });
  if ('problem' in canonical) throw fail(input, canonical.problem);
  const { registry } = canonical;
  if (path.length === 0) throw fail(input, `the repository name after "${clip(domain, 80)}/" is missing`);
  const problem = repositoryProblem(path);
  if (problem !== undefined) throw fail(input, problem);
  const repository = registry === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path;
  const name = `${registry}/${repository}`;
  if (name.length > NAME_MAX) throw fail(input, `the name "${clip(name, 80)}" has ${name.length} characters, at most ${NAME_MAX} are allowed`);
  return { registry, repository };
}

/**
 * A fully qualified repository `host[:port]/path` (a trust policy registry scope, the `--scope` of a layout) in
 * canonical form. Unlike an image reference, its first segment is always the registry. Throws OciError
 * REFERENCE_INVALID saying what is wrong.
 */
export function parseRepositoryName(input: string): { readonly registry: string; readonly repository: string } {
  const fail = (what: string, problem: string): OciError =>
    new OciError('REFERENCE_INVALID', `repository name "${clip(what)}" is invalid: ${problem}; ${SCOPE_EXAMPLE}`);
  if (typeof input !== 'string' || input.length === 0) throw fail(String(input), 'it is empty');
  if (input.length > INPUT_MAX) throw fail(input, `it is longer than ${INPUT_MAX} characters`);
  if (/\s/.test(input)) throw fail(input, 'it contains whitespace');
  const slash = input.indexOf('/');
  if (slash < 0) throw fail(input, 'it has no repository path after the registry host');
  return Object.freeze(canonicalName(input, input.slice(0, slash), input.slice(slash + 1), fail, true));
}

/**
 * The canonical form of a registry host written any way (`Registry.IO:0443` -> `registry.io`); throws
 * REFERENCE_INVALID. `singleLabel` accepts a lowercase one-label host without a port (where the text is known to
 * name a registry: credentials keys, plain-HTTP hosts, token realms).
 */
export function canonicalRegistry(host: string, options: { readonly singleLabel?: boolean } = {}): string {
  const canonical = typeof host === 'string' && host.length <= INPUT_MAX ? registryName(host, options) : { problem: 'it is not a host of at most 1024 characters' };
  if ('problem' in canonical) {
    throw new OciError('REFERENCE_INVALID', `registry "${clip(String(host))}" is invalid: ${canonical.problem}; expected host[:port], for example registry.example.com:5000`);
  }
  return canonical.registry;
}

function repositoryProblem(repository: string): string | undefined {
  const shown = clip(repository, 80);
  if (repository.toLowerCase() !== repository) return `repository "${shown}" must be lowercase`;
  for (const component of repository.split('/')) {
    if (component.length === 0) return `repository "${shown}" has an empty path component (leading, trailing or doubled "/")`;
    if (!PATH_COMPONENT.test(component)) {
      return `path component "${clip(component, 80)}" of repository "${shown}" must be lowercase letters and digits, separated by ".", "_", "__" or "-"`;
    }
  }
  return undefined;
}

/** The canonical repository name `host/repository`: what trust policy scopes, namespaced scopes and caches compare. */
export function formatRepository(ref: { readonly registry: string; readonly repository: string }): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The canonical form `host/repository[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  let out = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}
