/**
 * server/listen close({drainMs}): stop accepting at once, let requests in progress finish, close the rest at the bound
 * (including sockets that never became HTTP connections), and say how many requests were cut off.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { pino } from 'pino';
import { startServer, type RunningServer } from '../../../provider/src/server/index.js';

const logger = pino({ level: 'silent' });
const wallClock = (): Date => new Date(Date.now());

function request(server: RunningServer, path: string): Promise<{ status: number; body: string; connection: string | undefined }> {
  const u = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    https
      .get({ hostname: u.hostname, port: u.port, path: u.pathname, ca: server.devCertificate?.caPem, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      })
      .on('error', reject);
  });
}

function connect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('server/listen: draining on close', function () {
  let release: (() => void) | undefined;
  let arrived: (() => void) | undefined;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (req.url === '/slow') {
      arrived?.();
      release = () => res.end('slow done');
    } else if (req.url === '/never') {
      arrived?.();
    } else res.end('ok');
  };
  const start = (): Promise<RunningServer> => startServer({ handler, address: '127.0.0.1:0', logger, clock: wallClock });

  it('stops accepting at once, finishes the request in progress (Connection: close), and resolves 0 cut off', async function () {
    const server = await start();
    const came = new Promise<void>((r) => (arrived = r));
    const slow = request(server, '/slow');
    await came;
    assert.equal(server.inFlightRequests(), 1);
    const closed = server.close({ drainMs: 30_000 });
    assert.equal(await connect(server.port), 'ECONNREFUSED');
    release?.();
    assert.deepEqual(await slow, { status: 200, body: 'slow done', connection: 'close' });
    assert.equal(await closed, 0);
  });

  it('at the bound, closes what is still open — a request that never ends and a socket that never spoke — and counts the request', async function () {
    const server = await start();
    const silent = net.connect(server.port, '127.0.0.1');
    await new Promise((r) => silent.once('connect', r));
    const silentClosed = new Promise((r) => silent.once('close', r));
    const came = new Promise<void>((r) => (arrived = r));
    const never = request(server, '/never').catch((e: NodeJS.ErrnoException) => e.code);
    await came;
    assert.equal(await server.close({ drainMs: 100 }), 1);
    assert.equal(await never, 'ECONNRESET');
    await silentClosed;
  });
});
