/**
 * Registry scopes ("Registry Scopes Constraints") and "Selecting a trust policy based on artifact URI": a scope is
 * a fully qualified repository `host[:port]/path` (no scheme, tag or digest) or the global scope `*` alone.
 */
import { NotationError } from '../errors.js';
import {
  LIMITS,
  TRUST_POLICY_LINK,
  WILDCARD,
  policyError,
  quote,
  statementLabel,
  type TrustPolicyDocument,
  type TrustPolicyStatement,
} from './types.js';

// The domain and repository grammar of the distribution reference (as notation adapts it). Each repetition
// consumes a separator, so matching stays linear on bounded input.
const DOMAIN = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

const SCOPE_HINT =
  'make sure it is a fully qualified repository without the scheme, protocol or tag, ' +
  'e.g. registry.example.com/my/repository or a local scope like local/myOCILayout';

/** Why `scope` is not a valid repository scope, or `undefined` when it is. `*` is handled by the caller. */
function scopeProblem(scope: string): string | undefined {
  if (scope.includes(WILDCARD)) return 'contains a wildcard "*"; the global scope "*" must stand alone';
  const slash = scope.indexOf('/');
  if (slash < 0) return 'has no repository path after the registry host';
  const domain = scope.slice(0, slash);
  const path = scope.slice(slash + 1);
  if (!DOMAIN.test(domain)) return `has an invalid registry host ${quote(domain)}`;
  if (path.split('/').some((c) => !PATH_COMPONENT.test(c))) {
    return `has an invalid repository path ${quote(path)} (lower-case letters, digits and . _ __ - separators only)`;
  }
  return undefined;
}

/** Validates the registry scopes of one statement (non-empty, `*` alone, each well-formed, no repeats). */
export function validateStatementScopes(name: string, scopes: readonly string[]): void {
  const label = statementLabel(name);
  if (scopes.length === 0) {
    throw policyError(`${label} has zero registry scopes; list at least one repository in "registryScopes", or "*"`);
  }
  if (scopes.length > 1 && scopes.includes(WILDCARD)) {
    throw policyError(
      `${label} uses wildcard registry scope "*", which cannot be used in conjunction with other scope values; ` +
        'keep "*" alone, or move the other scopes into their own statement',
    );
  }
  const seen = new Set<string>();
  for (const scope of scopes) {
    if (scope !== WILDCARD) {
      const problem = scopeProblem(scope);
      if (problem !== undefined) {
        throw policyError(`${label}: registry scope ${quote(scope)} is not valid, it ${problem}; ${SCOPE_HINT}`);
      }
    }
    if (seen.has(scope)) throw policyError(`${label} lists registry scope ${quote(scope)} twice; remove one`);
    seen.add(scope);
  }
}

/** Every scope belongs to one statement only; at most one statement is global. */
export function validateScopesAcrossStatements(statements: readonly TrustPolicyStatement[]): void {
  const owner = new Map<string, string>();
  for (const statement of statements) {
    for (const scope of statement.registryScopes) {
      const first = owner.get(scope);
      if (first !== undefined) {
        const what = scope === WILDCARD ? 'only one statement may use the global scope "*"' : 'one registry scope value can only be associated with one statement';
        throw policyError(
          `registry scope ${quote(scope)} is present in multiple oci trust policy statements ` +
            `(${statementLabel(first)} and ${statementLabel(statement.name)}); ${what}: remove it from all but one`,
        );
      }
      owner.set(scope, statement.name);
    }
  }
}

function notApplicable(message: string): NotationError {
  return new NotationError('TRUST_POLICY_NOT_APPLICABLE', message);
}

/** The repository part (`host[:port]/path`) of `host[:port]/path[:tag][@digest]`. */
function artifactRepository(reference: string): string {
  const at = reference.lastIndexOf('@');
  let repository = at >= 0 ? reference.slice(0, at) : reference;
  const lastSlash = repository.lastIndexOf('/');
  const tagColon = repository.indexOf(':', lastSlash + 1);
  if (lastSlash >= 0 && tagColon >= 0) repository = repository.slice(0, tagColon);
  const problem = scopeProblem(repository);
  if (problem !== undefined) {
    throw notApplicable(
      `artifact reference ${quote(reference)} could not be parsed: its repository ${quote(repository)} ${problem}; ` +
        'give the fully qualified reference without the scheme, e.g. registry.example.com:5000/my/repository@sha256:<digest>',
    );
  }
  return repository;
}

/** `host[:port]/path` with the host lower-cased. */
/** The repository with its host lower-cased and an explicit HTTPS default port (`:443`) dropped: the same registry. */
function foldHost(repository: string): string {
  const slash = repository.indexOf('/');
  if (slash < 0) return repository;
  const host = repository.slice(0, slash).toLowerCase();
  return (host.endsWith(':443') ? host.slice(0, -4) : host) + repository.slice(slash);
}

/**
 * The statement that applies to an artifact: the one whose registryScopes contain the artifact's repository (the
 * registry host compared case-insensitively when no scope matches exactly), else the global (`*`) one. `doc` must
 * come from `parseTrustPolicyDocument`.
 */
export function selectStatement(doc: TrustPolicyDocument, artifactReference: string): TrustPolicyStatement {
  if (typeof artifactReference !== 'string' || artifactReference.length > LIMITS.artifactReferenceLength) {
    throw notApplicable(`artifact reference must be a string of at most ${LIMITS.artifactReferenceLength} characters`);
  }
  const repository = artifactRepository(artifactReference);
  let global: TrustPolicyStatement | undefined;
  for (const statement of doc.trustPolicies) {
    if (statement.registryScopes.includes(repository)) return statement;
    if (statement.registryScopes.includes(WILDCARD)) global ??= statement;
  }
  // The registry host is a DNS name: `REGISTRY.io/app` (or `registry.io:443/app`) pulls what `registry.io/app` names,
  // so a host written in another case or with the default port must not escape that repository's statement (notation compares exactly; its caller picks the
  // reference, an admission request's author picks ours).
  const folded = foldHost(repository);
  const sameHost = doc.trustPolicies.find((s) => s.registryScopes.some((scope) => scope !== WILDCARD && foldHost(scope) === folded));
  if (sameHost !== undefined) return sameHost;
  if (global !== undefined) return global;
  throw notApplicable(
    `artifact ${quote(artifactReference)} has no applicable oci trust policy statement: no statement lists ` +
      `${quote(repository)} in its registryScopes and none uses the global scope "*". Add ${quote(repository)} to ` +
      `the registryScopes of a statement, or add a statement with registryScopes ["*"]. To create a trust policy, see: ${TRUST_POLICY_LINK}`,
  );
}
