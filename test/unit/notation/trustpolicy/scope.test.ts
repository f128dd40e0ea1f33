import assert from 'node:assert/strict';
import { parseTrustPolicyDocument, selectStatement } from '../../../../provider/src/notation/trustpolicy/index.js';
import { WABBIT, documentOf, expectInvalid, expectNotationError, statement } from './fixtures.js';

const DIGEST = 'sha256:b8479de3f88fb259a0a9ea82a5b2a052a1ef3c4ebbcfc61482d5ae4c831f8af9';
const withScopes = (registryScopes: unknown) => () => parseTrustPolicyDocument(documentOf(statement({ registryScopes })));

describe('notation/trustpolicy: registry scopes and statement selection', () => {
  describe('registry scope rules', () => {
    it('accepts fully qualified repositories, ports, IPs, local scopes and the global scope', () => {
      for (const scope of [
        'registry.acme-rockets.io/software/net-monitor',
        'localhost:5000/net-monitor',
        '127.0.0.1:5000/a/b',
        'local/oci-layout',
        'my-registry.example.com:443/a.b/c__d/e-f/g--h',
        '*',
      ]) {
        const canonical = scope.replace(':443/', '/');
        assert.deepEqual(parseTrustPolicyDocument(documentOf(statement({ registryScopes: [scope] }))).trustPolicies[0]?.registryScopes, [canonical]);
      }
    });

    it('rejects malformed scopes, naming the statement and the scope', () => {
      for (const scope of [
        'localhost:5000\\test-repo',
        'registry.acme-rockets.io',
        'https://registry.acme-rockets.io/net-monitor',
        'registry.acme-rockets.io/Net-Monitor',
        'registry.acme-rockets.io/net-monitor:v1',
        `registry.acme-rockets.io/net-monitor@${DIGEST}`,
        'registry.acme-rockets.io/net-monitor/',
        'registry.acme-rockets.io//net-monitor',
        '-registry.io/net-monitor',
        'registry.io:port/net-monitor',
        'registry.io/net--monitor_',
        '',
      ]) {
        expectInvalid(withScopes([scope]), WABBIT, `registry scope ${JSON.stringify(scope)} is not valid`, 'fully qualified repository');
      }
    });

    it('rejects wildcards inside a scope', () => {
      expectInvalid(withScopes(['registry.acme-rockets.io/*']), WABBIT, 'is not valid', 'wildcard');
      expectInvalid(withScopes(['**']), WABBIT, 'is not valid');
    });

    it('requires at least one scope', () => {
      expectInvalid(withScopes([]), WABBIT, 'zero registry scopes');
      expectInvalid(withScopes(undefined), WABBIT, 'zero registry scopes');
    });

    it('requires "*" to stand alone', () => {
      expectInvalid(withScopes(['*', 'localhost:5000/test-repo7']), WABBIT, 'wildcard registry scope');
    });

    it('rejects a scope listed twice in one statement', () => {
      expectInvalid(withScopes(['local/a', 'local/a']), WABBIT, 'lists registry scope "local/a" twice');
    });

    it('rejects a scope shared by two statements, naming both', () => {
      const a = statement({ name: 'a', registryScopes: ['local/x', 'local/shared'] });
      const b = statement({ name: 'b', registryScopes: ['local/shared'] });
      expectInvalid(
        () => parseTrustPolicyDocument(documentOf(a, b)),
        'registry scope "local/shared" is present in multiple oci trust policy statements',
        'statement "a"',
        'statement "b"',
      );
    });

    it('allows one global statement only', () => {
      const a = statement({ name: 'a', registryScopes: ['*'] });
      const b = statement({ name: 'b', registryScopes: ['*'] });
      expectInvalid(() => parseTrustPolicyDocument(documentOf(a, b)), 'registry scope "*" is present in multiple', 'only one statement');
    });
  });

  describe('selectStatement', () => {
    const exact = statement({ name: 'exact', registryScopes: ['localhost:5000/test-repo9', 'registry.io/other'] });
    const global = statement({ name: 'global', registryScopes: ['*'] });
    const both = parseTrustPolicyDocument(documentOf(global, exact));
    const exactOnly = parseTrustPolicyDocument(documentOf(exact));

    it('prefers the exact scope over "*", whatever the order', () => {
      assert.equal(selectStatement(both, `localhost:5000/test-repo9@${DIGEST}`).name, 'exact');
      const reversed = parseTrustPolicyDocument(documentOf(exact, global));
      assert.equal(selectStatement(reversed, `localhost:5000/test-repo9@${DIGEST}`).name, 'exact');
    });

    it('falls back to "*" for other repositories', () => {
      assert.equal(selectStatement(both, `localhost:5000/test-repo@${DIGEST}`).name, 'global');
      assert.equal(selectStatement(both, `localhost:5001/test-repo9@${DIGEST}`).name, 'global');
      assert.equal(selectStatement(both, `localhost:5000/test-repo9/sub@${DIGEST}`).name, 'global');
    });

    it('matches the repository of tag, digest and tag+digest references, port included', () => {
      assert.equal(selectStatement(exactOnly, 'localhost:5000/test-repo9:v1').name, 'exact');
      assert.equal(selectStatement(exactOnly, `localhost:5000/test-repo9:v1@${DIGEST}`).name, 'exact');
      assert.equal(selectStatement(exactOnly, `registry.io/other@${DIGEST}`).name, 'exact');
      assert.equal(selectStatement(exactOnly, 'registry.io/other').name, 'exact');
    });

    it('matches a registry host written in another case (DNS names are case-insensitive): no escape to "*"', () => {
      // An admission key "REGISTRY.IO/other" pulls from registry.io; it must not dodge the statement for registry.io/other.
      assert.equal(selectStatement(both, `REGISTRY.IO/other@${DIGEST}`).name, 'exact');
      assert.equal(selectStatement(exactOnly, 'LocalHost:5000/test-repo9:v1').name, 'exact');
      const upperScope = parseTrustPolicyDocument(documentOf(global, statement({ name: 'upper', registryScopes: ['Registry.IO/app'] })));
      assert.equal(selectStatement(upperScope, `registry.io/app@${DIGEST}`).name, 'upper');
      // the explicit HTTPS default port names the same registry too
      assert.equal(selectStatement(both, `registry.io:443/other@${DIGEST}`).name, 'exact');
      assert.equal(selectStatement(both, `Registry.IO:443/other@${DIGEST}`).name, 'exact');
      // another port is another registry
      assert.equal(selectStatement(both, `registry.io:8443/other@${DIGEST}`).name, 'global');
      // the repository path stays case-sensitive (references require it lower-case anyway)
      assert.equal(selectStatement(both, `registry.io/other2@${DIGEST}`).name, 'global');
    });

    it('fails with TRUST_POLICY_NOT_APPLICABLE when nothing applies, saying how to fix it', () => {
      const ref = `localhost:5000/unknown@${DIGEST}`;
      expectNotationError(
        () => selectStatement(exactOnly, ref),
        'TRUST_POLICY_NOT_APPLICABLE',
        `artifact "${ref}" has no applicable oci trust policy statement`,
        'add "localhost:5000/unknown" to the registryScopes',
        '["*"]',
      );
      // same path on another port is another repository
      expectNotationError(() => selectStatement(exactOnly, `localhost:5001/test-repo9@${DIGEST}`), 'TRUST_POLICY_NOT_APPLICABLE');
    });

    it('fails with TRUST_POLICY_NOT_APPLICABLE on an unparsable reference', () => {
      for (const ref of ['net-monitor', `https://registry.io/a@${DIGEST}`, `Registry.io/A@${DIGEST}`, '']) {
        expectNotationError(() => selectStatement(both, ref), 'TRUST_POLICY_NOT_APPLICABLE', 'could not be parsed');
      }
      expectNotationError(() => selectStatement(both, `r.io/${'a'.repeat(3000)}`), 'TRUST_POLICY_NOT_APPLICABLE', 'at most 2048');
    });
  });
});
