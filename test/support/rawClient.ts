/**
 * A raw connection to a server under abuse tests: what it received, whether and in which order the server closed it,
 * and a slow client that sends its request one byte every 50 ms (its own pace, not a wait of the test).
 */
import type net from 'node:net';

export interface RawClient {
  readonly socket: net.Socket;
  received: string;
  closed: boolean;
  /** Order in which the server closed the tracked clients (across the process). */
  closedAt?: number;
}

let closeOrder = 0;

/** Records what `socket` receives and when the server closes it; `trickle` is stopped then. */
export function track(socket: net.Socket, trickle?: NodeJS.Timeout): RawClient {
  const client: RawClient = { socket, received: '', closed: false };
  socket.on('data', (d: Buffer) => (client.received += d.toString('latin1')));
  socket.on('error', () => undefined); // a reset after the answer is the server closing: recorded by 'close'
  socket.on('close', () => {
    clearInterval(trickle);
    client.closed = true;
    client.closedAt = ++closeOrder;
  });
  return client;
}

/** Sends `head` at once on a connected `socket`, then one byte of `drip` every 50 ms until the server closes it. */
export function trickle(socket: net.Socket, head: string, drip: string): RawClient {
  socket.write(head);
  let i = 0;
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(drip[i++ % drip.length] ?? ' ');
  }, 50);
  return track(socket, timer);
}
