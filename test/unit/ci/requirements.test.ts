/**
 * The skip policy of test/support/requirements.ts: under CI a missing real component fails the test with the reason;
 * elsewhere the test is skipped with the reason in its title; ../shared and opa are visible skips everywhere.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MissingComponentError,
  componentPath,
  requireComponent,
  requireOpa,
  requireShared,
  underCi,
  type Host,
} from '../../support/requirements.js';

/** A stand-in for mocha's context: records the skip and stops like mocha's skip() does (by throwing). */
class Skipped extends Error {}
function fakeContext(title: string): { ctx: Mocha.Context; test: { title: string } } {
  const test = { title };
  const ctx = { test, currentTest: test, skip: () => { throw new Skipped(); } } as unknown as Mocha.Context;
  return { ctx, test };
}

describe('test support: requirements (no silent skips under CI)', function () {
  let empty: string;
  let withRegistry: string;
  before(function () {
    empty = mkdtempSync(join(tmpdir(), 'signgate-req-empty-'));
    withRegistry = mkdtempSync(join(tmpdir(), 'signgate-req-bin-'));
    writeFileSync(join(withRegistry, 'docker-registry'), '#!/bin/sh\n');
    chmodSync(join(withRegistry, 'docker-registry'), 0o755);
    writeFileSync(join(withRegistry, 'skopeo'), 'not executable');
  });
  after(function () {
    rmSync(empty, { recursive: true, force: true });
    rmSync(withRegistry, { recursive: true, force: true });
  });
  const host = (dir: string, env: NodeJS.ProcessEnv): Host => ({ env, searchPath: [dir] });

  it('reads CI as set unless it is absent, empty or "false"', function () {
    assert.equal(underCi({ CI: 'true' }), true);
    assert.equal(underCi({ CI: '1' }), true);
    assert.equal(underCi({ CI: '' }), false);
    assert.equal(underCi({ CI: 'false' }), false);
    assert.equal(underCi({}), false);
  });

  it('under CI, a missing docker-registry fails the test naming it and .ci/deps', function () {
    const { ctx } = fakeContext('talks to the registry');
    assert.throws(
      () => requireComponent(ctx, 'docker-registry', host(empty, { CI: 'true' })),
      (e: unknown) =>
        e instanceof MissingComponentError &&
        e.component === 'docker-registry' &&
        /docker-registry is not installed, and CI is set, so this test may not be skipped: run \.ci\/deps/.test(e.message),
    );
  });

  it('outside CI, a missing component skips the test with the reason in its title', function () {
    const { ctx, test } = fakeContext('talks to redis');
    assert.throws(() => requireComponent(ctx, 'redis-server', host(empty, {})), Skipped);
    assert.equal(test.title, 'talks to redis (skipped: redis-server is not installed; .ci/deps installs it)');
  });

  it('finds an executable program and returns its path; a non-executable file does not count', function () {
    const { ctx } = fakeContext('x');
    assert.equal(requireComponent(ctx, 'docker-registry', host(withRegistry, { CI: 'true' })), join(withRegistry, 'docker-registry'));
    assert.equal(componentPath('skopeo', host(withRegistry, {})), undefined);
  });

  it('skips for an absent ../shared and a missing opa even under CI, saying why', function () {
    const shared = fakeContext('reads the vectors');
    assert.throws(() => requireShared(shared.ctx, join(empty, 'shared')), Skipped);
    assert.match(shared.test.title, /\(skipped: .*shared is absent \(\.\.\/shared is not part of a user's clone\)\)$/);
    const opa = fakeContext('compiles to wasm');
    assert.throws(() => requireOpa(opa.ctx, undefined), Skipped);
    assert.match(opa.test.title, /\(skipped: opa is not on PATH/);
    assert.equal(requireOpa(fakeContext('y').ctx, '/usr/local/bin/opa'), '/usr/local/bin/opa');
  });
});
