/**
 * A fault-injecting HTTP proxy in front of a real server (docker-registry, or a token server), for the registry fault
 * matrix (test/integration/registry-faults.test.ts). Every request is offered to `fault(request)`; `undefined`
 * forwards it unchanged, a Fault answers it badly:
 *
 * - `refuse`       accept the connection, then close it without an answer
 * - `hang`         never answer (held until `releaseAll()` or `stop()`, which drop the connection)
 * - `status`       answer `status` with optional headers and body, without asking upstream
 * - `redirect`     answer a redirect to `location`
 * - `endless`      200 with a body that never ends (written with back-pressure, so the proxy holds no memory)
 * - `answer`       200 (or `status`) with the given body and headers instead of upstream's
 * - `upstream`     ask upstream (for `path` instead of the request's, when given) and then spoil its answer:
 *                  `trickle` (one byte every `everyMs`), `resetMidBody` (half the body, then the connection drops),
 *                  `corrupt` (one byte flipped, same length), `contentLength` (a lying number or `absent`)
 *
 * Faults act on whole answers, so the matrix can name each one; `once(match, fault)` applies a fault to the first
 * matching request only. `seen` lists every request (method and path), for assertions on what the client did.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, e.g. `/v2/app/manifests/v1`. */
  readonly path: string;
}

export type Fault =
  | { readonly kind: 'refuse' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'status'; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  | { readonly kind: 'redirect'; readonly location: string; readonly status?: 301 | 302 | 303 | 307 | 308 }
  | { readonly kind: 'endless'; readonly headers?: Readonly<Record<string, string>> }
  | { readonly kind: 'answer'; readonly status?: number; readonly headers: Readonly<Record<string, string>>; readonly body: Uint8Array }
  | {
      readonly kind: 'upstream';
      readonly path?: string;
      readonly trickle?: { readonly everyMs: number };
      readonly resetMidBody?: boolean;
      readonly corrupt?: boolean;
      readonly contentLength?: number | 'absent';
    };

export type FaultRule = (request: ProxiedRequest) => Fault | undefined;

/** `fault` for the first request that `match` accepts, nothing afterwards. */
export function once(match: (request: ProxiedRequest) => boolean, fault: Fault): FaultRule {
  let used = false;
  return (request) => {
    if (used || !match(request)) return undefined;
    used = true;
    return fault;
  };
}

/** Upstream's answer, read whole (these are small registry and token answers). */
interface Upstream {
  readonly status: number;
  readonly headers: http.OutgoingHttpHeaders;
  readonly body: Buffer;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);
const ENDLESS_CHUNK = Buffer.alloc(64 * 1024, 0x7b); // '{' repeated: never valid JSON, never a match for a digest

export class FaultProxy {
  fault: FaultRule | undefined;
  readonly seen: ProxiedRequest[] = [];
  host = '';
  origin = '';
  private server: http.Server | undefined;
  private readonly held = new Set<http.ServerResponse>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** `target`: host:port of the plain-HTTP server to forward to. */
  constructor(private readonly target: string) {}

  /** Listens on a free port of `address` (127.0.0.2 gives a second origin on the same machine). */
  async start(address = '127.0.0.1'): Promise<this> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, address, resolve));
    this.server = server;
    this.host = `${address}:${(server.address() as AddressInfo).port}`;
    this.origin = `http://${this.host}`;
    return this;
  }

  /** Drops every held or trickling answer and forgets the fault. */
  releaseAll(): void {
    this.fault = undefined;
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  async stop(): Promise<void> {
    this.releaseAll();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const request: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/' };
    this.seen.push(request);
    const fault = this.fault?.(request);
    req.on('error', () => res.destroy());
    res.on('error', () => undefined);
    if (fault === undefined) return this.forward(req, res);
    switch (fault.kind) {
      case 'refuse':
        return void req.socket.destroy();
      case 'hang':
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
        return;
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        return void res.end(fault.body ?? '');
      case 'redirect':
        res.writeHead(fault.status ?? 307, { location: fault.location, 'content-length': '0' });
        return void res.end();
      case 'answer':
        res.writeHead(fault.status ?? 200, { ...fault.headers, 'content-length': String(fault.body.byteLength) });
        return void res.end(fault.body);
      case 'endless':
        if (req.method === 'HEAD') return void res.writeHead(200, { ...fault.headers }).end();
        return this.endless(res, fault.headers ?? {});
      case 'upstream':
        return this.spoil(req, res, fault);
    }
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const [hostname, port] = this.target.split(':');
    const upstream = http.request({ hostname, port: Number(port), method: req.method, path: req.url, headers: { ...req.headers, host: this.target } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }

  private ask(req: http.IncomingMessage, path: string): Promise<Upstream> {
    const [hostname, port] = this.target.split(':');
    return new Promise((resolve, reject) => {
      const upstream = http.request({ hostname, port: Number(port), method: req.method, path, headers: { ...req.headers, host: this.target } }, (up) => {
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => resolve({ status: up.statusCode ?? 502, headers: up.headers, body: Buffer.concat(chunks) }));
        up.on('error', reject);
      });
      upstream.on('error', reject);
      req.pipe(upstream);
    });
  }

  private async spoil(req: http.IncomingMessage, res: http.ServerResponse, fault: Extract<Fault, { kind: 'upstream' }>): Promise<void> {
    let up: Upstream;
    try {
      up = await this.ask(req, fault.path ?? req.url ?? '/');
    } catch {
      return void res.destroy();
    }
    const body = Buffer.from(up.body);
    if (fault.corrupt && body.length > 0) {
      const i = Math.floor(body.length / 2);
      body[i] = (body[i] ?? 0) ^ 0x01;
    }
    const headers: http.OutgoingHttpHeaders = Object.fromEntries(Object.entries(up.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
    if (fault.contentLength !== 'absent') headers['content-length'] = String(fault.contentLength ?? body.length);
    res.writeHead(up.status, headers);
    if (req.method === 'HEAD') return void res.end();
    if (fault.resetMidBody) {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    if (fault.trickle !== undefined) return this.trickle(res, body, fault.trickle.everyMs);
    if (typeof fault.contentLength === 'number' && fault.contentLength > body.length) {
      // announced more than there is: send what there is, then drop the connection (as a dying server does)
      res.write(body, () => res.destroy());
      return;
    }
    res.end(body);
  }

  private trickle(res: http.ServerResponse, body: Buffer, everyMs: number): void {
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed || sent >= body.length) {
        clearInterval(timer);
        this.timers.delete(timer);
        if (!res.destroyed) res.end();
        return;
      }
      res.write(body.subarray(sent, sent + 1));
      sent++;
    }, everyMs);
    this.timers.add(timer);
    this.held.add(res);
    res.on('close', () => {
      clearInterval(timer);
      this.timers.delete(timer);
      this.held.delete(res);
    });
  }

  private endless(res: http.ServerResponse, headers: Readonly<Record<string, string>>): void {
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...headers });
    this.held.add(res);
    res.on('close', () => this.held.delete(res));
    const pump = (): void => {
      while (!res.destroyed && res.write(ENDLESS_CHUNK));
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  }
}
