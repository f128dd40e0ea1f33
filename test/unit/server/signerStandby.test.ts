import assert from 'node:assert/strict';
import { pino } from 'pino';
import { EventError } from '../../../provider/src/events/index.js';
import { createSignerApp, SignerMetrics } from '../../../provider/src/server/index.js';
import { fileBaselineStore, SigningService } from '../../../provider/src/signing/index.js';
import { inject } from './inject.js';

describe('signer app: a standby of the Lease', () => {
  function app(standby: () => string | undefined): ReturnType<typeof createSignerApp> {
    const service = new SigningService({
      rules: [],
      registryFor: () => assert.fail('no registry is used'),
      keyFor: () => assert.fail('no key is used'),
      baselines: fileBaselineStore('/nonexistent'),
      clock: () => new Date(0),
      sleep: async () => {},
      log: () => {},
    });
    const tokens = {
      check: async (authorization: string | undefined): Promise<void> => {
        if (authorization !== 'Bearer right-token-0123456789') throw new EventError('EVENT_UNAUTHENTICATED', 'wrong token');
      },
    };
    return createSignerApp({ service, tokens, logger: pino({ level: 'silent' }), metrics: new SignerMetrics(), standby });
  }
  const event = { path: '/v1/registry-events', headers: { authorization: 'Bearer right-token-0123456789', 'content-type': 'application/vnd.docker.distribution.events.v1+json' }, body: JSON.stringify({ events: [] }) };

  it('answers events 503 NOT_LEADER with Retry-After, naming the leader situation; probes stay 200', async () => {
    const standby = app(() => 'the Lease signgate-system/signgate-signer is held by signer-0');
    const res = await inject(standby, event);
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '5');
    const body = res.json<{ error: { code: string; message: string } }>();
    assert.equal(body.error.code, 'NOT_LEADER');
    assert.match(body.error.message, /this signer is a standby \(the Lease signgate-system\/signgate-signer is held by signer-0\); send the event to the leader/);
    assert.equal((await inject(standby, { method: 'GET', path: '/healthz' })).status, 200);
    assert.equal((await inject(standby, { method: 'GET', path: '/readyz' })).status, 200);
  });

  it('the leader takes the same event', async () => {
    const res = await inject(app(() => undefined), event);
    assert.equal(res.status, 202);
  });
});
