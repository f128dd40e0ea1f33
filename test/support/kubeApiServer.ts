/**
 * A PROTOCOL-LEVEL KUBERNETES API TEST SERVER, not a Kubernetes API server: no Kubernetes API server can be run here,
 * so this implements the documented HTTP API the signgate controller uses, over plain HTTP on a loopback port:
 * - list (`GET /apis/<group>/<version>/[namespaces/<ns>/]<plural>`, `/api/v1/[namespaces/<ns>/]secrets`) answering
 *   `{kind: <Kind>List, metadata: {resourceVersion}, items}`, with `fieldSelector=metadata.name=<name>`;
 * - watch (`?watch=true&resourceVersion=N&allowWatchBookmarks=true&timeoutSeconds=S`): newline-delimited
 *   `{"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": ...}`, replaying events after N; a version older than
 *   the retained history gets an ERROR event with a `Status` of code 410 (Expired), as the API server sends;
 * - the status subresource: `PUT .../<name>/status` (optimistic concurrency on metadata.resourceVersion, 409 on
 *   conflict) and `PATCH .../<name>/status` with `application/merge-patch+json`; status writes bump resourceVersion,
 *   never generation; spec writes bump both;
 * - for any group/version/plural (custom resources, core v1 configmaps/pods/events/secrets, coordination.k8s.io
 *   leases): get; create (`POST` to the collection, `metadata.generateName` honoured, 409 AlreadyExists); replace
 *   (`PUT .../<name>`, 409 Conflict when `metadata.resourceVersion` is stale); JSON merge patch of the object
 *   (`PATCH .../<name>`, `application/merge-patch+json`, e.g. labels or finalizers; a resourceVersion in the patch is
 *   a precondition); delete (`DELETE .../<name>`, optional `preconditions.resourceVersion`): an object with
 *   `metadata.finalizers` only gets `deletionTimestamp` (and a generation bump) and is removed when an update empties
 *   its finalizers, as the API server does. Writes to the main resource keep the stored status; a list takes a
 *   `labelSelector` of `key=value` terms;
 * - bearer-token authentication (401 otherwise), and fault injection (`failNext`), plus a request log.
 * Everything else (admission, field validation, RBAC, selectors beyond metadata.name) is out of scope.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type KubeObject = Record<string, unknown> & { metadata: Record<string, unknown> };

interface StoredEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly typeKey: string;
  readonly object: KubeObject;
}

interface OpenWatch {
  readonly typeKey: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly bookmarks: boolean;
  readonly res: http.ServerResponse;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

interface Fault {
  readonly method?: string;
  readonly pathIncludes?: string;
  readonly status: number;
  count: number;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith('y') ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

/** `group/version/plural` of an apiVersion + kind (core group: `core`). */
export function typeKeyOf(apiVersion: string, kind: string): string {
  const [a, b] = apiVersion.split('/');
  return b === undefined ? `core/${a}/${pluralOf(kind)}` : `${a}/${b}/${pluralOf(kind)}`;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function parsePath(pathname: string): { typeKey: string; namespace?: string; name?: string; subresource?: string } | undefined {
  const parts = pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  let rest: string[];
  let gv: string;
  if (parts[0] === 'api' && parts[1] !== undefined) {
    gv = `core/${parts[1]}`;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts[1] !== undefined && parts[2] !== undefined) {
    gv = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource] = rest;
  if (plural === undefined) return undefined;
  return { typeKey: `${gv}/${plural}`, ...(namespace !== undefined ? { namespace } : {}), ...(name !== undefined ? { name } : {}), ...(subresource !== undefined ? { subresource } : {}) };
}

export class KubeApiTestServer {
  readonly requests: RecordedRequest[] = [];
  /** Required bearer token; undefined accepts any request. */
  token: string | undefined;
  private readonly server: http.Server;
  private readonly objects = new Map<string, KubeObject>();
  private history: StoredEvent[] = [];
  private oldestRv = 0;
  private rv = 100;
  private readonly watches = new Set<OpenWatch>();
  private readonly faults: Fault[] = [];
  private port = 0;

  constructor(options: { token?: string } = {}) {
    this.token = options.token;
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.closeWatches();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Creates or replaces an object (apiVersion, kind, metadata.name[, namespace]); a changed spec bumps generation. */
  apply(object: Record<string, unknown>): KubeObject {
    const o = clone(object) as KubeObject;
    const typeKey = typeKeyOf(String(o.apiVersion), String(o.kind));
    const key = this.key(typeKey, o.metadata.namespace as string | undefined, String(o.metadata.name));
    const old = this.objects.get(key);
    if (old?.status !== undefined && o.status === undefined) o.status = old.status;
    return this.write(typeKey, key, old, o) ?? clone(o);
  }

  /** Deletes an object as `DELETE` does: with finalizers it only gets a deletionTimestamp. */
  delete(apiVersion: string, kind: string, name: string, namespace?: string): void {
    const typeKey = typeKeyOf(apiVersion, kind);
    const key = this.key(typeKey, namespace, name);
    const old = this.objects.get(key);
    if (old) this.markDeleted(typeKey, key, old);
  }

  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
    const o = this.objects.get(this.key(typeKeyOf(apiVersion, kind), namespace, name));
    return o ? clone(o) : undefined;
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that allows bookmarks. */
  bookmark(): void {
    for (const w of this.watches) {
      if (w.bookmarks) w.res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Bookmark', metadata: { resourceVersion: String(this.rv) } } })}\n`);
    }
  }

  /** Forgets the event history: a watch from an older resourceVersion now gets 410. */
  compact(): void {
    this.history = [];
    this.oldestRv = this.rv;
  }

  /** Ends every open watch stream (as the server's timeoutSeconds would). */
  closeWatches(): void {
    for (const w of this.watches) w.res.end();
    this.watches.clear();
  }

  /** Ends every open watch with an ERROR event 410 Expired (after compact()). */
  expireWatches(): void {
    this.compact();
    for (const w of this.watches) {
      w.res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version' } })}\n`);
    }
    this.watches.clear();
  }

  /** The next `count` requests matching get HTTP `status` with a Status body. */
  failNext(fault: { method?: string; pathIncludes?: string; status: number; count?: number }): void {
    this.faults.push({ ...fault, count: fault.count ?? 1 });
  }

  watchCount(): number {
    return this.watches.size;
  }

  private key(typeKey: string, namespace: string | undefined, name: string): string {
    return `${typeKey}|${namespace ?? ''}|${name}`;
  }

  /**
   * Stores `next` in place of `old` at a new resourceVersion (generation bumped when spec/data change or deletion
   * starts; uid, creation and deletion timestamps kept). An object being deleted whose finalizers are now empty is
   * removed instead; the answer is then undefined.
   */
  private write(typeKey: string, key: string, old: KubeObject | undefined, next: KubeObject): KubeObject | undefined {
    const rv = ++this.rv;
    const sameSpec = old !== undefined && JSON.stringify(old.spec) === JSON.stringify(next.spec) && JSON.stringify(old.data) === JSON.stringify(next.data);
    const deletionStarts = old !== undefined && old.metadata.deletionTimestamp === undefined && next.metadata.deletionTimestamp !== undefined;
    const generation = old === undefined ? 1 : Number(old.metadata.generation) + (sameSpec && !deletionStarts ? 0 : 1);
    const deletionTimestamp = old?.metadata.deletionTimestamp ?? next.metadata.deletionTimestamp;
    next.metadata = {
      ...next.metadata,
      resourceVersion: String(rv),
      generation,
      uid: old?.metadata.uid ?? `uid-${rv}`,
      creationTimestamp: '2025-01-01T00:00:00Z',
      ...(deletionTimestamp !== undefined ? { deletionTimestamp } : {}),
    };
    const finalizers = next.metadata.finalizers;
    if (deletionTimestamp !== undefined && (!Array.isArray(finalizers) || finalizers.length === 0)) {
      this.objects.delete(key);
      this.emit({ rv, type: 'DELETED', typeKey, object: clone(next) });
      return undefined;
    }
    this.objects.set(key, next);
    this.emit({ rv, type: old === undefined ? 'ADDED' : 'MODIFIED', typeKey, object: clone(next) });
    return clone(next);
  }

  private markDeleted(typeKey: string, key: string, old: KubeObject): KubeObject {
    const next = { ...clone(old), metadata: { ...clone(old.metadata), deletionTimestamp: old.metadata.deletionTimestamp ?? new Date().toISOString() } };
    return this.write(typeKey, key, old, next) ?? next;
  }

  private conflict(res: http.ServerResponse, target: { typeKey: string; name?: string }): void {
    this.status(res, 409, 'Conflict', `Operation cannot be fulfilled on ${target.typeKey} "${target.name ?? ''}": the object has been modified; please apply your changes to the latest version and try again`);
  }

  private emit(event: StoredEvent): void {
    this.history.push(event);
    for (const w of this.watches) if (this.matches(w, event.typeKey, event.object)) w.res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
  }

  private matches(w: { typeKey: string; namespace: string | undefined; name: string | undefined }, typeKey: string, object: KubeObject): boolean {
    return typeKey === w.typeKey && (w.namespace === undefined || object.metadata.namespace === w.namespace) && (w.name === undefined || object.metadata.name === w.name);
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string): void {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return this.status(res, 400, 'BadRequest', 'body is not JSON');
    }
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body });
    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`) return this.status(res, 401, 'Unauthorized', 'Unauthorized');
    const fault = this.faults.find((f) => f.count > 0 && (f.method === undefined || f.method === method) && (f.pathIncludes === undefined || url.pathname.includes(f.pathIncludes)));
    if (fault) {
      fault.count -= 1;
      return this.status(res, fault.status, 'InternalError', `injected fault ${fault.status}`);
    }
    const target = parsePath(url.pathname);
    if (!target) return this.status(res, 404, 'NotFound', `no route ${url.pathname}`);
    const fieldName = /^metadata\.name=(.+)$/.exec(url.searchParams.get('fieldSelector') ?? '')?.[1];
    if (target.name === undefined && method === 'GET') {
      const filter = { typeKey: target.typeKey, namespace: target.namespace, name: fieldName };
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') return this.watch(url, filter, res);
      const labels = (url.searchParams.get('labelSelector') ?? '').split(',').filter((t) => t !== '').map((t) => t.split('='));
      const labelled = (o: KubeObject): boolean => labels.every(([k, v]) => (o.metadata.labels as Record<string, unknown> | undefined)?.[k ?? ''] === v);
      const items = [...this.objects.entries()].filter(([k, o]) => k.startsWith(`${target.typeKey}|`) && this.matches(filter, target.typeKey, o) && labelled(o)).map(([, o]) => clone(o));
      return this.send(res, 200, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv) }, items });
    }
    if (target.name === undefined && method === 'POST') return this.create(target, body, res);
    if (target.name !== undefined && target.subresource === 'status' && (method === 'PUT' || method === 'PATCH')) {
      const key = this.key(target.typeKey, target.namespace, target.name);
      const old = this.objects.get(key);
      if (!old) return this.status(res, 404, 'NotFound', `${target.typeKey} "${target.name}" not found`);
      const incoming = (body ?? {}) as Record<string, unknown>;
      let status: unknown;
      if (method === 'PUT') {
        const rv = (incoming.metadata as Record<string, unknown> | undefined)?.resourceVersion;
        if (rv !== undefined && rv !== old.metadata.resourceVersion) return this.status(res, 409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
        status = incoming.status;
      } else {
        if (req.headers['content-type'] !== 'application/merge-patch+json') return this.status(res, 415, 'UnsupportedMediaType', `unsupported patch type ${String(req.headers['content-type'])}`);
        status = (mergePatch(old, incoming) as Record<string, unknown>).status;
      }
      const rv = ++this.rv;
      const updated: KubeObject = { ...clone(old), status: clone(status), metadata: { ...old.metadata, resourceVersion: String(rv) } };
      this.objects.set(key, updated);
      this.emit({ rv, type: 'MODIFIED', typeKey: target.typeKey, object: clone(updated) });
      return this.send(res, 200, updated);
    }
    if (target.name !== undefined && target.subresource === undefined && ['GET', 'PUT', 'PATCH', 'DELETE'].includes(method)) {
      const key = this.key(target.typeKey, target.namespace, target.name);
      const old = this.objects.get(key);
      if (!old) return this.status(res, 404, 'NotFound', `${target.typeKey} "${target.name}" not found`);
      if (method === 'GET') return this.send(res, 200, old);
      const incoming = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      if (method === 'DELETE') {
        const precondition = (incoming.preconditions as Record<string, unknown> | undefined)?.resourceVersion;
        if (precondition !== undefined && precondition !== old.metadata.resourceVersion) return this.conflict(res, target);
        return this.send(res, 200, this.markDeleted(target.typeKey, key, old));
      }
      const rv = (incoming.metadata as Record<string, unknown> | undefined)?.resourceVersion;
      if (rv !== undefined && rv !== old.metadata.resourceVersion) return this.conflict(res, target);
      if (method === 'PATCH' && req.headers['content-type'] !== 'application/merge-patch+json') return this.status(res, 415, 'UnsupportedMediaType', `unsupported patch type ${String(req.headers['content-type'])}`);
      const next = (method === 'PUT' ? clone(incoming) : mergePatch(clone(old), incoming)) as KubeObject;
      if (typeof next.metadata !== 'object' || next.metadata === null || (next.metadata.name !== undefined && next.metadata.name !== target.name)) return this.status(res, 400, 'BadRequest', `metadata.name must be "${target.name}"`);
      next.metadata = { ...next.metadata, name: target.name, ...(target.namespace !== undefined ? { namespace: target.namespace } : {}) };
      if (old.status === undefined) delete next.status;
      else next.status = clone(old.status);
      const written = this.write(target.typeKey, key, old, next);
      return this.send(res, 200, written ?? next);
    }
    return this.status(res, 405, 'MethodNotAllowed', `${method} ${url.pathname} is not implemented by the test server`);
  }

  private create(target: { typeKey: string; namespace?: string }, body: unknown, res: http.ServerResponse): void {
    const o = (typeof body === 'object' && body !== null ? clone(body) : {}) as KubeObject;
    const meta = typeof o.metadata === 'object' && o.metadata !== null ? o.metadata : {};
    const generateName = typeof meta.generateName === 'string' ? meta.generateName : undefined;
    const name = typeof meta.name === 'string' && meta.name !== '' ? meta.name : generateName !== undefined ? `${generateName}${(this.rv + 1).toString(36)}` : undefined;
    if (name === undefined) return this.status(res, 422, 'Invalid', `${target.typeKey}: metadata.name or metadata.generateName is required`);
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '') return this.status(res, 400, 'BadRequest', 'resourceVersion should not be set on objects to be created');
    o.metadata = { ...meta, name, ...(target.namespace !== undefined ? { namespace: target.namespace } : {}) };
    const key = this.key(target.typeKey, target.namespace, name);
    if (this.objects.has(key)) return this.status(res, 409, 'AlreadyExists', `${target.typeKey} "${name}" already exists`);
    this.send(res, 201, this.write(target.typeKey, key, undefined, o));
  }

  private watch(url: URL, filter: { typeKey: string; namespace: string | undefined; name: string | undefined }, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const from = url.searchParams.get('resourceVersion') ?? '';
    const w: OpenWatch = { ...filter, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true', res };
    if (from === '' || from === '0') {
      for (const [k, o] of this.objects) if (k.startsWith(`${filter.typeKey}|`) && this.matches(filter, filter.typeKey, o)) res.write(`${JSON.stringify({ type: 'ADDED', object: o })}\n`);
    } else if (Number(from) < this.oldestRv) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: `too old resource version: ${from} (${this.oldestRv})` } })}\n`);
      return;
    } else {
      for (const e of this.history) if (e.rv > Number(from) && this.matches(filter, e.typeKey, e.object)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    }
    this.watches.add(w);
    const seconds = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    const timer = seconds > 0 ? setTimeout(() => res.end(), seconds * 1000) : undefined;
    res.on('close', () => {
      clearTimeout(timer);
      this.watches.delete(w);
    });
  }
}
