import assert from 'node:assert/strict';
import { EventError, MEDIA_TYPE_DISTRIBUTION_EVENTS, parseNotification } from '../../../provider/src/events/index.js';

const DIGEST = `sha256:${'cd'.repeat(32)}`;

/** A delete as docker-registry 2.8 sends it: the repository and the deleted digest, no tag, no media type. */
function distributionDelete(target: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'd1',
    timestamp: '2026-01-01T00:00:00Z',
    action: 'delete',
    target: { digest: DIGEST, repository: 'team/app', ...target },
    request: { host: 'Registry.Example:5000', method: 'DELETE' },
  };
}

describe('events: deletions (Distribution action delete, Harbor DELETE_ARTIFACT)', () => {
  it('reads a Distribution manifest delete into a DeleteEvent with canonical names and no push', () => {
    const parsed = parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, JSON.stringify({ events: [distributionDelete(), distributionDelete()] }));
    assert.deepEqual(parsed.pushes, []);
    assert.equal(parsed.ignored, 0);
    assert.deepEqual(parsed.deletes, [{ source: 'distribution', id: 'd1', registry: 'registry.example:5000', repository: 'team/app', digest: DIGEST }], 'deduplicated');
  });

  it('ignores a delete that names no digest, and refuses one whose digest or repository is invalid', () => {
    const parsed = parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, JSON.stringify({ events: [distributionDelete({ digest: undefined })] }));
    assert.equal(parsed.ignored, 1);
    assert.deepEqual(parsed.deletes, []);
    for (const target of [{ digest: 'sha256:short' }, { repository: 'Team/App' }, { repository: undefined }]) {
      assert.throws(
        () => parseNotification(MEDIA_TYPE_DISTRIBUTION_EVENTS, JSON.stringify({ events: [distributionDelete(target)] })),
        (e: unknown) => e instanceof EventError && e.code === 'EVENT_MALFORMED' && /event 0/.test(e.message),
      );
    }
  });

  it('reads a Harbor DELETE_ARTIFACT webhook into DeleteEvents', () => {
    const body = {
      type: 'DELETE_ARTIFACT',
      occur_at: 1700000001,
      event_data: { resources: [{ digest: DIGEST, tag: 'v1', resource_url: 'harbor.example.com/library/app:v1' }], repository: { repo_full_name: 'library/app' } },
    };
    const parsed = parseNotification('application/json', JSON.stringify(body));
    assert.deepEqual(parsed.pushes, []);
    assert.deepEqual(parsed.deletes, [{ source: 'harbor', id: 'harbor-1700000001-0', registry: 'harbor.example.com', repository: 'library/app', tag: 'v1', digest: DIGEST }]);
  });
});
