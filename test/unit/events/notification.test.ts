import assert from 'node:assert/strict';
import { EventError, MEDIA_TYPE_DISTRIBUTION_EVENTS, parseNotification, type EventErrorCode } from '../../../provider/src/events/index.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function distributionEvent(overrides: Record<string, unknown> = {}, target: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'e1',
    timestamp: '2026-01-01T00:00:00Z',
    action: 'push',
    target: { mediaType: OCI_MANIFEST, digest: DIGEST, size: 100, repository: 'team/app', url: `http://Registry.Example:443/v2/team/app/manifests/${DIGEST}`, tag: 'v1', ...target },
    request: { host: 'ignored.example' },
    ...overrides,
  };
}

function rejects(code: EventErrorCode, run: () => unknown, message?: RegExp): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof EventError, `expected EventError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('events: parseNotification', () => {
  it('reads a Distribution push by tag into one event with canonical names', () => {
    const parsed = parseNotification(`${MEDIA_TYPE_DISTRIBUTION_EVENTS}; charset=utf-8`, JSON.stringify({ events: [distributionEvent()] }));
    assert.equal(parsed.source, 'distribution');
    assert.equal(parsed.ignored, 0);
    assert.deepEqual(parsed.pushes, [{ source: 'distribution', id: 'e1', registry: 'registry.example', repository: 'team/app', tag: 'v1', digest: DIGEST, mediaType: OCI_MANIFEST }]);
  });

  it('drops pulls and blob pushes but accepts the envelope (the registry retries refused envelopes)', () => {
    const events = [
      distributionEvent({ action: 'pull' }),
      distributionEvent({}, { mediaType: 'application/octet-stream' }),
      distributionEvent({ id: 'e2' }, { tag: undefined }),
    ];
    const parsed = parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, JSON.stringify({ events }));
    assert.equal(parsed.ignored, 2);
    assert.deepEqual(parsed.deletes, []);
    assert.equal(parsed.pushes.length, 1);
    assert.equal(parsed.pushes[0]?.tag, undefined);
    assert.equal(parsed.pushes[0]?.digest, DIGEST);
  });

  it('takes the host from request.host when the target has no url', () => {
    const parsed = parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, JSON.stringify({ events: [distributionEvent({ request: { host: '127.0.0.1:5000' } }, { url: undefined })] }));
    assert.equal(parsed.pushes[0]?.registry, '127.0.0.1:5000');
  });

  it('deduplicates repeated pushes of one tag and digest', () => {
    const parsed = parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, JSON.stringify({ events: [distributionEvent(), distributionEvent({ id: 'again' })] }));
    assert.equal(parsed.pushes.length, 1);
  });

  it('reads a Harbor PUSH_ARTIFACT webhook', () => {
    const body = {
      type: 'PUSH_ARTIFACT',
      occur_at: 1700000000,
      operator: 'admin',
      event_data: { resources: [{ digest: DIGEST, tag: 'v2', resource_url: `harbor.example.com/library/app:v2` }], repository: { name: 'app', namespace: 'library', repo_full_name: 'library/app' } },
    };
    const parsed = parseNotification('application/json', JSON.stringify(body));
    assert.deepEqual(parsed.pushes, [{ source: 'harbor', id: 'harbor-1700000000-0', registry: 'harbor.example.com', repository: 'library/app', tag: 'v2', digest: DIGEST }]);
  });

  it('refuses a Harbor webhook of another type as unrelated, saying what to select', () => {
    rejects('EVENT_UNRELATED', () => parseNotification('application/json', JSON.stringify({ type: 'SCANNING_COMPLETED', event_data: {} })), /PUSH_ARTIFACT and DELETE_ARTIFACT only/);
  });

  it('refuses other content types, broken JSON, wrong shapes, bad names and deep nesting', () => {
    rejects('EVENT_MEDIA_TYPE', () => parseNotification('text/plain', '{}'), /text\/plain.*expected application\/vnd\.docker\.distribution\.events\.v1\+json/);
    rejects('EVENT_MEDIA_TYPE', () => parseNotification(undefined, '{}'), /\(none\)/);
    rejects('EVENT_MALFORMED', () => parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, '{"events": ['), /is not JSON \(line 1, column/);
    rejects('EVENT_MALFORMED', () => parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, '[]'), /is not an envelope/);
    rejects('EVENT_MALFORMED', () => parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, JSON.stringify({ events: [distributionEvent({}, { repository: 'Team/App' })] })), /event 0 \(e1\) names an image that is not valid: .*lowercase/);
    rejects('EVENT_MALFORMED', () => parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, JSON.stringify({ events: [distributionEvent({}, { digest: 'sha256:zz' })] })), /digest/);
    rejects('EVENT_MALFORMED', () => parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, JSON.stringify({ events: [distributionEvent({}, { tag: 7 })] })), /tag that is not a string/);
    rejects('EVENT_MALFORMED', () => parseNotification('application/json', `{"events":${'['.repeat(40)}${']'.repeat(40)}}`), /deeper than 16/);
  });

  it('bounds the number of events and the body size', () => {
    const many = JSON.stringify({ events: Array.from({ length: 1001 }, () => distributionEvent()) });
    rejects('EVENT_TOO_LARGE', () => parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, many), /1001 events, more than 1000/);
    rejects('EVENT_TOO_LARGE', () => parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, ' '.repeat(1024 * 1024 + 1)));
  });
});
