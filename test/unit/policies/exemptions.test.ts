/**
 * SignGateVerification's exemptRepositories, at the two places a mistake would widen an exemption:
 * - the template's Rego `canonical_repository(image)` against signgate's own oci/reference (`parseReference`): for
 *   every generated spelling, a name the Rego computes is exactly the provider's canonical repository (never a
 *   different one), and the common forms are computed at all;
 * - the schema pattern that the API server applies to each entry: canonical names and "/*" subtrees only.
 * The suites (exemptions-suite.yaml) cover matching itself.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse } from 'yaml';
import { parseReference } from '../../../provider/src/oci/index.js';
import { type Builtin, RegoPolicy, toJSON } from '../../../provider/src/rego/index.js';

const TEMPLATE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../policies/verification/template.yaml');

interface TemplateDoc {
  spec: {
    crd: { spec: { validation: { openAPIV3Schema: { properties: { exemptRepositories: { items: { pattern: string } } } } } } };
    targets: { rego: string }[];
  };
}
const doc = parse(readFileSync(TEMPLATE, 'utf8')) as TemplateDoc;
const ENTRY = new RegExp(doc.spec.crd.spec.validation.openAPIV3Schema.properties.exemptRepositories.items.pattern, 'u');

const noExternalData: Builtin = { arity: 1, fn: () => { throw new Error('external_data must not be called here'); } };
const policy = RegoPolicy.compile(
  [
    { name: 'template.rego', source: doc.spec.targets[0]?.rego ?? '' },
    { name: 'probe.rego', source: 'package probe\nrepository := data.signgateverification.canonical_repository(input.image)' },
  ],
  { builtins: { external_data: noExternalData } },
);

/** The template's canonical repository of `image`, or undefined where it declines (never exempt). */
function regoRepository(image: string): string | undefined {
  const v = policy.evalRef('data.probe.repository', { input: { image }, data: {}, timeoutMs: 5_000 });
  return v === undefined ? undefined : (toJSON(v) as string);
}

/** signgate's canonical repository of `image`, or undefined when oci/reference refuses it. */
function providerRepository(image: string): string | undefined {
  try {
    const ref = parseReference(image);
    return `${ref.registry}/${ref.repository}`;
  } catch {
    return undefined;
  }
}

const D256 = `sha256:${'a1'.repeat(32)}`;
const D512 = `sha512:${'b2'.repeat(64)}`;

/** Common spellings the template must put in canonical form (so that an exemption applies to them). */
const COMMON: readonly [image: string, repository: string][] = [
  ['busybox', 'docker.io/library/busybox'],
  ['busybox:1.36', 'docker.io/library/busybox'],
  [`busybox@${D256}`, 'docker.io/library/busybox'],
  ['docker.io/busybox', 'docker.io/library/busybox'],
  ['Docker.IO/library/busybox:1.36', 'docker.io/library/busybox'],
  ['index.docker.io/busybox', 'docker.io/library/busybox'],
  [`registry-1.docker.io/library/busybox:1.36@${D256}`, 'docker.io/library/busybox'],
  ['REGISTRY.HUB.DOCKER.COM/busybox', 'docker.io/library/busybox'],
  ['bitnami/nginx:1.25', 'docker.io/bitnami/nginx'],
  ['index.docker.io/bitnami/postgresql/extra', 'docker.io/bitnami/postgresql/extra'],
  ['registry.example.com/team/app:v1.2', 'registry.example.com/team/app'],
  [`Registry.Example.COM/team/app:v1.2@${D512}`, 'registry.example.com/team/app'],
  ['registry.example.com:8443/mirror/a/b', 'registry.example.com:8443/mirror/a/b'],
  ['localhost/app', 'localhost/app'],
  ['LOCALHOST:5000/dev/app:latest', 'localhost:5000/dev/app'],
  ['myreg:5000/app', 'myreg:5000/app'],
  ['10.1.2.3:5000/ci/runner:1', '10.1.2.3:5000/ci/runner'],
  ['a-b.example/x__y/z.w/q-r--s:tag_1', 'a-b.example/x__y/z.w/q-r--s'],
];

/** Spellings the template declines although the provider accepts them: they are verified, never exempt. */
const DECLINED: readonly string[] = [
  'registry.example.com:443/team/app', 'registry.example.com:0443/team/app', 'registry.example.com:08443/team/app',
  'docker.io:443/library/busybox', 'docker.io:5000/library/busybox', 'index.docker.io:5000/busybox',
  '0xa.1.2.3:5000/ci/runner', '10.1.2.03/ci/runner', '010.1.2.3/ci/runner', '127.1/app',
  '[::1]:5000/app', '[0:0::1]/app', 'xn--bcher-kva.example/app', 'localhost', 'docker.io',
];

describe('exemptRepositories: the template canonicalizes like oci/reference', function () {
  this.timeout(60_000);

  it('computes the canonical repository of the common spellings, equal to the provider\'s', () => {
    for (const [image, repository] of COMMON) {
      assert.equal(providerRepository(image), repository, `oci/reference reads ${image} differently from this table`);
      assert.equal(regoRepository(image), repository, `template reads ${image}`);
    }
  });

  it('declines the spellings it cannot canonicalize exactly (IPv6, :443, leading zeros, Docker Hub with a port, URL-style IPv4, IDNA)', () => {
    for (const image of DECLINED) {
      assert.notEqual(providerRepository(image), undefined, `the provider should accept ${image}; this case tests the template declining it`);
      assert.equal(regoRepository(image), undefined, `template must decline ${image}`);
    }
  });

  it('declines what the provider refuses (uppercase path, bad tag or digest, trailing dot, empty segments, whitespace)', () => {
    for (const image of [
      'registry.example.com/Team/app', 'Foo/app', 'registry.example.com/app:-bad', `registry.example.com/app:${'t'.repeat(129)}`,
      'registry.example.com/app@sha256:0123', `registry.example.com/app@SHA256:${'a1'.repeat(32)}`, 'registry.example.com./app',
      'registry.example.com//app', 'registry.example.com/app/', ' registry.example.com/app', 'https://registry.example.com/app',
      'registry.example.com/app:1:2', `r.example/${'a'.repeat(260)}`, 'registry.exampl\u212a.com/app',
    ]) {
      assert.equal(providerRepository(image), undefined, `oci/reference should refuse ${image}`);
      assert.equal(regoRepository(image), undefined, `template must decline ${image}`);
    }
  });

  it('never computes a repository other than the provider\'s, for generated spellings (property)', () => {
    // Mostly valid parts (so that many spellings are canonicalized and compared), with odd ones mixed in.
    const host = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('registry.example.com', 'Registry.Example.COM', 'localhost', 'LocalHost', 'docker.io', 'DOCKER.IO', 'index.docker.io', 'registry-1.docker.io', 'Registry.Hub.Docker.com', '10.1.2.3', '255.255.255.255', 'a-b.example') },
      { weight: 1, arbitrary: fc.constantFrom('10.1.2.03', '0xa.1.2.3', '127.1', '256.1.1.1', '[::1]', '[0::1]', 'xn--bcher-kva.example', 'registry.example.com.', 'foo', 'Foo', '-a.example') },
      { weight: 2, arbitrary: fc.array(fc.stringMatching(/^[A-Za-z0-9-]{1,5}$/), { minLength: 1, maxLength: 3 }).map((labels) => labels.join('.')) },
    );
    const port = fc.option(fc.constantFrom('1', '5000', '05000', '443', '0443', '8443', '65535', '65536', '0', '00', 'x'), { nil: undefined });
    const segment = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('library', 'busybox', 'team', 'app', 'a-b', 'a__b', 'a.b', 'a_b', 'x--y', '0') },
      { weight: 1, arbitrary: fc.constantFrom('Upper', '-bad', 'a___b', 'a..b', '') },
      { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9._-]{1,6}$/) },
    );
    const tag = fc.option(fc.oneof({ weight: 4, arbitrary: fc.constantFrom('1.0', 'latest', 'v1_2', 'A') }, { weight: 1, arbitrary: fc.constantFrom('-bad', '.bad', 'a:b', '') }), { nil: undefined });
    const digest = fc.option(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(D256, D512) }, { weight: 1, arbitrary: fc.constantFrom('sha256:0123', `SHA256:${'a1'.repeat(32)}`, 'md5:abc') }), { nil: undefined });
    const image = fc
      .record({ host: fc.option(host, { nil: undefined }), port, path: fc.array(segment, { minLength: 1, maxLength: 3 }), tag, digest })
      .map(({ host: h, port: p, path, tag: t, digest: d }) =>
        `${h === undefined ? '' : `${h}${p === undefined ? '' : `:${p}`}/`}${path.join('/')}${t === undefined ? '' : `:${t}`}${d === undefined ? '' : `@${d}`}`);
    let computed = 0;
    fc.assert(
      fc.property(image, (written) => {
        const rego = regoRepository(written);
        if (rego === undefined) return;
        computed++;
        assert.equal(rego, providerRepository(written), `template and provider read ${JSON.stringify(written)} differently`);
      }),
      { numRuns: 3000 },
    );
    assert.ok(computed > 0, 'the generator produced no spelling the template canonicalizes, so the property was never checked');
  });
});

describe('exemptRepositories: the schema pattern of an entry', () => {
  it('accepts canonical repository names and "/*" subtrees, including whole registries', () => {
    for (const entry of [
      'registry.example.com/base/*', 'registry.example.com/*', 'registry.example.com/tools/debug', 'docker.io/library/busybox',
      'docker.io/bitnami/*', 'docker.io/*', 'localhost/x', 'localhost:5000/dev/*', 'myreg:5000/x', '10.1.2.3:5000/ci/runner',
      'a-b.example/x__y/z.w/q-r--s', ...COMMON.map(([, repository]) => repository), ...COMMON.map(([, repository]) => `${repository}/*`),
    ]) {
      assert.ok(ENTRY.test(entry), `pattern refuses ${entry}`);
    }
  });

  it('refuses string prefixes, other spellings, tags, digests and IPv6 hosts', () => {
    for (const entry of [
      'registry.example.com/base*', 'registry.example.com/base/**', 'registry.example.com/*/x', 'registry.example.com/base/*x',
      'Registry.example.com/base/*', 'registry.example.com/Base/x', 'busybox', 'library/busybox', 'team/app/*',
      'registry.example.com:443/x', 'registry.example.com:0443/x', 'registry.example.com:08443/x', 'registry.example.com:65536/x',
      'registry.example.com:0/x', 'registry.example.com:/x', '[::1]:5000/x', '[2001:db8::1]/x', 'registry.example.com',
      'registry.example.com/', 'registry.example.com//x', 'registry.example.com/x/', 'registry.example.com/x:1.0',
      `registry.example.com/x@${D256}`, 'https://registry.example.com/x', ' registry.example.com/x', 'registry.example.com/x\n',
      'registry.example.com./x', '.example.com/x', '-a.example.com/x', '*', '/*', '',
    ]) {
      assert.ok(!ENTRY.test(entry), `pattern accepts ${JSON.stringify(entry)}`);
    }
  });

  it('accepts every port from 1 to 65535 written without leading zeros except 443, and no other port', () => {
    const refused: number[] = [];
    for (let port = 1; port <= 65535; port++) if (!ENTRY.test(`r.example:${port}/x`)) refused.push(port);
    assert.deepEqual(refused, [443]);
    for (const port of ['0', '00', '01', '0443', '65536', '99999', '100000', '+1', '1e3']) assert.ok(!ENTRY.test(`r.example:${port}/x`), port);
  });
});
