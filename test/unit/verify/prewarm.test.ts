import assert from 'node:assert/strict';
import { OciError } from '../../../provider/src/oci/index.js';
import { createPrewarm, parsePrewarmScope, type PrewarmOutcome } from '../../../provider/src/verify/index.js';

describe('verify/prewarm: scopes and the background queue', () => {
  it('reads host/repo and host/prefix* in canonical form', () => {
    assert.deepEqual(parsePrewarmScope('Registry.Example.com:443/team/app'), { text: 'Registry.Example.com:443/team/app', name: 'registry.example.com/team/app', prefix: false });
    assert.deepEqual(parsePrewarmScope('registry.example.com/team/*'), { text: 'registry.example.com/team/*', name: 'registry.example.com/team/', prefix: true });
    assert.deepEqual(parsePrewarmScope('registry.example.com/team*'), { text: 'registry.example.com/team*', name: 'registry.example.com/team', prefix: true });
    assert.deepEqual(parsePrewarmScope('localhost:5000/*'), { text: 'localhost:5000/*', name: 'localhost:5000/', prefix: true });
  });

  it('refuses what oci/reference refuses, a "*" not at the end, and a bare host, with REFERENCE_INVALID', () => {
    for (const text of ['registry.example.com', 'registry.example.com/Team/app', 'registry.example.com/*/app', 'registry.example.com*', 'https://registry.example.com/app', '']) {
      assert.throws(() => parsePrewarmScope(text), (e: unknown) => e instanceof OciError && e.code === 'REFERENCE_INVALID', text);
    }
  });

  it('verifies covered references once each, at most `concurrency` at a time, and never blocks the offer', async () => {
    const started: string[] = [];
    const release: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const done: [string, PrewarmOutcome | 'dropped'][] = [];
    const prewarm = createPrewarm({
      scopes: [parsePrewarmScope('r.example.com/team/*')],
      concurrency: 2,
      maxPending: 2,
      verify: (reference) => {
        started.push(reference);
        most = Math.max(most, ++running);
        return new Promise((resolve) => release.push(() => (running--, resolve('pass'))));
      },
      done: (reference, outcome) => done.push([reference, outcome]),
    });
    assert.equal(prewarm.offer('r.example.com/other/app:v1', 'r.example.com/other/app', 't'), false, 'not covered');
    assert.equal(prewarm.offer('r.example.com/teamx/app:v1', 'r.example.com/teamx/app', 't'), false, 'team/* is not teamx');
    for (const n of [1, 2, 3, 4]) assert.equal(prewarm.offer(`r.example.com/team/app:v${n}`, 'r.example.com/team/app', 't'), true);
    assert.equal(prewarm.offer('r.example.com/team/app:v3', 'r.example.com/team/app', 't'), false, 'already queued');
    assert.equal(prewarm.offer('r.example.com/team/app:v5', 'r.example.com/team/app', 't'), false, 'queue full');
    assert.deepEqual(done, [['r.example.com/team/app:v5', 'dropped']]);
    assert.deepEqual(started, ['r.example.com/team/app:v1', 'r.example.com/team/app:v2']);
    while (release.length > 0) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await prewarm.idle();
    assert.equal(most, 2);
    assert.deepEqual(started, [1, 2, 3, 4].map((n) => `r.example.com/team/app:v${n}`));
    assert.equal(done.filter(([, o]) => o === 'pass').length, 4);
  });

  it('counts a verification that throws as an error and goes on', async () => {
    const outcomes: string[] = [];
    const prewarm = createPrewarm({
      scopes: [parsePrewarmScope('r.example.com/app')],
      verify: () => Promise.reject(new Error('boom')),
      done: (_r, outcome) => outcomes.push(outcome),
    });
    prewarm.offer('r.example.com/app:v1', 'r.example.com/app', 't');
    await prewarm.idle();
    assert.deepEqual(outcomes, ['error']);
  });

  it('stop() forgets what is queued and refuses later offers (shutdown)', async () => {
    let release: () => void = () => undefined;
    const started: string[] = [];
    const prewarm = createPrewarm({
      scopes: [parsePrewarmScope('r.example.com/app')],
      concurrency: 1,
      verify: (reference) => {
        started.push(reference);
        return new Promise((resolve) => (release = () => resolve('pass')));
      },
    });
    prewarm.offer('r.example.com/app:v1', 'r.example.com/app', 't');
    prewarm.offer('r.example.com/app:v2', 'r.example.com/app', 't');
    prewarm.stop();
    assert.equal(prewarm.offer('r.example.com/app:v3', 'r.example.com/app', 't'), false);
    release();
    await prewarm.idle();
    assert.deepEqual(started, ['r.example.com/app:v1'], 'only the running one finished');
  });
});
