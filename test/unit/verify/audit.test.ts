/**
 * verify/audit: which images a cycle verifies (distinct per configuration scope, the running digest first), what it
 * reports (one result per Pod container image; an error is never a pass), transitions and their events, the qps bound,
 * and the schedule (at once, every interval, soon after a change), with a fake executor and a manual clock.
 */
import assert from 'node:assert/strict';
import { createAudit, makeVerdict, startAudit, type AuditOptions, type AuditPod, type AuditResult, type ItemContext, type ItemResult, type Verdict } from '../../../provider/src/verify/index.js';
import type { Config } from '../../../provider/src/config/types.js';
import { waitFor } from '../../support/waitFor.js';
import { makeConfig, NOTARY, scopeConfig } from './fixtures.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const INTERVAL = 60_000;

/** A clock that moves only when a sleep is waited out by `advance` (or, `auto`, at once by the time slept). */
class ManualTime {
  now = Date.parse('2026-01-01T00:00:00Z');
  private waiters: { until: number; resolve: () => void }[] = [];
  constructor(private readonly auto = false) {}
  readonly clock = (): Date => new Date(this.now);
  readonly sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted || ms <= 0) return resolve();
      if (this.auto) {
        this.now += ms;
        return resolve();
      }
      const w = { until: this.now + ms, resolve };
      this.waiters.push(w);
      signal.addEventListener(
        'abort',
        () => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve();
        },
        { once: true },
      );
    });
  /** Moves to the earliest waiter's time (or by `ms`) and wakes what is due; false (for waitFor: keep polling). */
  advance(ms?: number): false {
    const next = ms !== undefined ? this.now + ms : Math.min(...this.waiters.map((w) => w.until));
    this.now = Math.max(this.now, next);
    for (const w of this.waiters.filter((x) => x.until <= this.now)) w.resolve();
    this.waiters = this.waiters.filter((x) => x.until > this.now);
    return false;
  }
  pending(): number {
    return this.waiters.length;
  }
}

function verdict(subject: string, isSuccess: boolean, at: Date, traceID: string): Verdict {
  return makeVerdict({
    isSuccess,
    traceID,
    now: at,
    verifierReports: [
      {
        subject,
        isSuccess,
        name: 'notation',
        verifierName: 'notation',
        type: 'notation',
        verifierType: 'notation',
        referenceDigest: D2,
        artifactType: NOTARY,
        message: isSuccess ? 'signature verified' : 'the signing certificate is not trusted',
        errorReason: isSuccess ? '' : 'SIGNATURE_NOT_TRUSTED',
        remediation: '',
        extensions: {},
      },
    ],
  });
}

function pod(namespace: string, name: string, images: AuditPod['images']): AuditPod {
  return { namespace, name, uid: `uid-${namespace}-${name}`, images };
}

interface Harness {
  readonly calls: { key: string; ctx: ItemContext; at: number }[];
  readonly reports: ReadonlyMap<string, readonly AuditResult[]>[];
  readonly failed: AuditResult[];
  readonly transitions: string[];
  options: AuditOptions;
}

function harness(time: ManualTime, state: { pods: AuditPod[]; config: Config | undefined; answer: (key: string, ctx: ItemContext) => ItemResult<Verdict> }): Harness {
  const h: Omit<Harness, 'options'> = { calls: [], reports: [], failed: [], transitions: [] };
  let traces = 0;
  const options: AuditOptions = {
    pods: () => state.pods,
    config: () => state.config,
    executor: {
      verify: (key, ctx) => {
        h.calls.push({ key, ctx, at: time.now });
        return Promise.resolve(state.answer(key, ctx));
      },
    },
    sinks: {
      writeReports: (byNamespace) => {
        h.reports.push(byNamespace);
        return Promise.resolve();
      },
      imageFailed: (r) => {
        h.failed.push(r);
        return Promise.resolve();
      },
    },
    intervalMs: INTERVAL,
    qps: 1000,
    clock: time.clock,
    sleep: time.sleep,
    traceID: () => `audit-${++traces}`,
    events: { transition: (from, to) => h.transitions.push(`${from}->${to}`) },
  };
  return { ...h, options };
}

const passAll = (key: string, ctx: ItemContext): ItemResult<Verdict> => {
  const subject = key.replace(/^\[[^\]]*\]/, '');
  return { value: verdict(subject.includes('@') ? subject : `${subject.split(':')[0]}@${D2}`, true, new Date(Date.parse('2026-01-01T00:00:00Z')), ctx.traceID) };
};

describe('verify/audit: re-verification of running Pods', () => {
  const cluster = scopeConfig([]);
  const config = makeConfig(1, cluster, { isolated: scopeConfig([], 'any') });

  it('verifies each distinct image once per configuration scope, at the digest the container runs, and reports every Pod container image', async () => {
    const time = new ManualTime(true);
    const pods = [
      pod('team-a', 'web', [
        { container: 'app', kind: 'container', image: 'registry.example/team/app:1.0', imageDigest: D1 },
        { container: 'init', kind: 'initContainer', image: 'registry.example/team/app:1.0', imageDigest: D1 },
        { container: 'debug', kind: 'ephemeralContainer', image: 'busybox' },
      ]),
      pod('team-b', 'web', [{ container: 'app', kind: 'container', image: 'REGISTRY.example/team/app:2.0', imageDigest: D1 }]),
      pod('isolated', 'web', [{ container: 'app', kind: 'container', image: 'registry.example/team/app:1.0', imageDigest: D1 }]),
    ];
    const h = harness(time, { pods, config, answer: passAll });
    const cycle = await createAudit(h.options).runCycle(true);
    assert.deepEqual(
      h.calls.map((c) => c.key),
      [`[team-a]registry.example/team/app@${D1}`, '[team-a]docker.io/library/busybox', `[isolated]registry.example/team/app@${D1}`],
      'team-b shares the cluster-wide scope (and, canonically, the image) with team-a; isolated has its own configuration',
    );
    assert.ok(h.calls.every((c) => c.ctx.maxAgeMs === INTERVAL && c.ctx.config === config), 'no cached verdict older than the interval');
    assert.deepEqual({ ...cycle, seconds: 0 }, { seconds: 0, verified: 3, pods: 3, results: { pass: 5, fail: 0, error: 0 } });
    const written = h.reports[0];
    assert.deepEqual([...(written?.keys() ?? [])], ['team-a', 'team-b', 'isolated']);
    const debug = written?.get('team-a')?.find((r) => r.container === 'debug');
    assert.deepEqual(debug, {
      pod: { namespace: 'team-a', name: 'web', uid: 'uid-team-a-web' },
      container: 'debug',
      containerKind: 'ephemeralContainer',
      image: 'busybox',
      result: 'pass',
      digest: D2,
      message: 'signature verified',
      traceID: 'audit-2',
      at: new Date('2026-01-01T00:00:00Z'),
    });
    assert.equal(written?.get('team-b')?.[0]?.image, 'REGISTRY.example/team/app:2.0', 'the image as the Pod names it');
  });

  it('an image that could not be decided is an error, never a pass; an unparsable image is an error naming the container; no configuration writes nothing', async () => {
    const time = new ManualTime(true);
    const state = {
      pods: [pod('team-a', 'web', [{ container: 'app', kind: 'container' as const, image: 'registry.example/team/app:1.0' }, { container: 'bad', kind: 'container' as const, image: 'Bad Image!' }])],
      config: undefined as Config | undefined,
      answer: (): ItemResult<Verdict> => ({ error: 'could not verify "registry.example/team/app:1.0": registry unreachable', code: 'REGISTRY_UNREACHABLE', subject: 'registry.example/team/app:1.0' }),
    };
    const h = harness(time, state);
    const audit = createAudit(h.options);
    assert.equal(await audit.runCycle(true), undefined);
    assert.equal(h.reports.length, 0, 'no configuration: no report of errors everywhere');
    state.config = config;
    await audit.runCycle(true);
    const [app, bad] = h.reports[0]?.get('team-a') ?? [];
    assert.equal(h.calls.length, 1, 'the unparsable image is not sent to the executor');
    assert.deepEqual({ result: app?.result, reason: app?.reason, message: app?.message, traceID: app?.traceID }, {
      result: 'error',
      reason: 'REGISTRY_UNREACHABLE',
      message: 'could not verify "registry.example/team/app:1.0": registry unreachable',
      traceID: 'audit-1',
    });
    assert.equal(bad?.result, 'error');
    assert.equal(bad?.reason, 'KEY_INVALID');
    assert.match(bad?.message ?? '', /^the image "Bad Image!" of container bad cannot be verified: .+; correct the Pod's image$/);
  });

  it('pass -> fail is a transition with an event for that Pod image; fail -> pass and error changes are counted only; gone Pods are forgotten', async () => {
    const time = new ManualTime(true);
    let trusted = true;
    const state = {
      pods: [pod('team-a', 'web', [{ container: 'app', kind: 'container' as const, image: 'registry.example/team/app:1.0', imageDigest: D1 }])],
      config,
      answer: (key: string, ctx: ItemContext): ItemResult<Verdict> => ({ value: verdict(`registry.example/team/app@${D1}`, trusted, time.clock(), ctx.traceID) }),
    };
    const h = harness(time, state);
    const audit = createAudit(h.options);
    await audit.runCycle(true);
    assert.deepEqual(h.transitions, [], 'a first result is no transition');
    trusted = false;
    await audit.runCycle(true);
    assert.deepEqual(h.transitions, ['pass->fail']);
    assert.equal(h.failed.length, 1);
    assert.deepEqual({ pod: h.failed[0]?.pod, reason: h.failed[0]?.reason, digest: h.failed[0]?.digest, traceID: h.failed[0]?.traceID }, {
      pod: { namespace: 'team-a', name: 'web', uid: 'uid-team-a-web' },
      reason: 'SIGNATURE_NOT_TRUSTED',
      digest: D1,
      traceID: 'audit-2',
    });
    await audit.runCycle(true);
    assert.equal(h.failed.length, 1, 'still failing: no second event');
    trusted = true;
    await audit.runCycle(true);
    assert.deepEqual(h.transitions, ['pass->fail', 'fail->pass']);
    state.pods = [];
    await audit.runCycle(true);
    assert.deepEqual([...(h.reports.at(-1)?.keys() ?? [])], [], 'no Pod: no namespace to report');
    state.pods = [pod('team-a', 'web', [{ container: 'app', kind: 'container' as const, image: 'registry.example/team/app:1.0', imageDigest: D1 }])];
    trusted = false;
    await audit.runCycle(true);
    assert.equal(h.failed.length, 1, 'a Pod seen again starts without history');
  });

  it('outcomes the reports held before this audit started (a restart, a new leader) count: pass there, fail now is a transition with its event', async () => {
    const time = new ManualTime(true);
    const state = {
      pods: [pod('team-a', 'web', [{ container: 'app', kind: 'container' as const, image: 'registry.example/team/app:1.0', imageDigest: D1 }])],
      config,
      answer: (key: string, ctx: ItemContext): ItemResult<Verdict> => ({ value: verdict(`registry.example/team/app@${D1}`, false, time.clock(), ctx.traceID) }),
    };
    const h = harness(time, state);
    let reads = 0;
    const sinks = {
      ...h.options.sinks,
      reportedResults: () => {
        reads += 1;
        return Promise.resolve([{ podUid: 'uid-team-a-web', container: 'app', result: 'pass' as const }, { podUid: 'gone', container: 'app', result: 'pass' as const }]);
      },
    };
    const audit = createAudit({ ...h.options, sinks });
    await audit.runCycle(true);
    assert.deepEqual(h.transitions, ['pass->fail']);
    assert.equal(h.failed[0]?.pod.name, 'web');
    await audit.runCycle(true);
    assert.equal(reads, 1, 'read once, at the first cycle');
    assert.equal(h.failed.length, 1);
  });

  it('a cycle after a change verifies only new images or those decided under another configuration; a full cycle verifies all', async () => {
    const time = new ManualTime(true);
    const state = { pods: [pod('team-a', 'web', [{ container: 'app', kind: 'container' as const, image: 'registry.example/team/app:1.0', imageDigest: D1 }])], config, answer: passAll };
    const h = harness(time, state);
    const audit = createAudit(h.options);
    await audit.runCycle(true);
    state.pods = [...state.pods, pod('team-a', 'api', [{ container: 'app', kind: 'container' as const, image: 'registry.example/team/api:1.0', imageDigest: D2 }])];
    await audit.runCycle(false);
    assert.deepEqual(h.calls.map((c) => c.key), [`[team-a]registry.example/team/app@${D1}`, `[team-a]registry.example/team/api@${D2}`]);
    assert.equal(h.reports.at(-1)?.get('team-a')?.length, 2, 'the reused result is reported too');
    state.config = makeConfig(2, cluster);
    await audit.runCycle(false);
    assert.equal(h.calls.length, 4, 'a new configuration decides everything again');
    await audit.runCycle(true);
    assert.equal(h.calls.length, 6);
  });

  it('starts at most qps verifications per second, across back-to-back cycles too', async () => {
    const time = new ManualTime();
    const pods = [1, 2, 3, 4, 5].map((n) => pod('team-a', `p${n}`, [{ container: 'app', kind: 'container' as const, image: `registry.example/team/app${n}:1` }]));
    const h = harness(time, { pods, config, answer: passAll });
    const audit = createAudit({ ...h.options, qps: 2, concurrency: 3 });
    for (const calls of [5, 10]) {
      const running = audit.runCycle(true);
      await waitFor(() => time.pending() > 0 || h.calls.length === calls, 'a paced wait');
      while (h.calls.length < calls) {
        time.advance();
        await new Promise((r) => setImmediate(r));
      }
      await running;
    }
    const start = h.calls[0]?.at ?? 0;
    assert.deepEqual(h.calls.map((c) => c.at - start), [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500], 'a cycle right after another keeps the pace');
  });

  it('an answer from the verdict cache gives its qps slot back: only verifications that reach the registries are paced', async () => {
    const time = new ManualTime();
    const pods = [1, 2, 3, 4, 5].map((n) => pod('team-a', `p${n}`, [{ container: 'app', kind: 'container' as const, image: `registry.example/team/app${n}:1` }]));
    const cached = new Set(['app1', 'app3']);
    const answer = (key: string, ctx: ItemContext): ItemResult<Verdict> => ({ ...passAll(key, ctx), cacheHit: [...cached].some((c) => key.includes(`/${c}:`)) });
    const h = harness(time, { pods, config, answer });
    const audit = createAudit({ ...h.options, qps: 2, concurrency: 1 });
    const running = audit.runCycle(true);
    while (h.calls.length < 5) {
      await waitFor(() => time.pending() > 0 || h.calls.length === 5, 'a paced wait or the last call');
      if (h.calls.length < 5) time.advance();
      await new Promise((r) => setImmediate(r));
    }
    await running;
    const start = h.calls[0]?.at ?? 0;
    assert.deepEqual(
      h.calls.map((c) => `${/app\d/.exec(c.key)?.[0] ?? c.key}@${c.at - start}`),
      ['app1@0', 'app2@0', 'app3@500', 'app4@500', 'app5@1000'],
      'the misses (app2, app4, app5) are 500 ms apart; the hits (app1, app3) took no slot of their own',
    );
  });

  it('runs a full cycle at once and every interval, and a partial one settleMs after a change; close() stops it', async () => {
    const time = new ManualTime();
    const state = { pods: [pod('team-a', 'web', [{ container: 'app', kind: 'container' as const, image: 'registry.example/team/app:1.0', imageDigest: D1 }])], config, answer: passAll };
    const h = harness(time, state);
    const audit = startAudit({ ...h.options, settleMs: 1000 });
    try {
      await waitFor(() => h.reports.length === 1 && time.pending() === 1, 'the first cycle, then the wait for the interval');
      assert.equal(h.calls.length, 1);
      state.pods = [...state.pods, pod('team-b', 'web', [{ container: 'app', kind: 'container' as const, image: 'registry.example/team/web:1.0', imageDigest: D2 }])];
      audit.changed();
      await waitFor(() => time.pending() === 1, 'the settle wait');
      time.advance(1000);
      await waitFor(() => h.reports.length === 2 && time.pending() === 1, 'the cycle after the change');
      assert.equal(h.calls.length, 2, 'only the new image');
      // to the interval's end, then through the paced starts of the full cycle
      await waitFor(() => h.reports.length === 3 || (time.pending() > 0 && time.advance()), 'the cycle one interval after the first');
      assert.equal(h.calls.length, 4, 'the scheduled cycle verifies everything again');
      assert.equal(h.calls[2]?.at, Date.parse('2026-01-01T00:00:00Z') + INTERVAL, 'the schedule is kept despite the change');
    } finally {
      await audit.close();
    }
    const reports = h.reports.length;
    time.advance(INTERVAL);
    await new Promise((r) => setImmediate(r));
    assert.equal(h.reports.length, reports, 'closed: no more cycles');
  });
});
