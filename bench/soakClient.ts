/**
 * The soak's HTTPS client, shaped after the one that calls signgate in production: Gatekeeper's external data client
 * (open-policy-agent/frameworks, `externaldata.ClientCache`: a Go net/http Transport with `IdleConnTimeout: 90s`,
 * `MaxIdleConnsPerHost: 10`, requests sent as POST). Like Go, it keeps an idle connection for 90 s whatever the
 * server's `Keep-Alive: timeout=` header says (Go never reads it; Node's own agent would shorten its idle time to the
 * hint minus 1 s, and only when it has a `timeout` of its own), so the soak sees what Gatekeeper sees when the server
 * closes idle connections before its client does. Also: errors sorted by kind for the per-minute lines.
 */
import https from 'node:https';
import type { Socket } from 'node:net';

/** Go's net/http Transport as Gatekeeper configures it for external data providers. */
export const GATEKEEPER_IDLE_CONN_TIMEOUT_MS = 90_000;
export const GATEKEEPER_MAX_IDLE_CONNS_PER_HOST = 10;

/** Connections open at once (Gatekeeper has no such bound; its webhook concurrency is one). */
const MAX_SOCKETS = 64;

class GatekeeperLikeAgent extends https.Agent {
  constructor() {
    super({ keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: GATEKEEPER_MAX_IDLE_CONNS_PER_HOST });
  }

  /** An idle connection stays for IdleConnTimeout, ignoring the server's Keep-Alive hint (Agent's documented override point). */
  override keepSocketAlive(socket: Socket): boolean {
    socket.setKeepAlive(true, 1000);
    socket.unref();
    socket.setTimeout(GATEKEEPER_IDLE_CONN_TIMEOUT_MS);
    return true;
  }
}

export function gatekeeperLikeAgent(): https.Agent {
  return new GatekeeperLikeAgent();
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** POSTs a ProviderRequest of `keys` to `url` over `agent`, trusting `ca`. */
export function postKeys(agent: https.Agent, url: URL, ca: string, keys: readonly string[]): Promise<Answer> {
  const body = JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } });
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = https.request({ hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, ca, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', (error) => reject(Object.assign(error, { reusedConnection: req.reusedSocket })));
    req.end(body);
  });
}

/**
 * What went wrong with one request, as a short kind: `ECONNRESET (reused connection)` and the like for connection
 * failures (a reused connection that the server had closed is the keep-alive race), `status 503`, `item error`,
 * `not a pass`, `push`. Each minute line counts errors by these kinds.
 */
export function connectionErrorKind(error: unknown): string {
  const e = error as (NodeJS.ErrnoException & { reusedConnection?: boolean }) | undefined;
  const what = typeof e?.code === 'string' ? e.code : (e?.message ?? String(error)).slice(0, 40);
  return `${what}${e?.reusedConnection === true ? ' (reused connection)' : ''}`;
}
