/**
 * The listeners: HTTPS (TLS 1.3 only) for the external data routes, optional client-certificate verification against
 * a CA file, certificate/key (and client CA) re-read when their files change, with no restart; a development
 * certificate when none is configured; and a plain-HTTP listener for /metrics. A bad new certificate is logged and
 * the last good one keeps serving. On a loopback address the main listener may serve plain HTTP instead (`plainHttp`),
 * with the same bounds.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import { applyConnectionLimits, checkConnectionLimits, DEFAULT_CONNECTION_LIMITS, serverOptions, type ConnectionLimits } from './connectionLimits.js';
import { ServerError } from './errors.js';
import { watchFiles } from './fileWatch.js';
import { createDevCertificate, type DevCertificate } from './selfSigned.js';

type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface ServerSettings {
  /** app.callback() of the provider app. */
  readonly handler: RequestListener;
  /** host:port; port 0 picks a free one. */
  readonly address: string;
  readonly metricsHandler?: RequestListener;
  readonly metricsAddress?: string;
  /** Absent: a development certificate is generated. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Gatekeeper's CA: when set, clients must present a certificate it issued. */
  readonly clientCaFile?: string;
  readonly logger: Logger;
  /** Wall clock for the development certificate's validity. */
  readonly clock: () => Date;
  /** Extra names for the development certificate (e.g. the Service DNS name). */
  readonly devHosts?: readonly string[];
  /** Debounce of file-change reloads (default 200 ms). */
  readonly reloadDelayMs?: number;
  /** Timeouts and connection bound of both listeners (connectionLimits.ts); default DEFAULT_CONNECTION_LIMITS. */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /**
   * Plain HTTP instead of HTTPS, on a loopback address only (`loopbackAddress`), with the same bounds: for a client on
   * the same host (`signgate signer serve --insecure-listen`). Excludes `tls` and `clientCaFile`.
   */
  readonly plainHttp?: boolean;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly metricsUrl: string | undefined;
  readonly devCertificate: DevCertificate | undefined;
  /** Why the listener is not ready, or undefined. */
  notReady(): string | undefined;
  /** Re-reads the certificate, key and client CA now; throws ServerError TLS_INVALID and keeps the old ones on failure. */
  reloadTls(): Promise<void>;
  /** Requests being answered right now on the HTTPS listener. */
  inFlightRequests(): number;
  /**
   * Stops accepting connections, lets the requests in progress finish for at most `drainMs` (default 0: none), then
   * closes every connection. Resolves with the number of requests cut off by that bound.
   */
  close(options?: { readonly drainMs?: number }): Promise<number>;
}

export function parseAddress(address: string, what = 'address'): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new ServerError('SETTINGS_INVALID', `${what} "${address}" is not host:port (for example 127.0.0.1:6001, 0.0.0.0:6001 or [::1]:6001)`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** `address` as host:port when its host is a loopback address (127.0.0.0/8, ::1, localhost); else SETTINGS_INVALID. */
export function loopbackAddress(address: string, what: string): { host: string; port: number } {
  const parsed = parseAddress(address, what);
  const { host } = parsed;
  if (host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))) return parsed;
  throw new ServerError(
    'SETTINGS_INVALID',
    `${what} ${address} is not a loopback address; plain HTTP is accepted only on 127.0.0.0/8, [::1] or localhost: serve HTTPS for any other address`,
  );
}

async function loadTls(tls: ServerSettings['tls'], clientCaFile: string | undefined): Promise<SecureContextOptions> {
  const read = async (file: string, what: string): Promise<string> => {
    try {
      return await readFile(file, 'utf8');
    } catch (cause) {
      throw new ServerError('TLS_INVALID', `cannot read the ${what} ${file}: ${(cause as Error).message}`, { cause });
    }
  };
  const options: SecureContextOptions = { minVersion: 'TLSv1.3' };
  if (tls) {
    options.cert = await read(tls.certFile, 'TLS certificate');
    options.key = await read(tls.keyFile, 'TLS key');
  }
  if (clientCaFile !== undefined) {
    options.ca = await read(clientCaFile, 'client CA file');
    if (!options.ca.includes('-----BEGIN CERTIFICATE-----')) throw new ServerError('TLS_INVALID', `the client CA file ${clientCaFile} holds no PEM certificate`);
  }
  try {
    createSecureContext(options);
  } catch (cause) {
    const files = tls ? `${tls.certFile} / ${tls.keyFile}` : 'the development certificate';
    throw new ServerError('TLS_INVALID', `TLS material ${files} is unusable (${(cause as Error).message}); check that the key matches the certificate`, { cause });
  }
  return options;
}

function listen(server: http.Server | https.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** What a drain needs to know of a server, tracked from its start: responses in progress and every open socket. */
interface Tracked {
  readonly responses: Set<http.ServerResponse>;
  readonly sockets: Set<Socket>;
}

function track(server: http.Server | https.Server): Tracked {
  const tracked: Tracked = { responses: new Set(), sockets: new Set() };
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    tracked.responses.add(res);
    res.once('close', () => tracked.responses.delete(res));
  });
  // raw sockets too: one still in its TLS handshake (or silent) is no HTTP connection that closeAllConnections knows
  server.on('connection', (socket: Socket) => {
    tracked.sockets.add(socket);
    socket.once('close', () => tracked.sockets.delete(socket));
  });
  return tracked;
}

/**
 * Stops accepting at once (synchronously: a caller may log "no new connections" right after calling this); each request
 * in progress (and any that arrives on an open keep-alive connection) is answered with `Connection: close`, idle
 * connections are closed as they become idle, and after `drainMs` every connection and socket is closed. Resolves
 * with the number of responses still unfinished at that bound.
 */
function closeServer(server: http.Server | https.Server, tracked: Tracked, drainMs = 0): Promise<number> {
  return new Promise((resolve) => {
    let cutOff = 0;
    const idle = (): void => server.closeIdleConnections();
    const closing = (res: http.ServerResponse): void => {
      if (!res.headersSent) res.setHeader('connection', 'close');
      res.once('finish', () => setImmediate(idle));
    };
    const closeAll = (): void => {
      server.closeAllConnections();
      for (const socket of tracked.sockets) socket.destroy();
    };
    const timer = setTimeout(() => {
      cutOff = tracked.responses.size;
      closeAll();
    }, drainMs);
    server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => closing(res));
    server.close(() => {
      clearTimeout(timer);
      resolve(cutOff);
    });
    for (const res of tracked.responses) closing(res);
    idle();
    if (drainMs <= 0) closeAll();
  });
}

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export async function startServer(settings: ServerSettings): Promise<RunningServer> {
  const { logger } = settings;
  const { host, port } = parseAddress(settings.address);
  const limits = checkConnectionLimits({ ...DEFAULT_CONNECTION_LIMITS, ...settings.connectionLimits });
  const plain = settings.plainHttp === true;
  if (plain) {
    loopbackAddress(settings.address, 'the plain-HTTP address');
    if (settings.tls || settings.clientCaFile !== undefined) throw new ServerError('SETTINGS_INVALID', 'a plain-HTTP listener takes no TLS certificate or client CA; drop them or serve HTTPS');
  }
  const dev = settings.tls || plain ? undefined : createDevCertificate({ now: settings.clock(), ...(settings.devHosts ? { hosts: settings.devHosts } : {}) });
  const mtls = settings.clientCaFile !== undefined;
  let server: http.Server | https.Server;
  if (plain) {
    server = http.createServer(serverOptions(limits), settings.handler);
  } else {
    let context = await loadTls(settings.tls, settings.clientCaFile);
    if (dev) context = { ...context, cert: dev.certPem, key: dev.keyPem };
    server = https.createServer({ ...serverOptions(limits), ...context, requestCert: mtls, rejectUnauthorized: mtls }, settings.handler);
    server.on('tlsClientError', (err) => logger.debug({ err: err.message }, 'TLS handshake failed'));
  }
  applyConnectionLimits(server, limits);
  const tracked = track(server);
  let listening = false;
  const boundPort = await listen(server, host, port);
  listening = true;
  const url = `${plain ? 'http' : 'https'}://${urlHost(host === '0.0.0.0' ? '127.0.0.1' : host)}:${boundPort}`;

  let metricsServer: http.Server | undefined;
  let metricsTracked: Tracked | undefined;
  let metricsUrl: string | undefined;
  if (settings.metricsHandler && settings.metricsAddress) {
    const m = parseAddress(settings.metricsAddress, 'metrics address');
    metricsServer = http.createServer(serverOptions(limits), settings.metricsHandler);
    applyConnectionLimits(metricsServer, limits);
    metricsTracked = track(metricsServer);
    try {
      metricsUrl = `http://${urlHost(m.host)}:${await listen(metricsServer, m.host, m.port)}`;
    } catch (error) {
      await closeServer(server, tracked);
      throw error;
    }
  }

  async function reloadTls(): Promise<void> {
    if (!(server instanceof https.Server)) throw new ServerError('TLS_INVALID', `the listener at ${url} serves plain HTTP; it has no TLS material to reload`);
    const next = await loadTls(settings.tls, settings.clientCaFile);
    server.setSecureContext(dev ? { ...next, cert: dev.certPem, key: dev.keyPem } : next);
    logger.info({ certFile: settings.tls?.certFile, clientCaFile: settings.clientCaFile }, 'TLS material reloaded');
  }

  const files = [settings.tls?.certFile, settings.tls?.keyFile, settings.clientCaFile].filter((f): f is string => f !== undefined);
  const fileWatch = watchFiles(
    files,
    () => {
      reloadTls().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'TLS reload failed; the previous certificate keeps serving'));
    },
    { debounceMs: settings.reloadDelayMs ?? 200, onWatchError: (dir, err) => logger.warn({ err: err.message, dir }, 'cannot watch TLS folder') },
  );

  logger.info({ url, metricsUrl, mtls, devCertificate: dev !== undefined }, 'listening');
  return {
    url,
    port: boundPort,
    metricsUrl,
    devCertificate: dev,
    notReady: () => (listening && server.listening ? undefined : `the ${plain ? 'HTTP' : 'HTTPS'} listener is not accepting connections`),
    reloadTls,
    inFlightRequests: () => tracked.responses.size,
    async close(options = {}) {
      listening = false;
      fileWatch.close();
      const cutOff = await closeServer(server, tracked, options.drainMs);
      if (metricsServer) await closeServer(metricsServer, metricsTracked ?? track(metricsServer));
      return cutOff;
    },
  };
}
