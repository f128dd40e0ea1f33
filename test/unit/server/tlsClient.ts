/** A one-shot HTTPS client for the listener tests: no connection reuse, so every call sees the current certificate. */
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface TlsAnswer {
  readonly status: number;
  readonly body: string;
  readonly protocol: string | null;
  readonly fingerprint: string;
}

export function httpsCall(
  url: string,
  options: { path?: string; method?: string; body?: string; ca?: string; cert?: string; key?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3'; servername?: string } = {},
): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const u = new URL(options.path ?? '/healthz', url);
    const req = https.request(
      {
        hostname: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port,
        path: u.pathname,
        method: options.method ?? 'GET',
        agent: false,
        headers: options.body !== undefined ? { 'content-type': 'application/json' } : {},
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        ...(options.cert !== undefined ? { cert: options.cert, key: options.key } : {}),
        ...(options.maxVersion !== undefined ? { maxVersion: options.maxVersion } : {}),
        ...(options.servername !== undefined ? { servername: options.servername } : {}),
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const protocol = socket.getProtocol();
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), protocol, fingerprint }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
