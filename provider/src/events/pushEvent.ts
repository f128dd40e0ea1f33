/**
 * Registry notifications -> typed PushEvents and DeleteEvents. Two wire formats:
 *
 * - CNCF Distribution (docker-registry): `Content-Type: application/vnd.docker.distribution.events.v1+json`, body
 *   `{"events":[{id, timestamp, action, target:{mediaType, digest, size, repository, url, tag}, request:{host}}]}`.
 *   A registry sends every push and pull, of blobs too, to each endpoint and retries an envelope until it is
 *   acknowledged, so events no service acts on (pulls, blob pushes) are dropped here and the envelope is still
 *   accepted; only an envelope that is not one is refused. A delete (`action: delete`) names only the repository and
 *   the deleted digest: it becomes a DeleteEvent (the signer ignores those, the provider invalidates).
 * - Harbor webhooks (`Content-Type: application/json`): `{"type":"PUSH_ARTIFACT"|"DELETE_ARTIFACT",
 *   "event_data":{"resources":[{digest, tag, resource_url}], "repository":{repo_full_name}}}`. Harbor sends only the
 *   event types a policy selects, so another type is a misconfigured webhook: EVENT_UNRELATED.
 *
 * Every name is put into oci's canonical form; tags and digests are checked by oci's reference grammar. A push
 * event is a hint: the signer re-reads the manifest from the registry.
 */
import { canonicalRegistry, formatRepository, MANIFEST_MEDIA_TYPES, OciError, parseReference, parseRepositoryName } from '../oci/index.js';
import { jsonSyntaxProblem } from '../jsonText.js';
import { EventError } from './errors.js';

export const MEDIA_TYPE_DISTRIBUTION_EVENTS = 'application/vnd.docker.distribution.events.v1+json';

/** Bounds on one notification body. */
export const EVENT_LIMITS = Object.freeze({ maxBodyBytes: 1024 * 1024, maxEvents: 1000, maxDepth: 16 });

export type EventSource = 'distribution' | 'harbor';

/** One manifest pushed to a registry, by tag or by digest, in canonical names. */
export interface PushEvent {
  readonly source: EventSource;
  /** The notification's own id (for logs), at most 256 characters. */
  readonly id: string;
  /** Canonical host[:port]. */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  /** The manifest media type the registry reported (Distribution only). */
  readonly mediaType?: string;
}

/**
 * Content deleted from a registry: a manifest by digest (Distribution names nothing else: not its tags, media type
 * or subject), or for Harbor an artifact with its digest and tag.
 */
export type DeleteEvent = PushEvent;

export interface ParsedNotification {
  readonly source: EventSource;
  /** Manifest pushes, deduplicated. */
  readonly pushes: readonly PushEvent[];
  /** Deletions, deduplicated (the signer ignores them; the provider drops what it cached for them). */
  readonly deletes: readonly DeleteEvent[];
  /** Events of the envelope no service acts on (pulls, blob pushes). */
  readonly ignored: number;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(what: string, problem: string): EventError {
  return new EventError('EVENT_MALFORMED', `${what} ${problem}; send the registry's notification unchanged (see README "Sign on push")`);
}

function text(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
}

/** Parses JSON with a nesting bound checked on the text first (JSON.parse itself has none). */
function parseJson(body: string, what: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (++depth > EVENT_LIMITS.maxDepth) throw malformed(what, `nests deeper than ${EVENT_LIMITS.maxDepth} levels`);
    } else if (c === '}' || c === ']') depth--;
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw malformed(what, `is not JSON (${jsonSyntaxProblem(body, err)})`);
  }
}

/** The canonical name, tag and digest; an oci reference problem becomes EVENT_MALFORMED naming the event. */
function canonicalTarget(what: string, registry: string, repository: string, tag: unknown, digest: unknown): Pick<PushEvent, 'registry' | 'repository' | 'tag' | 'digest'> {
  const optional = (value: unknown, field: string): string => {
    if (value === undefined || value === '') return '';
    if (typeof value !== 'string') throw malformed(what, `has a ${field} that is not a string`);
    return value;
  };
  const tagText = optional(tag, 'tag');
  const digestText = optional(digest, 'digest');
  try {
    const name = parseRepositoryName(`${canonicalRegistry(registry, { singleLabel: true })}/${repository}`);
    // oci's reference grammar is the one check of tags and digests
    const ref = parseReference(`${formatRepository(name)}${tagText === '' ? '' : `:${tagText}`}${digestText === '' ? '' : `@${digestText}`}`);
    return { registry: ref.registry, repository: ref.repository, ...(ref.tag === undefined ? {} : { tag: ref.tag }), ...(ref.digest === undefined ? {} : { digest: ref.digest }) };
  } catch (err) {
    if (err instanceof OciError) throw new EventError('EVENT_MALFORMED', `${what} names an image that is not valid: ${err.message}`, { cause: err });
    throw err;
  }
}

/** The host[:port] a Distribution event was pushed to: its target URL's, else the request's Host. */
function distributionHost(event: Json, what: string): string {
  const target = event.target as Json;
  const url = text(target.url, 4096);
  if (url !== undefined) {
    try {
      return new URL(url).host;
    } catch {
      throw malformed(what, `has a target.url that is not a URL`);
    }
  }
  const request = isRecord(event.request) ? event.request : {};
  const host = text(request.host, 300);
  if (host === undefined) throw malformed(what, 'names no registry (target.url or request.host)');
  return host;
}

function parseDistribution(value: unknown): ParsedNotification {
  const what = 'the Distribution notification';
  if (!isRecord(value) || !Array.isArray(value.events)) throw malformed(what, 'is not an envelope {"events":[...]}');
  if (value.events.length > EVENT_LIMITS.maxEvents) throw new EventError('EVENT_TOO_LARGE', `${what} carries ${value.events.length} events, more than ${EVENT_LIMITS.maxEvents}; lower the endpoint's threshold`);
  const pushes: PushEvent[] = [];
  const deletes: DeleteEvent[] = [];
  let ignored = 0;
  for (const [i, event] of value.events.entries()) {
    const at = `${what}'s event ${i}`;
    if (!isRecord(event) || !isRecord(event.target)) throw malformed(at, 'is not an object with a target');
    const id = text(event.id, 256) ?? `#${i}`;
    const mediaType = text(event.target.mediaType, 256);
    const isDelete = event.action === 'delete' && event.target.digest !== undefined;
    if (!isDelete && (event.action !== 'push' || mediaType === undefined || !MANIFEST_MEDIA_TYPES.includes(mediaType))) {
      ignored++;
      continue;
    }
    const repository = text(event.target.repository, 256);
    if (repository === undefined) throw malformed(at, 'has no target.repository');
    const name = canonicalTarget(`${at} (${id})`, distributionHost(event, at), repository, event.target.tag, event.target.digest);
    const typed = Object.freeze({ source: 'distribution' as const, id, ...name, ...(mediaType === undefined ? {} : { mediaType }) });
    (isDelete ? deletes : pushes).push(typed);
  }
  return { source: 'distribution', pushes: dedupe(pushes), deletes: dedupe(deletes), ignored };
}

function parseHarbor(value: unknown): ParsedNotification {
  const what = 'the Harbor webhook';
  if (!isRecord(value) || typeof value.type !== 'string' || !isRecord(value.event_data)) throw malformed(what, 'is not {"type":..., "event_data":{...}}');
  if (value.type !== 'PUSH_ARTIFACT' && value.type !== 'DELETE_ARTIFACT') {
    throw new EventError(
      'EVENT_UNRELATED',
      `${what} is of type "${value.type.slice(0, 64)}"; signgate acts on PUSH_ARTIFACT and DELETE_ARTIFACT only: select just "Artifact pushed" and "Artifact deleted" in the Harbor webhook policy`,
    );
  }
  const data = value.event_data;
  const repository = isRecord(data.repository) ? text(data.repository.repo_full_name, 256) : undefined;
  if (repository === undefined || !Array.isArray(data.resources)) throw malformed(what, 'has no event_data.repository.repo_full_name or event_data.resources');
  if (data.resources.length > EVENT_LIMITS.maxEvents) throw new EventError('EVENT_TOO_LARGE', `${what} lists ${data.resources.length} resources, more than ${EVENT_LIMITS.maxEvents}`);
  const occurred = typeof value.occur_at === 'number' ? String(value.occur_at) : 'unknown';
  const events: PushEvent[] = [];
  for (const [i, resource] of data.resources.entries()) {
    const at = `${what}'s resource ${i}`;
    if (!isRecord(resource)) throw malformed(at, 'is not an object');
    const url = text(resource.resource_url, 1024);
    const slash = url?.indexOf('/') ?? -1;
    if (url === undefined || slash <= 0) throw malformed(at, 'has no resource_url host/repository');
    const name = canonicalTarget(at, url.slice(0, slash), repository, resource.tag, resource.digest);
    events.push(Object.freeze({ source: 'harbor', id: `harbor-${occurred}-${i}`, ...name }));
  }
  const pushed = value.type === 'PUSH_ARTIFACT';
  return { source: 'harbor', pushes: pushed ? dedupe(events) : [], deletes: pushed ? [] : dedupe(events), ignored: 0 };
}

function dedupe(pushes: readonly PushEvent[]): readonly PushEvent[] {
  const seen = new Map<string, PushEvent>();
  for (const p of pushes) seen.set(`${p.registry}/${p.repository}:${p.tag ?? ''}@${p.digest ?? ''}`, p);
  return Object.freeze([...seen.values()]);
}

/**
 * A notification body (already size-capped by the caller) by its Content-Type: the Distribution envelope, or JSON
 * (Harbor). Throws EventError EVENT_MEDIA_TYPE, EVENT_MALFORMED, EVENT_TOO_LARGE or EVENT_UNRELATED.
 */
export function parseNotification(contentType: string | undefined, body: string): ParsedNotification {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (body.length > EVENT_LIMITS.maxBodyBytes) throw new EventError('EVENT_TOO_LARGE', `the notification has ${body.length} characters, more than ${EVENT_LIMITS.maxBodyBytes}`);
  if (type === MEDIA_TYPE_DISTRIBUTION_EVENTS) return parseDistribution(parseJson(body, 'the Distribution notification'));
  if (type === 'application/json') {
    const value = parseJson(body, 'the notification');
    // docker-registry is sometimes fronted by a proxy that rewrites the type: accept its envelope shape as well
    return isRecord(value) && Array.isArray(value.events) ? parseDistribution(value) : parseHarbor(value);
  }
  throw new EventError(
    'EVENT_MEDIA_TYPE',
    `Content-Type "${type.slice(0, 100) || '(none)'}" is not a registry notification; expected ${MEDIA_TYPE_DISTRIBUTION_EVENTS} (docker-registry) or application/json (Harbor)`,
  );
}
