/**
 * Registry scopes ("Registry Scopes Constraints") and "Selecting a trust policy based on artifact URI": a scope is
 * a fully qualified repository `host[:port]/path` (no scheme, tag or digest) or the global scope `*` alone.
 * Scopes and artifact references are compared only in the canonical form of oci/reference (host case, port number,
 * IPv6 text, Docker Hub's names): two spellings of one repository are one scope, and cannot select different statements.
 */
import { OciError, formatRepository, parseRepositoryName } from '../../oci/index.js';
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

const SCOPE_HINT =
  'make sure it is a fully qualified repository without the scheme, protocol or tag, ' +
  'e.g. registry.example.com/my/repository or a local scope like local/my-oci-layout';

/** The canonical repository of a scope, or why it is not a valid repository scope. `*` is handled by the caller. */
function canonicalScope(scope: string): { readonly scope: string } | { readonly problem: string } {
  if (scope.includes(WILDCARD)) return { problem: 'contains a wildcard "*"; the global scope "*" must stand alone' };
  try {
    return { scope: formatRepository(parseRepositoryName(scope)) };
  } catch (error) {
    if (error instanceof OciError) return { problem: `is not a repository name: ${error.message}` };
    throw error;
  }
}

/**
 * Validates the registry scopes of one statement (non-empty, `*` alone, each well-formed, no repeats once canonical)
 * and returns them in canonical form (`Docker.io/nginx` -> `docker.io/library/nginx`).
 */
export function canonicalStatementScopes(name: string, scopes: readonly string[]): readonly string[] {
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
  const seen = new Map<string, string>();
  for (const scope of scopes) {
    let canonical = scope;
    if (scope !== WILDCARD) {
      const result = canonicalScope(scope);
      if ('problem' in result) throw policyError(`${label}: registry scope ${quote(scope)} is not valid, it ${result.problem}; ${SCOPE_HINT}`);
      canonical = result.scope;
    }
    const first = seen.get(canonical);
    if (first !== undefined) {
      const same = first === scope ? '' : ` (${quote(first)} and ${quote(scope)} name the same repository, ${quote(canonical)})`;
      throw policyError(`${label} lists registry scope ${quote(canonical)} twice${same}; remove one`);
    }
    seen.set(canonical, scope);
  }
  return Object.freeze([...seen.keys()]);
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

/** The canonical repository (`host[:port]/path`) of `host[:port]/path[:tag][@digest]`. */
function artifactRepository(reference: string): string {
  const at = reference.lastIndexOf('@');
  let repository = at >= 0 ? reference.slice(0, at) : reference;
  const lastSlash = repository.lastIndexOf('/');
  const tagColon = repository.indexOf(':', lastSlash + 1);
  if (lastSlash >= 0 && tagColon >= 0) repository = repository.slice(0, tagColon);
  const result = canonicalScope(repository);
  if ('problem' in result) {
    throw notApplicable(
      `artifact reference ${quote(reference)} could not be parsed: its repository ${quote(repository)} ${result.problem}; ` +
        'give the fully qualified reference without the scheme, e.g. registry.example.com:5000/my/repository@sha256:<digest>',
    );
  }
  return result.scope;
}

/**
 * The statement that applies to an artifact: the one whose registryScopes contain the artifact's repository, else
 * the global (`*`) one; both compared in canonical form. `doc` must come from `parseTrustPolicyDocument`.
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
  if (global !== undefined) return global;
  throw notApplicable(
    `artifact ${quote(artifactReference)} has no applicable oci trust policy statement: no statement lists ` +
      `${quote(repository)} in its registryScopes and none uses the global scope "*". Add ${quote(repository)} to ` +
      `the registryScopes of a statement, or add a statement with registryScopes ["*"]. To create a trust policy, see: ${TRUST_POLICY_LINK}`,
  );
}
