/**
 * The decision log through createApp with a fake executor: one line per key on both routes, its level and fields per
 * outcome, never a stack, and the trace id on lines logged by anything the request's work calls (traceMixin).
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp, traceMixin } from '../../../provider/src/server/index.js';
import { makeVerdict, type ItemContext, type ItemResult, type ProviderExecutor, type Verdict, type VerifierReport } from '../../../provider/src/verify/index.js';
import type { Config } from '../../../provider/src/config/types.js';
import { inject } from './inject.js';

const CONFIG: Config = { generation: 3, digest: 'test', cluster: undefined, namespaces: new Map(), signingRules: [] };
const DIGEST = `sha256:${'b'.repeat(64)}`;

function report(ok: boolean): VerifierReport {
  return {
    subject: `registry.example/team/app@${DIGEST}`,
    isSuccess: ok,
    name: 'corp-notation',
    verifierName: 'corp-notation',
    type: 'notation',
    verifierType: 'notation',
    referenceDigest: `sha256:${'c'.repeat(64)}`,
    artifactType: 'application/vnd.cncf.notary.signature',
    message: ok ? 'signature verified' : 'the signing certificate is not trusted by trust store ca:corp',
    errorReason: ok ? '' : 'UNTRUSTED_SIGNER',
    remediation: '',
    extensions: {},
  };
}

class Lines extends Writable {
  readonly all: (Record<string, unknown> & { level: number; msg: string })[] = [];
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    for (const l of chunk.toString().split('\n')) if (l !== '') this.all.push(JSON.parse(l) as Lines['all'][number]);
    cb();
  }
}

describe('server/decisionLog: one line per key', function () {
  const lines = new Lines();
  const logger = pino({ level: 'debug', mixin: traceMixin }, lines);
  const executor: ProviderExecutor = {
    async verify(key: string, ctx: ItemContext): Promise<ItemResult<Verdict>> {
      logger.debug({ key }, 'deep inside the work'); // what a registry or config line below the server looks like
      if (key.includes('slow')) await new Promise((r) => setTimeout(r, 1000));
      if (key.includes('down')) return { error: 'could not verify "registry.example/team/down:1": GET … ECONNREFUSED', code: 'REGISTRY_UNREACHABLE', subject: 'registry.example/team/down:1' };
      if (key.includes('boom')) throw new Error('unexpected');
      const ok = !key.includes('untrusted');
      return { value: makeVerdict({ isSuccess: ok, traceID: ctx.traceID, now: new Date('2025-11-01T00:00:00Z'), verifierReports: [report(ok)] }), cacheHit: key.includes('cached') };
    },
    async mutate(key: string): Promise<ItemResult<string>> {
      return { value: `${key}@${DIGEST}` };
    },
    stats: () => ({ verdictCache: { hits: 0, misses: 0, entries: 0, bytes: 0 }, inFlight: 0 }),
  };
  let n = 0;
  const app = createApp({ configSource: { current: () => CONFIG, lastError: () => undefined }, executor, logger, deadlines: { verifyMs: 200, mutateMs: 200 }, traceId: () => `t-${++n}` });
  const body = (keys: string[]): string => JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } });
  const decision = (traceID: string, key: string): Lines['all'][number] | undefined => lines.all.find((l) => l.traceID === traceID && l.key === key && 'outcome' in l);

  it('verify: pass and fail at info with subject, verifier, reason, cache; error, timeout and a thrown error at warn without a stack', async function () {
    const keys = ['registry.example/team/app:1', 'registry.example/team/untrusted:1', 'registry.example/team/cached:1', 'registry.example/team/down:1', 'registry.example/team/slow:1', 'registry.example/team/boom:1'];
    const res = await inject(app, { path: '/ratify/gatekeeper/v1/verify', body: body(keys) });
    const trace = String(res.headers['x-trace-id']);
    const [pass, fail, cached, down, slow, boom] = keys.map((k) => decision(trace, k));
    assert.deepEqual(
      [pass?.level, pass?.outcome, pass?.subject, pass?.verifier, pass?.reason, pass?.cache, pass?.msg, pass?.route],
      [30, 'pass', `registry.example/team/app@${DIGEST}`, 'corp-notation', undefined, 'miss', 'signature verified', 'verify'],
    );
    assert.deepEqual([fail?.level, fail?.outcome, fail?.reason, fail?.msg], [30, 'fail', 'UNTRUSTED_SIGNER', 'the signing certificate is not trusted by trust store ca:corp']);
    assert.equal(cached?.cache, 'hit');
    assert.deepEqual([down?.level, down?.outcome, down?.reason, down?.subject], [40, 'error', 'REGISTRY_UNREACHABLE', 'registry.example/team/down:1']);
    assert.deepEqual([slow?.level, slow?.outcome, slow?.reason, slow?.msg, slow?.ms], [40, 'timeout', 'DEADLINE_EXCEEDED', 'timed out after 200ms', 200]);
    assert.deepEqual([boom?.level, boom?.outcome, boom?.reason], [40, 'error', 'INTERNAL']);
    assert.match(String(boom?.msg), /internal error; see the server log \(trace id t-\d+\)/);
    for (const l of [pass, fail, down, slow, boom]) assert.equal(JSON.stringify(l).includes('"stack"'), false);
    const failed = lines.all.filter((l) => l.traceID === trace && l.msg.startsWith('executor failed'));
    assert.deepEqual(failed.map((l) => [l.level, l.msg, JSON.stringify(l).includes('"stack"')]), [[50, 'executor failed', false], [20, 'executor failed: stack', true]]);
    assert.equal(failed[0]?.error, 'Error: unexpected');
    assert.equal(typeof pass?.ms, 'number');
    // a line logged inside the request's work carries the trace id without being handed it
    assert.equal(lines.all.filter((l) => l.msg === 'deep inside the work' && l.traceID === trace).length, keys.length);
    const summary = lines.all.find((l) => l.traceID === trace && l.msg === 'verify answered');
    assert.deepEqual([summary?.pass, summary?.fail, summary?.error, summary?.timeout, summary?.keys], [2, 1, 2, 1, 6]);
  });

  it('mutate: the resolved reference is the subject; no verifier or cache field', async function () {
    const res = await inject(app, { path: '/v1/mutate', body: body(['registry.example/team/app:1']) });
    const line = decision(String(res.headers['x-trace-id']), 'registry.example/team/app:1');
    assert.deepEqual([line?.level, line?.route, line?.outcome, line?.subject, line?.msg], [30, 'mutate', 'pass', `registry.example/team/app:1@${DIGEST}`, `resolved to registry.example/team/app:1@${DIGEST}`]);
    assert.equal('verifier' in (line ?? {}), false);
    assert.equal('cache' in (line ?? {}), false);
  });

  it('nothing outside a request carries a trace id', function () {
    logger.info('outside');
    assert.equal(lines.all.find((l) => l.msg === 'outside')?.traceID, undefined);
  });
});
