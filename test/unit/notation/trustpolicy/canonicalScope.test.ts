/**
 * Trust policy selection sees one name per repository: every spelling of a repository in an artifact reference or in
 * registryScopes selects the same statement, so an image cannot escape its repository's statement to "*".
 */
import assert from 'node:assert/strict';
import { parseTrustPolicyDocument, selectStatement } from '../../../../provider/src/notation/trustpolicy/index.js';
import { documentOf, expectInvalid, statement } from './fixtures.js';

const DIGEST = `sha256:${'cd'.repeat(32)}`;
const global = statement({ name: 'global', registryScopes: ['*'] });

function selected(scope: string, reference: string): string {
  const doc = parseTrustPolicyDocument(documentOf(global, statement({ name: 'repository', registryScopes: [scope] })));
  return selectStatement(doc, reference).name;
}

const classes: ReadonlyArray<readonly [string, string, readonly string[]]> = [
  ['port with leading zeros', 'registry.example.com:5000/app', ['registry.example.com:05000/app', 'registry.example.com:0005000/app:v1']],
  ['explicit HTTPS port', 'registry.example.com/app', ['registry.example.com:443/app', 'registry.example.com:00443/app']],
  ['host case', 'registry.example.com/app', ['REGISTRY.EXAMPLE.COM/app', 'Registry.Example.Com:443/app']],
  ['IPv4 forms', '127.0.0.1:5000/app', ['127.1:5000/app', '0x7f000001:5000/app', '127.0.0.01:5000/app']],
  ['IPv6 forms', '[2001:db8::1]:5000/app', ['[2001:DB8:0:0:0:0:0:1]:5000/app', '[2001:0db8::0:1]:05000/app']],
  ['Docker Hub names', 'docker.io/library/nginx', ['index.docker.io/library/nginx', 'registry-1.docker.io/library/nginx', 'Registry.Hub.Docker.Com/library/nginx', 'docker.io/nginx', 'INDEX.docker.io/nginx']],
  ['tag@digest with any tag', 'registry.example.com/app', ['registry.example.com/app:not-what-it-points-at', 'Registry.Example.Com/app:v1']],
];

describe('notation/trustpolicy: canonical names in selection', () => {
  for (const [what, scope, spellings] of classes) {
    it(`${what}: every spelling selects the repository's statement, never "*"`, () => {
      for (const spelling of spellings) {
        assert.equal(selected(scope, `${spelling}@${DIGEST}`), 'repository', spelling);
        // and the other way round: a scope written in the odd spelling covers the canonical reference
        const scopeSpelling = spelling.replace(/(\/[^/]*):[\w.-]+$/, '$1'); // a scope has no tag
        assert.equal(selected(scopeSpelling, `${scope}@${DIGEST}`), 'repository', `scope ${scopeSpelling}`);
      }
    });
  }

  it('keeps another port, another host and another repository on "*"', () => {
    assert.equal(selected('registry.example.com:5000/app', `registry.example.com:5001/app@${DIGEST}`), 'global');
    assert.equal(selected('registry.example.com/app', `registry.example.com:8443/app@${DIGEST}`), 'global');
    assert.equal(selected('docker.io/library/nginx', `docker.io:5000/library/nginx@${DIGEST}`), 'global');
    assert.equal(selected('[2001:db8::1]/app', `[2001:db8::2]/app@${DIGEST}`), 'global');
  });

  it('stores the canonical scopes and accepts IPv6 scopes (as notation does)', () => {
    const doc = parseTrustPolicyDocument(documentOf(statement({ registryScopes: ['Docker.io/nginx', '[0:0::1]:05000/x', 'REG.io:443/a/b'] })));
    assert.deepEqual(doc.trustPolicies[0]?.registryScopes, ['docker.io/library/nginx', '[::1]:5000/x', 'reg.io/a/b']);
  });

  it('two spellings of one scope are a configuration error, in one statement or in two', () => {
    expectInvalid(
      () => parseTrustPolicyDocument(documentOf(statement({ registryScopes: ['registry.io/app', 'REGISTRY.io:443/app'] }))),
      'lists registry scope "registry.io/app" twice',
      '"registry.io/app" and "REGISTRY.io:443/app" name the same repository',
    );
    expectInvalid(
      () =>
        parseTrustPolicyDocument(
          documentOf(statement({ name: 'a', registryScopes: ['index.docker.io/nginx'] }), statement({ name: 'b', registryScopes: ['docker.io/library/nginx'] })),
        ),
      'registry scope "docker.io/library/nginx" is present in multiple oci trust policy statements',
    );
  });

  it('refuses scopes and references that cannot be put in canonical form, saying why', () => {
    for (const [scope, why] of [
      ['registry.io:70000/app', 'out of range'],
      ['registry.io:0x50/app', 'not a decimal number'],
      ['[fe80::1%eth0]/app', 'zone identifier'],
      ['registry.123/app', 'ends in a number'],
    ] as const) {
      expectInvalid(() => parseTrustPolicyDocument(documentOf(statement({ registryScopes: [scope] }))), `registry scope ${JSON.stringify(scope)} is not valid`, why);
    }
    const doc = parseTrustPolicyDocument(documentOf(global));
    assert.throws(() => selectStatement(doc, `registry.io:99999/app@${DIGEST}`), /could not be parsed: .*out of range/);
  });
});
