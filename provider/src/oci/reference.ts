/**
 * Image references in the grammar of distribution/reference, with Docker's normalization:
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component [ "/" path-component ]*      (at most 255 characters once normalized)
 *   domain    := ( domain-name | "[" ipv6 "]" ) [ ":" port ]
 *   path-component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *
 * A first segment is a domain when it contains "." or ":", is "localhost", or has an uppercase letter; otherwise the
 * reference is on Docker Hub: no domain -> docker.io, one-segment repository -> library/<name>, index.docker.io -> docker.io.
 */
import { OciError } from './errors.js';
import { clip, digestProblem } from './digest.js';

export interface Reference {
  /** host[:port], e.g. `docker.io`, `localhost:5000`, `[::1]:5000`. */
  readonly registry: string;
  /** the repository path inside the registry, e.g. `library/nginx`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const LEGACY_DOCKER_HUB = 'index.docker.io';
const NAME_MAX = 255;
const INPUT_MAX = 1024;

const LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;

const EXAMPLE = 'expected host/repository[:tag][@sha256:<64 hex>], for example registry.example.com/team/app:v1.2';

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
  const name = `${registry}/${repository}`;
  if (name.length > NAME_MAX) throw invalid(input, `the name "${registry}/${repository}" has ${name.length} characters, at most ${NAME_MAX} are allowed`);

  const ref: { registry: string; repository: string; tag?: string; digest?: string } = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return Object.freeze(ref);
}

function splitDomain(input: string, name: string): { registry: string; repository: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  let registry: string;
  let repository: string;
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    registry = DOCKER_HUB;
    repository = name;
  } else {
    registry = first;
    repository = name.slice(slash + 1);
    checkDomain(input, registry);
  }
  if (registry === LEGACY_DOCKER_HUB) registry = DOCKER_HUB;
  if (repository.length === 0) throw invalid(input, `the repository name after "${registry}/" is missing`);
  checkRepository(input, repository);
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository };
}

function checkDomain(input: string, domain: string): void {
  let host = domain;
  const portMatch = /^(.*):([^:\]]*)$/.exec(domain);
  if (portMatch && !(domain.startsWith('[') && !domain.includes(']:'))) {
    host = portMatch[1] ?? '';
    const port = portMatch[2] ?? '';
    if (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535) throw invalid(input, `port "${port}" of registry "${domain}" is not a number from 0 to 65535`);
  }
  if (host.startsWith('[')) {
    if (!IPV6.test(host)) throw invalid(input, `registry host "${host}" is not a valid bracketed IPv6 address`);
    return;
  }
  const labels = host.split('.');
  for (const label of labels) {
    if (!LABEL.test(label)) {
      throw invalid(input, `registry host "${host}" is not a valid host name (labels are letters, digits and inner "-", separated by ".")`);
    }
  }
}

function checkRepository(input: string, repository: string): void {
  if (repository.toLowerCase() !== repository) throw invalid(input, `repository "${repository}" must be lowercase`);
  for (const component of repository.split('/')) {
    if (component.length === 0) throw invalid(input, `repository "${repository}" has an empty path component (leading, trailing or doubled "/")`);
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(
        input,
        `path component "${component}" of repository "${repository}" must be lowercase letters and digits, separated by ".", "_", "__" or "-"`,
      );
    }
  }
}

/** The canonical form `host/repository[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  let out = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}
