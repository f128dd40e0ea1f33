/**
 * One name per image: every spelling of a registry and repository that reaches the same image canonicalizes to one
 * string, and canonicalization is idempotent (the canonical form parses back to itself).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OciError, canonicalRegistry, formatReference, parseReference, parseRepositoryName } from '../../../provider/src/oci/index.js';

const D = `sha256:${'ab'.repeat(32)}`;

const same: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['registry.example.com:5000/team/app', ['registry.example.com:05000/team/app', 'REGISTRY.example.COM:005000/team/app', 'Registry.Example.Com:5000/team/app']],
  ['registry.example.com/team/app', ['registry.example.com:443/team/app', 'registry.example.com:0443/team/app', 'REGISTRY.EXAMPLE.COM:443/team/app']],
  ['127.0.0.1:5000/app', ['127.1:5000/app', '0x7f.0.0.1:5000/app', '2130706433:5000/app', '127.000.000.001:5000/app']],
  ['[::1]:5000/app', ['[0:0:0:0:0:0:0:1]:5000/app', '[0000::0001]:05000/app', '[::0:1]:5000/app']],
  ['[2001:db8::1]/app', ['[2001:DB8:0:0:0:0:0:1]/app', '[2001:0db8::0001]:443/app', '[2001:db8:0::1]/app']],
  ['[2001:db8::1:0:0:1]:5000/app', ['[2001:db8:0:0:1:0:0:1]:5000/app']],
  ['[::ffff:127.0.0.1]:5000/app', ['[::ffff:7f00:1]:5000/app', '[::FFFF:127.0.0.1]:5000/app']],
  ['docker.io/library/nginx', ['nginx', 'library/nginx', 'docker.io/nginx', 'Docker.io/nginx', 'index.docker.io/nginx', 'INDEX.DOCKER.IO/library/nginx', 'registry-1.docker.io/nginx', 'registry.hub.docker.com/library/nginx', 'Registry.Hub.Docker.Com/nginx', 'docker.io:443/nginx']],
  ['docker.io/team/app', ['team/app', 'index.docker.io/team/app', 'registry-1.docker.io:443/team/app']],
  ['localhost:5000/app', ['LOCALHOST:5000/app', 'localhost:05000/app']],
  ['myreg:443/app', ['MyReg:443/app', 'myreg:0443/app']],
];

describe('oci canonical names', () => {
  for (const [canonical, spellings] of same) {
    it(`${spellings.length} spellings of ${canonical} are one name`, () => {
      for (const spelling of spellings) {
        for (const suffix of ['', ':v1', `@${D}`, `:v1@${D}`]) {
          assert.equal(formatReference(parseReference(spelling + suffix)), canonical + suffix, `${spelling}${suffix}`);
        }
      }
      assert.equal(formatReference(parseReference(canonical)), canonical);
    });
  }

  it('keeps different registries apart: another port, another Docker Hub port, another host', () => {
    const names = ['registry.example.com:5000/app', 'registry.example.com:5001/app', 'registry.example.com/app', 'docker.io:5000/app', 'docker.io/app', '127.0.0.2:5000/app', '127.0.0.1:5000/app'];
    const canonical = names.map((n) => formatReference(parseReference(n)));
    assert.equal(new Set(canonical).size, names.length);
  });

  it('canonicalRegistry: one form per registry host, refusals say why', () => {
    assert.equal(canonicalRegistry('Registry.IO:0443'), 'registry.io');
    assert.equal(canonicalRegistry('registry-1.docker.io'), 'docker.io');
    assert.equal(canonicalRegistry('[0::1]:0080'), '[::1]:80');
    assert.throws(() => canonicalRegistry('registry.io:70000'), (e: unknown) => e instanceof OciError && e.code === 'REFERENCE_INVALID' && /out of range/.test(e.message));
    assert.throws(() => canonicalRegistry('a:b:c'), (e: unknown) => e instanceof OciError && /IPv6 address in brackets/.test(e.message));
  });

  it('parseRepositoryName: the first segment is always the registry (scopes), canonicalized the same way', () => {
    assert.deepEqual({ ...parseRepositoryName('Docker.io/nginx') }, { registry: 'docker.io', repository: 'library/nginx' });
    assert.deepEqual({ ...parseRepositoryName('local/app') }, { registry: 'local', repository: 'app' });
    assert.deepEqual({ ...parseRepositoryName('[2001:DB8::1]:0443/app') }, { registry: '[2001:db8::1]', repository: 'app' });
    for (const [bad, why] of [
      ['registry.io', /no repository path/],
      ['registry.io/App', /must be lowercase/],
      ['registry.io:/app', /not a decimal number/],
      ['registry.io/app:v1', /path component "app:v1"/],
    ] as const) {
      assert.throws(() => parseRepositoryName(bad), (e: unknown) => e instanceof OciError && e.code === 'REFERENCE_INVALID' && why.test(e.message), bad);
    }
  });

  describe('properties (fast-check, fixed seed)', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
    const dnsHost = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), fc.constantFrom('com', 'io', 'example', 'test')).map(([ls, tld]) => [...ls, tld].join('.'));
    const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
    const ipv6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => `[${g.map((x) => x.toString(16)).join(':')}]`);
    const host = fc.oneof(dnsHost, ipv4, ipv6, fc.constantFrom('localhost', 'docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'));
    const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
    const component = fc.stringMatching(/^[a-z0-9]{1,6}([._-][a-z0-9]{1,6})?$/);
    const path = fc.array(component, { minLength: 1, maxLength: 3 }).map((c) => c.join('/'));
    const tail = fc.constantFrom('', ':v1', `@${D}`, `:latest@${D}`);

    /** Another spelling of the same host and port: case, leading zeros on the port, :443, uncompressed IPv6. */
    const respell = (h: string, p: number | undefined, caseMask: number, zeros: number, writeDefault: boolean): string => {
      const cased = [...h].map((ch, i) => ((caseMask >> (i % 30)) & 1 ? ch.toUpperCase() : ch)).join('');
      const portText = p === undefined ? (writeDefault && h.includes('.') ? ':443' : '') : `:${'0'.repeat(zeros)}${p}`;
      return cased + portText;
    };

    it('every accepted spelling of the same image canonicalizes to one string', () => {
      fc.assert(
        fc.property(host, port, path, tail, fc.nat(2 ** 30 - 1), fc.nat(3), fc.boolean(), (h, p, r, t, mask, zeros, writeDefault) => {
          const plain = `${h}${p === undefined ? '' : `:${p}`}/${r}${t}`;
          const odd = `${respell(h, p, mask, zeros, writeDefault)}/${r}${t}`;
          let a: string;
          try {
            a = formatReference(parseReference(plain));
          } catch (e) {
            assert.ok(e instanceof OciError && e.code === 'REFERENCE_INVALID', String(e));
            assert.throws(() => parseReference(odd), OciError);
            return;
          }
          assert.equal(formatReference(parseReference(odd)), a, `${plain} vs ${odd}`);
        }),
        { seed: 20261202, numRuns: 3000 },
      );
    });

    it('canonicalization is idempotent, and never throws anything but REFERENCE_INVALID on arbitrary input', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.tuple(host, port, path, tail).map(([h, p, r, t]) => `${h}${p === undefined ? '' : `:${p}`}/${r}${t}`)), (input) => {
          let once: string;
          try {
            once = formatReference(parseReference(input));
          } catch (e) {
            assert.ok(e instanceof OciError && e.code === 'REFERENCE_INVALID', `${JSON.stringify(input)}: ${String(e)}`);
            return;
          }
          assert.equal(formatReference(parseReference(once)), once);
        }),
        { seed: 20261202, numRuns: 5000 },
      );
    });
  });
});
