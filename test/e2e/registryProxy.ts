/**
 * A tiny HTTP proxy in front of the real docker-registry for fault injection in e2e tests: requests whose path
 * matches `slow` are delayed, and `outage` drops every connection. Everything else is forwarded unchanged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class RegistryProxy {
  slow: RegExp | undefined;
  slowMs = 1000;
  outage = false;
  host = '';
  private server: http.Server | undefined;

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.forward(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.outage) return void req.socket.destroy();
    if (this.slow?.test(req.url ?? '')) await new Promise((r) => setTimeout(r, this.slowMs));
    const [hostname, port] = this.target.split(':');
    const upstream = http.request({ hostname, port: Number(port), method: req.method, path: req.url, headers: { ...req.headers, host: this.target } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}
