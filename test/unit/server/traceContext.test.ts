/**
 * server/traceContext: the request's trace context is entered only while the logger writes debug lines (the lines it
 * is for), so that at info the warm path pays no promise hooks; a level changed at run time applies to the next
 * request. Seen from inside the executor's work, through traceMixin.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createApp, traceMixin } from '../../../provider/src/server/index.js';
import { makeVerdict, type ItemContext, type ItemResult, type ProviderExecutor, type Verdict } from '../../../provider/src/verify/index.js';
import type { Config } from '../../../provider/src/config/types.js';
import { inject } from './inject.js';

const CONFIG: Config = { generation: 1, digest: 'test', cluster: undefined, namespaces: new Map(), signingRules: [] };

describe('server/traceContext: entered only when debug lines are written', () => {
  const seen: (string | undefined)[] = [];
  const logger = pino({ level: 'info', mixin: traceMixin }, new Writable({ write: (_c, _e, cb) => cb() }));
  const executor: ProviderExecutor = {
    async verify(_key: string, ctx: ItemContext): Promise<ItemResult<Verdict>> {
      await Promise.resolve();
      seen.push(traceMixin().traceID); // what a registry line logged here would carry
      return { value: makeVerdict({ isSuccess: true, traceID: ctx.traceID, now: new Date('2025-11-01T00:00:00Z'), verifierReports: [] }) };
    },
    async mutate(key: string): Promise<ItemResult<string>> {
      return { value: key };
    },
    stats: () => ({ verdictCache: { hits: 0, misses: 0, entries: 0, bytes: 0 }, inFlight: 0 }),
  };
  let n = 0;
  const app = createApp({ configSource: { current: () => CONFIG, lastError: () => undefined }, executor, logger, traceId: () => `t-${++n}` });
  const ask = async (): Promise<void> => {
    const res = await inject(app, { path: '/v1/verify', body: JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys: ['registry.example/team/app:v1'] } }) });
    assert.equal(res.status, 200);
  };

  it('at info the work runs outside any trace context; at debug (changed at run time) inside its request\'s', async () => {
    await ask();
    assert.deepEqual(seen, [undefined], 'no trace context at info');
    logger.level = 'debug';
    await ask();
    assert.deepEqual(seen, [undefined, 't-2'], 'the next request after the change runs in its trace context');
    logger.level = 'info';
    await ask();
    assert.deepEqual(seen, [undefined, 't-2', undefined]);
  });
});
