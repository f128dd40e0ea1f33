import assert from 'node:assert/strict';
import type { ParsedNotification, PushEvent } from '../../../provider/src/events/index.js';
import { Registry, type CacheInvalidation, type FetchLike } from '../../../provider/src/oci/index.js';
import { createEventInvalidation, type InvalidationLogEvent, type PushedImage, type VerdictInvalidation } from '../../../provider/src/verify/index.js';
import { startRegistry, type RunningRegistry } from '../../support/registry.js';
import { requireComponent } from '../../support/requirements.js';
import { AT, pushImage, signImage, testPki } from './fixtures.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Records what an EventInvalidation drops and offers, over a real registry client. */
function harness(registry: Registry | undefined, bounds: { maxReads?: number; maxWaiting?: number } = {}) {
  const verdicts: VerdictInvalidation[] = [];
  const caches: CacheInvalidation[] = [];
  const images: PushedImage[] = [];
  const logs: InvalidationLogEvent[] = [];
  const invalidation = createEventInvalidation({
    executor: { invalidate: (t) => (verdicts.push(t), 0) },
    registries: { invalidate: (c) => (caches.push(c), 0) },
    registryForEvents: () => registry,
    pushedImage: (image) => images.push(image),
    log: (e) => logs.push(e),
    ...bounds,
  });
  const handle = async (pushes: readonly PushEvent[], deletes: readonly PushEvent[] = []): Promise<void> => {
    const parsed: ParsedNotification = { source: 'distribution', pushes, deletes, ignored: 0 };
    await invalidation.handle(parsed, 'trace-1').reads;
  };
  return { verdicts, caches, images, logs, handle };
}

describe('verify/invalidation: what each registry event drops (docker-registry)', function () {
  let registry: RunningRegistry | undefined;
  let client: Registry;

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    client = new Registry({ fetch: fetch as FetchLike, clock: () => AT });
  });

  after(async () => registry?.stop());

  it('an OCI 1.1 signature manifest pushed by digest (no referrers tag): its subject is read from the body and dropped', async function () {
    assert.ok(registry);
    const repo = client.repository(`${registry.host}/team/app`);
    const subject = await pushImage(repo, 'v1');
    await signImage(repo, subject, await testPki());
    const [signature] = await repo.referrers(subject);
    assert.ok(signature);
    const h = harness(client);
    const push: PushEvent = { source: 'distribution', id: 'e1', registry: registry.host, repository: 'team/app', digest: signature.digest, mediaType: OCI_MANIFEST };
    await h.handle([push]);
    const name = `${registry.host}/team/app`;
    assert.deepEqual(h.verdicts, [{ subject: `${name}@${subject.digest}` }]);
    assert.deepEqual(h.caches, [{ kind: 'subject', name, digest: subject.digest }]);
    assert.deepEqual(h.images, [], 'a signature is never prewarmed');
  });

  it('an image pushed with a tag: its tag resolution is dropped (no verdict), and it is offered for prewarming', async function () {
    assert.ok(registry);
    const image = await pushImage(client.repository(`${registry.host}/team/app`), 'v2');
    const h = harness(client);
    await h.handle([{ source: 'distribution', id: 'e2', registry: registry.host, repository: 'team/app', tag: 'v2', digest: image.digest, mediaType: OCI_MANIFEST }]);
    const name = `${registry.host}/team/app`;
    assert.deepEqual(h.verdicts, []);
    assert.deepEqual(h.caches, [{ kind: 'tag', name, tag: 'v2' }]);
    assert.deepEqual(h.images, [{ reference: `${name}:v2`, repository: name }]);
  });

  it('a referrers-tag index names its subject in the tag; a sha512 one (truncated) drops the repository', async function () {
    const h = harness(undefined);
    const hex = 'ab'.repeat(32);
    await h.handle([
      { source: 'distribution', id: 'e3', registry: 'r.example.com', repository: 'app', tag: `sha256-${hex}`, digest: `sha256:${'cd'.repeat(32)}` },
      { source: 'distribution', id: 'e4', registry: 'r.example.com', repository: 'other', tag: `sha512-${hex}` },
    ]);
    assert.deepEqual(h.verdicts, [{ subject: `r.example.com/app@sha256:${hex}` }, { repository: 'r.example.com/other' }]);
    assert.equal(h.logs.length, 2, 'no manifest read for a referrers tag');
  });

  it('a delete drops the repository and the deleted digest; an unreadable push drops its repository, saying why', async function () {
    assert.ok(registry);
    const h = harness(client);
    const missing = `sha256:${'0'.repeat(64)}`;
    await h.handle(
      [{ source: 'distribution', id: 'e5', registry: registry.host, repository: 'team/gone', tag: 'v1', digest: missing, mediaType: OCI_MANIFEST }],
      [{ source: 'distribution', id: 'e6', registry: registry.host, repository: 'team/app', digest: missing }],
    );
    assert.deepEqual(h.verdicts, [{ repository: `${registry.host}/team/app` }, { repository: `${registry.host}/team/gone` }]);
    assert.deepEqual(h.caches.map((c) => c.kind), ['tag', 'delete', 'repository']);
    const warn = h.logs.find((l) => l.level === 'warn');
    assert.ok(warn);
    assert.match(warn.msg, new RegExp(`could not read the pushed manifest ${registry.host}/team/gone:v1@${missing}.*dropping everything cached for ${registry.host}/team/gone`));
    assert.equal(warn.traceID, 'trace-1');
  });

  it('past the bound on waiting reads, a push drops its repository instead of being read', async function () {
    const h = harness(undefined, { maxReads: 1, maxWaiting: 0 });
    const push = (repository: string): PushEvent => ({ source: 'distribution', id: repository, registry: 'r.example.com', repository, digest: `sha256:${'2'.repeat(64)}` });
    await h.handle([push('one'), push('two')]);
    assert.deepEqual(h.verdicts.map((v) => ('repository' in v ? v.repository : v.subject)).sort(), ['r.example.com/one', 'r.example.com/two']);
    assert.match(h.logs.find((l) => l.image?.startsWith('r.example.com/two') === true && l.level === 'warn')?.msg ?? '', /0 manifest reads are waiting already/);
  });

  it('with no cluster-wide configuration to read with, a push drops its repository', async function () {
    const h = harness(undefined);
    await h.handle([{ source: 'harbor', id: 'h1', registry: 'r.example.com', repository: 'app', tag: 'v1', digest: `sha256:${'1'.repeat(64)}` }]);
    assert.deepEqual(h.verdicts, [{ repository: 'r.example.com/app' }]);
    assert.match(h.logs.find((l) => l.level === 'warn')?.msg ?? '', /no cluster-wide configuration/);
  });
});
