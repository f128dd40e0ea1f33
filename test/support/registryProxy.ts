/**
 * A tiny HTTP proxy in front of the real docker-registry, for tests that count or disturb registry traffic: requests
 * whose path matches `hold` wait until `release()` (the test, not a timer, decides how long the registry is slow),
 * and `outage` drops every connection. Everything else is forwarded unchanged (the Host header too, so the upload
 * locations the registry answers point back at the proxy), and recorded in `forwarded`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class RegistryProxy {
  hold: RegExp | undefined;
  outage = false;
  /** `METHOD path` of every request forwarded, in order. */
  readonly forwarded: string[] = [];
  private held: Array<() => void> = [];
  host = '';
  private server: http.Server | undefined;

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.forward(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Number of requests held right now. */
  heldCount(): number {
    return this.held.length;
  }

  /** Stops holding and lets every held request through. */
  release(): void {
    this.hold = undefined;
    for (const resolve of this.held.splice(0)) resolve();
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.outage) return void req.socket.destroy();
    if (this.hold?.test(req.url ?? '')) await new Promise<void>((resolve) => this.held.push(resolve));
    this.forwarded.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const [hostname, port] = this.target.split(':');
    const upstream = http.request({ hostname, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
