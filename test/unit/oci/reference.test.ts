import assert from 'node:assert/strict';
import { OciError, formatReference, parseReference, type Reference } from '../../../provider/src/oci/index.js';

const H64 = 'a'.repeat(64);
const D256 = `sha256:${'0123456789abcdef'.repeat(4)}`;
const D512 = `sha512:${'0123456789abcdef'.repeat(8)}`;

const valid: ReadonlyArray<readonly [string, Reference, string]> = [
  ['ubuntu', { registry: 'docker.io', repository: 'library/ubuntu' }, 'docker.io/library/ubuntu'],
  ['ubuntu:22.04', { registry: 'docker.io', repository: 'library/ubuntu', tag: '22.04' }, 'docker.io/library/ubuntu:22.04'],
  ['library/ubuntu', { registry: 'docker.io', repository: 'library/ubuntu' }, 'docker.io/library/ubuntu'],
  ['docker.io/ubuntu', { registry: 'docker.io', repository: 'library/ubuntu' }, 'docker.io/library/ubuntu'],
  ['index.docker.io/foo/bar:1', { registry: 'docker.io', repository: 'foo/bar', tag: '1' }, 'docker.io/foo/bar:1'],
  ['index.docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx' }, 'docker.io/library/nginx'],
  ['foo/bar', { registry: 'docker.io', repository: 'foo/bar' }, 'docker.io/foo/bar'],
  ['localhost/foo', { registry: 'localhost', repository: 'foo' }, 'localhost/foo'],
  ['localhost:5000/foo/bar:v1', { registry: 'localhost:5000', repository: 'foo/bar', tag: 'v1' }, 'localhost:5000/foo/bar:v1'],
  ['localhost:5000', { registry: 'docker.io', repository: 'library/localhost', tag: '5000' }, 'docker.io/library/localhost:5000'],
  [`registry.example.com/a/b/c@${D256}`, { registry: 'registry.example.com', repository: 'a/b/c', digest: D256 }, `registry.example.com/a/b/c@${D256}`],
  [`ghcr.io/org/app:v1@${D256}`, { registry: 'ghcr.io', repository: 'org/app', tag: 'v1', digest: D256 }, `ghcr.io/org/app:v1@${D256}`],
  [`ghcr.io/org/app@${D512}`, { registry: 'ghcr.io', repository: 'org/app', digest: D512 }, `ghcr.io/org/app@${D512}`],
  ['127.0.0.1:5000/x', { registry: '127.0.0.1:5000', repository: 'x' }, '127.0.0.1:5000/x'],
  ['[::1]:5000/x:t', { registry: '[::1]:5000', repository: 'x', tag: 't' }, '[::1]:5000/x:t'],
  ['[2001:db8::1]/team/x', { registry: '[2001:db8::1]', repository: 'team/x' }, '[2001:db8::1]/team/x'],
  ['Example.COM/foo', { registry: 'example.com', repository: 'foo' }, 'example.com/foo'],
  ['Foo:5000/bar', { registry: 'foo:5000', repository: 'bar' }, 'foo:5000/bar'],
  ['my-registry.io/x_y__z.w---v/a.b', { registry: 'my-registry.io', repository: 'x_y__z.w---v/a.b' }, 'my-registry.io/x_y__z.w---v/a.b'],
  ['r.io/app:_V1.0-rc_1', { registry: 'r.io', repository: 'app', tag: '_V1.0-rc_1' }, 'r.io/app:_V1.0-rc_1'],
  [`r.io/app:${'t'.repeat(128)}`, { registry: 'r.io', repository: 'app', tag: 't'.repeat(128) }, `r.io/app:${'t'.repeat(128)}`],
  [`r.io/${'a'.repeat(250)}`, { registry: 'r.io', repository: 'a'.repeat(250) }, `r.io/${'a'.repeat(250)}`],
];

const invalid: ReadonlyArray<readonly [string, string, RegExp]> = [
  ['empty', '', /empty/],
  ['uppercase repository', 'UPPER', /must be lowercase/],
  ['uppercase path under a domain', 'docker.io/Foo/bar', /must be lowercase/],
  ['doubled slash', 'foo//bar', /empty path component/],
  ['trailing slash', 'r.io/foo/', /empty path component/],
  ['leading slash', '/foo', /registry host|empty path component/],
  ['domain only', 'r.io/', /repository name after "r.io\/" is missing/],
  ['empty tag', 'foo:', /tag after ":" is empty/],
  ['tag starting with -', 'foo:-tag', /tag "-tag"/],
  ['tag starting with .', 'foo:.tag', /tag ".tag"/],
  ['tag of 129 characters', `foo:${'t'.repeat(129)}`, /at most 128/],
  ['short digest', 'foo@sha256:abc', /64 hex characters/],
  ['uppercase digest hex', `foo@sha256:${'A'.repeat(64)}`, /lowercase hexadecimal/],
  ['sha512 of sha256 length', `foo@sha512:${H64}`, /128 hex characters/],
  ['unsupported algorithm', `foo@md5:${'a'.repeat(32)}`, /algorithm "md5" is not supported/],
  ['two digests', `foo@${D256}@${D256}`, /more than one "@"/],
  ['empty digest', 'foo@', /digest after "@"/],
  ['URL scheme', 'https://ghcr.io/foo', /URL scheme/],
  ['bare image ID', H64, /image ID/],
  ['whitespace', 'foo bar', /whitespace/],
  ['host label starting with -', '-foo.com/bar', /not a valid host name/],
  ['port not a number', 'example.com:abc/x', /port "abc"/],
  ['port out of range', 'example.com:99999/x', /port 99999 .* out of range/],
  ['port zero', 'example.com:0/x', /port 0 .* out of range/],
  ['hex port', 'example.com:0x50/x', /port "0x50" .* not a decimal number/],
  ['empty port', 'example.com:/x', /port "" .* not a decimal number/],
  ['capitalised single-label host', 'Foo/bar', /reads as a Docker Hub namespace/],
  ['IPv6 zone', '[fe80::1%25eth0]:5000/x', /zone identifier/],
  ['not IPv6', '[::g]:5000/x', /not a valid IPv6 address/],
  ['IPv6 without brackets', '::1:5000/x', /IPv6 address in brackets|repository name is missing|not a valid host/],
  ['trailing dot host', 'registry.io./x', /not a valid host name/],
  ['host ending in a non-IPv4 number', 'registry.123/x', /ends in a number/],
  ['component ending with -', 'foo-/bar', /path component "foo-"/],
  ['component with two dots', 'r.io/a..b', /path component "a..b"/],
  ['unclosed IPv6', '[::1/x', /IPv6/],
  ['name over 255', `r.io/${'a'.repeat(251)}`, /at most 255/],
  ['colon only', ':tag', /repository name is missing/],
];

describe('oci reference', () => {
  describe('parses and normalizes valid references', () => {
    for (const [input, want, canonical] of valid) {
      it(`${input.length > 60 ? `${input.slice(0, 57)}...` : input}`, () => {
        const ref = parseReference(input);
        assert.deepEqual({ ...ref }, want);
        assert.equal(formatReference(ref), canonical);
        assert.ok(Object.isFrozen(ref));
        // the canonical form parses back to the same reference
        assert.deepEqual({ ...parseReference(canonical) }, want);
      });
    }
  });

  describe('rejects invalid references with REFERENCE_INVALID', () => {
    for (const [name, input, message] of invalid) {
      it(name, () => {
        assert.throws(
          () => parseReference(input),
          (err: unknown) => {
            assert.ok(err instanceof OciError);
            assert.equal(err.code, 'REFERENCE_INVALID');
            assert.match(err.message, message);
            assert.match(err.message, /for example registry\.example\.com\/team\/app:v1\.2/);
            return true;
          },
        );
      });
    }
  });

  it('names the offending input in the message', () => {
    assert.throws(() => parseReference('Registry.io/Team/App'), /image reference "Registry\.io\/Team\/App" is invalid: repository "Team\/App" must be lowercase/);
  });

  it('bounds very long input before any parsing', () => {
    assert.throws(() => parseReference(`r.io/${'a/'.repeat(1000)}b`), (err: unknown) => err instanceof OciError && err.code === 'REFERENCE_INVALID' && /longer than 1024/.test(err.message));
  });
});
