import assert from 'node:assert/strict';
import http from 'node:http';
import { pino } from 'pino';
import { loopbackAddress, ServerError, startServer } from '../../../provider/src/server/index.js';

const logger = pino({ level: 'silent' });
const clock = (): Date => new Date('2026-01-01T00:00:00Z');
const handler = (_req: http.IncomingMessage, res: http.ServerResponse): void => void res.end('ok');

function settingsInvalid(message: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ServerError, String(err));
    assert.equal(err.code, 'SETTINGS_INVALID');
    assert.match(err.message, message);
    return true;
  };
}

describe('server/listen: plain HTTP on loopback only (signgate signer serve --insecure-listen)', () => {
  it('accepts loopback addresses and refuses every other one, naming the flag and the way out', () => {
    for (const address of ['127.0.0.1:0', '127.8.9.10:80', '[::1]:6080', 'localhost:6080']) assert.doesNotThrow(() => loopbackAddress(address, '--insecure-listen'), address);
    for (const address of ['0.0.0.0:8080', '10.0.0.1:80', '[::]:80', 'example.com:80', ':8080']) {
      assert.throws(() => loopbackAddress(address, '--insecure-listen'), settingsInvalid(new RegExp(`^--insecure-listen ${address.replace(/[[\].]/g, '\\$&')} is not a loopback address; plain HTTP is accepted only on 127\\.0\\.0\\.0/8, \\[::1\\] or localhost: serve HTTPS`)));
    }
  });

  it('startServer with plainHttp refuses a non-loopback address and TLS files, before it listens', async () => {
    await assert.rejects(startServer({ handler, address: '0.0.0.0:0', plainHttp: true, logger, clock }), settingsInvalid(/the plain-HTTP address 0\.0\.0\.0:0 is not a loopback address/));
    await assert.rejects(
      startServer({ handler, address: '127.0.0.1:0', plainHttp: true, tls: { certFile: 'c.pem', keyFile: 'k.pem' }, logger, clock }),
      settingsInvalid(/a plain-HTTP listener takes no TLS certificate or client CA/),
    );
  });

  it('serves plain HTTP (a listener option accepted), has no TLS to reload, and closes', async () => {
    const server = await startServer({ handler, address: '127.0.0.1:0', plainHttp: true, logger, clock, connectionLimits: { maxConnections: 7 } });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(server.devCertificate, undefined);
      assert.equal(server.notReady(), undefined);
      assert.equal(await (await fetch(`${server.url}/healthz`)).text(), 'ok');
      await assert.rejects(server.reloadTls(), (err: unknown) => err instanceof ServerError && err.code === 'TLS_INVALID' && /serves plain HTTP; it has no TLS material to reload/.test(err.message));
    } finally {
      await server.close();
    }
    assert.equal(server.notReady(), 'the HTTP listener is not accepting connections');
  });
});
