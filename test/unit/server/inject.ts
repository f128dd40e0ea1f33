/** Drives a koa app through app.callback() in process, with no port: a synthetic IncomingMessage and a captured ServerResponse. */
import http from 'node:http';
import { PassThrough } from 'node:stream';
import type { Socket } from 'node:net';
import type Koa from 'koa';

export interface Injected {
  readonly status: number;
  readonly headers: http.OutgoingHttpHeaders;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

export function inject(app: Koa<never> | Koa, request: { method?: string; path: string; body?: string | Buffer; headers?: Record<string, string> }): Promise<Injected> {
  const socket = new PassThrough() as unknown as Socket;
  const req = new http.IncomingMessage(socket);
  req.method = request.method ?? 'POST';
  req.url = request.path;
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  req.headers = { host: 'provider.test', 'content-type': 'application/json', ...(body ? { 'content-length': String(body.byteLength) } : {}), ...request.headers };
  const res = new http.ServerResponse(req);
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    const push = (c: unknown): void => {
      if (typeof c === 'string' || c instanceof Uint8Array) chunks.push(Buffer.from(c));
    };
    res.write = ((c: unknown) => {
      push(c);
      return true;
    }) as typeof res.write;
    res.end = ((c?: unknown) => {
      push(c);
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: res.statusCode, headers: res.getHeaders(), text, json: <T>() => JSON.parse(text) as T });
      return res;
    }) as typeof res.end;
    void (app as Koa).callback()(req, res);
    if (body !== undefined) req.push(body);
    req.push(null);
  });
}
