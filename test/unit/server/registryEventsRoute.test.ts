/** POST /v1/registry-events on the provider's app: absent without --events-token-file, the shared route with it. */
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createApp } from '../../../provider/src/server/index.js';
import { EventError, type ParsedNotification, type TokenCheck } from '../../../provider/src/events/index.js';
import type { ProviderExecutor } from '../../../provider/src/verify/index.js';
import { inject } from './inject.js';

const executor: ProviderExecutor = {
  verify: () => Promise.reject(new Error('not called')),
  mutate: () => Promise.reject(new Error('not called')),
  stats: () => ({ verdictCache: { hits: 0, misses: 0, entries: 0, bytes: 0 }, inFlight: 0 }),
};
const configSource = { current: () => undefined, lastError: () => undefined };
const tokens: TokenCheck = {
  check: (header) => (header === 'Bearer right-token-0123456789' ? Promise.resolve() : Promise.reject(new EventError('EVENT_UNAUTHENTICATED', 'wrong token'))),
};
const ENVELOPE = JSON.stringify({
  events: [{ id: 'e1', action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, repository: 'team/app', tag: 'v1', url: 'http://r.example.com/v2/team/app/manifests/v1' } }],
});
const headers = (authorization: string) => ({ authorization, 'content-type': 'application/vnd.docker.distribution.events.v1+json' });

describe('server/app: the registry events route', () => {
  it('does not exist without --events-token-file (404)', async () => {
    const app = createApp({ configSource, executor, logger: pino({ level: 'silent' }) });
    const answer = await inject(app, { path: '/v1/registry-events', body: ENVELOPE, headers: headers('Bearer right-token-0123456789') });
    assert.equal(answer.status, 404);
  });

  it('with it: checks the token first, hands the parsed notification and the request trace id to accept, and answers 202', async () => {
    const accepted: [ParsedNotification, string][] = [];
    const counted: string[] = [];
    const app = createApp({
      configSource,
      executor,
      logger: pino({ level: 'silent' }),
      traceId: () => 'trace-7',
      registryEvents: { tokens, count: (o) => counted.push(o), accept: (parsed, traceID) => (accepted.push([parsed, traceID]), { dropped: 3 }) },
    });
    const refused = await inject(app, { path: '/v1/registry-events', body: ENVELOPE, headers: headers('Bearer wrong') });
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.json(), { error: { code: 'EVENT_UNAUTHENTICATED', message: 'wrong token' } });
    assert.equal(accepted.length, 0, 'a refused notification reaches no consumer');
    const ok = await inject(app, { path: '/v1/registry-events', body: ENVELOPE, headers: headers('Bearer right-token-0123456789') });
    assert.equal(ok.status, 202);
    assert.deepEqual(ok.json(), { dropped: 3 });
    assert.equal(accepted[0]?.[1], 'trace-7');
    assert.deepEqual(accepted[0]?.[0].pushes.map((p) => `${p.registry}/${p.repository}:${p.tag ?? ''}`), ['r.example.com/team/app:v1']);
    assert.deepEqual(counted, ['EVENT_UNAUTHENTICATED', 'accepted']);
  });
});
