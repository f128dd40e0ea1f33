/**
 * PROTOCOL-LEVEL TEST SERVER — not a real registry. It implements, in memory over node:http, the parts of the OCI
 * distribution spec v1.1 the client uses: manifests (HEAD/GET/PUT), blobs (HEAD/GET, monolithic POST+PUT upload),
 * the referrers API (`GET /v2/<name>/referrers/<digest>` with `artifactType` filter, `OCI-Filters-Applied` and `Link`
 * pagination) and `OCI-Subject` on manifest PUT; optional Basic or Bearer-token auth (token endpoint `/token`). No real
 * OCI 1.1 registry is available in the test environment, so the referrers-API path is tested against this. It also
 * injects faults (wrong digest, oversized or endless body, slow drip, 429/5xx, connection reset, 401) per request.
 */
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly headers?: Record<string, string>; readonly body?: string }
  | { readonly kind: 'wrong-digest' }
  /** `bytes` of filler; Content-Length as given (a lie when smaller), or chunked without one. */
  | { readonly kind: 'oversized'; readonly bytes: number; readonly contentLength?: number }
  | { readonly kind: 'slow'; readonly delayMs: number }
  | { readonly kind: 'reset' };

export interface ServerRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly authorization?: string;
}

export interface OciServerOptions {
  /** Serve the OCI 1.1 referrers API (default true). */
  readonly referrersApi?: boolean;
  /** Referrers per page (default 1000). */
  readonly pageSize?: number;
  /** Apply the artifactType filter server-side (default true). */
  readonly filterArtifactType?: boolean;
  readonly auth?: { readonly kind: 'basic' | 'bearer'; readonly username?: string; readonly password?: string; readonly tokenSeconds?: number };
}

interface Stored {
  readonly bytes: Buffer;
  readonly mediaType: string;
}

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class OciTestServer {
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, Stored>();
  readonly tags = new Map<string, string>();
  readonly requests: ServerRequest[] = [];
  readonly tokens = new Map<string, string>();
  tokenRequests = 0;
  fault: ((req: ServerRequest) => Fault | undefined) | undefined;
  private server: http.Server | undefined;
  private uploads = new Set<string>();
  origin = '';
  host = '';

  constructor(readonly options: OciServerOptions = {}) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.host = `127.0.0.1:${port}`;
    this.origin = `http://${this.host}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Stores a manifest directly (tag optional); returns its descriptor. */
  putManifest(repo: string, value: unknown, mediaType: string, tag?: string): { mediaType: string; digest: string; size: number } {
    const bytes = Buffer.from(JSON.stringify(value));
    const digest = sha256(bytes);
    this.manifests.set(`${repo}@${digest}`, { bytes, mediaType });
    if (tag !== undefined) this.tags.set(`${repo}:${tag}`, digest);
    return { mediaType, digest, size: bytes.byteLength };
  }

  putBlob(content: string | Uint8Array, mediaType: string): { mediaType: string; digest: string; size: number } {
    const bytes = Buffer.from(content);
    const digest = sha256(bytes);
    this.blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.byteLength };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const request: ServerRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) };
    this.requests.push(request);
    const fault = this.fault?.(request);
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, fault.headers ?? {});
      return void res.end(fault.body ?? '');
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    if (url.pathname === '/token') return this.token(request, res);
    if (!this.authorized(request, res)) return;
    const send = (status: number, headers: Record<string, string>, payload?: Buffer): void => {
      if (payload !== undefined && fault?.kind === 'wrong-digest') payload = Buffer.from(payload.toString('latin1').replace(/.$/, (c) => (c === 'x' ? 'y' : 'x')), 'latin1');
      if (payload !== undefined && fault?.kind === 'oversized') {
        // without contentLength the body is chunked: an endless stream with no announced size
        res.writeHead(status, fault.contentLength !== undefined ? { ...headers, 'content-length': String(fault.contentLength) } : headers);
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        const pump = (): void => {
          while (sent < fault.bytes && !res.destroyed) {
            sent += chunk.byteLength;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('error', () => undefined);
        return pump();
      }
      res.writeHead(status, payload !== undefined ? { ...headers, 'content-length': String(payload.byteLength) } : headers);
      res.end(req.method === 'HEAD' ? undefined : payload);
    };
    this.route(request, body, send, req.headers['content-type'] ?? '');
  }

  private route(r: ServerRequest, body: Buffer, send: (s: number, h: Record<string, string>, p?: Buffer) => void, contentType: string): void {
    const notFound = (code: string) => send(404, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ errors: [{ code, message: `${code.toLowerCase()}` }] })));
    if (r.path === '/v2/' || r.path === '/v2') return send(200, {}, Buffer.from('{}'));
    let m = /^\/v2\/(.+?)\/blobs\/uploads\/([^/]*)$/.exec(r.path);
    if (m) {
      const [, repo, id] = m;
      if (r.method === 'POST') {
        const uuid = randomUUID();
        this.uploads.add(uuid);
        return send(202, { location: `/v2/${repo}/blobs/uploads/${uuid}?_state=opaque` }, Buffer.alloc(0));
      }
      if (r.method === 'PUT' && id !== undefined && this.uploads.delete(id)) {
        const digest = r.query.get('digest') ?? '';
        if (sha256(body) !== digest) return send(400, {}, Buffer.from('{"errors":[{"code":"DIGEST_INVALID","message":"digest"}]}'));
        this.blobs.set(digest, body);
        return send(201, { 'docker-content-digest': digest, location: `/v2/${repo}/blobs/${digest}` }, Buffer.alloc(0));
      }
      return notFound('BLOB_UPLOAD_UNKNOWN');
    }
    m = /^\/v2\/(.+?)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(r.path);
    if (!m) return notFound('NAME_UNKNOWN');
    const [, repo, kind, ref] = m as unknown as [string, string, string, string];
    if (kind === 'blobs') {
      const blob = this.blobs.get(ref);
      return blob ? send(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': ref }, blob) : notFound('BLOB_UNKNOWN');
    }
    if (kind === 'referrers') {
      if (this.options.referrersApi === false) return send(404, { 'content-type': 'text/plain' }, Buffer.from('404 page not found'));
      return this.referrers(repo, ref, r, send);
    }
    if (r.method === 'PUT') {
      const digest = sha256(body);
      this.manifests.set(`${repo}@${digest}`, { bytes: body, mediaType: contentType });
      if (!ref.startsWith('sha256:')) this.tags.set(`${repo}:${ref}`, digest);
      const headers: Record<string, string> = { 'docker-content-digest': digest, location: `/v2/${repo}/manifests/${digest}` };
      const subject = (JSON.parse(body.toString()) as { subject?: { digest: string } }).subject;
      if (subject && this.options.referrersApi !== false) headers['oci-subject'] = subject.digest;
      return send(201, headers, Buffer.alloc(0));
    }
    const digest = ref.startsWith('sha256:') ? ref : this.tags.get(`${repo}:${ref}`);
    const stored = digest !== undefined ? this.manifests.get(`${repo}@${digest}`) : undefined;
    if (!stored || digest === undefined) return notFound('MANIFEST_UNKNOWN');
    send(200, { 'content-type': stored.mediaType, 'docker-content-digest': digest }, stored.bytes);
  }

  private referrers(repo: string, digest: string, r: ServerRequest, send: (s: number, h: Record<string, string>, p?: Buffer) => void): void {
    const wanted = r.query.get('artifactType');
    const filter = wanted !== null && this.options.filterArtifactType !== false;
    const all: Record<string, unknown>[] = [];
    for (const [key, stored] of this.manifests) {
      if (!key.startsWith(`${repo}@`)) continue;
      const m = JSON.parse(stored.bytes.toString()) as { subject?: { digest: string }; artifactType?: string; config?: { mediaType: string }; annotations?: Record<string, string> };
      if (m.subject?.digest !== digest) continue;
      const artifactType = m.artifactType ?? m.config?.mediaType;
      if (filter && artifactType !== wanted) continue;
      all.push({ mediaType: stored.mediaType, digest: key.slice(repo.length + 1), size: stored.bytes.byteLength, artifactType, ...(m.annotations ? { annotations: m.annotations } : {}) });
    }
    const pageSize = this.options.pageSize ?? 1000;
    const start = Number(r.query.get('page') ?? '0');
    const page = all.slice(start * pageSize, (start + 1) * pageSize);
    const headers: Record<string, string> = { 'content-type': 'application/vnd.oci.image.index.v1+json' };
    if (filter) headers['oci-filters-applied'] = 'artifactType';
    if ((start + 1) * pageSize < all.length) {
      const q = new URLSearchParams(r.query);
      q.set('page', String(start + 1));
      headers['link'] = `<${r.path}?${q.toString()}>; rel="next"`;
    }
    send(200, headers, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: page })));
  }

  private authorized(r: ServerRequest, res: http.ServerResponse): boolean {
    const auth = this.options.auth;
    if (auth === undefined) return true;
    if (auth.kind === 'basic') {
      const want = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      if (r.authorization === want) return true;
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return false;
    }
    const repo = /^\/v2\/(.+?)\/(manifests|blobs|referrers)\//.exec(r.path)?.[1];
    const action = r.method === 'GET' || r.method === 'HEAD' ? 'pull' : 'push';
    const granted = r.authorization?.startsWith('Bearer ') ? this.tokens.get(r.authorization.slice(7)) : undefined;
    if (granted !== undefined && (repo === undefined || granted.split(' ').some((s) => s.startsWith(`repository:${repo}:`) && s.includes(action)))) return true;
    const scope = repo !== undefined ? `,scope="repository:${repo}:${action === 'push' ? 'pull,push' : 'pull'}"` : '';
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${this.origin}/token",service="test-registry"${scope}`, 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    return false;
  }

  private token(r: ServerRequest, res: http.ServerResponse): void {
    this.tokenRequests++;
    const auth = this.options.auth;
    if (auth?.username !== undefined) {
      const want = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      if (r.authorization !== want) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return void res.end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
      }
    }
    const token = randomUUID().replace(/-/g, '');
    this.tokens.set(token, r.query.getAll('scope').join(' '));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, expires_in: auth?.tokenSeconds ?? 300 }));
  }
}
