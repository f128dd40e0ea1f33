/** Tag and catalog listings against the real docker-registry (paginated by its own Link headers). */
import assert from 'node:assert/strict';
import { OciError, type Registry } from '../../provider/src/oci/index.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { client, pushImage, testClock } from './ociHelpers.js';

describe('oci listing: tags/list and _catalog on docker-registry', function () {
  let reg: RunningRegistry;
  let registry: Registry;
  before(async function () {
    requireComponent(this, 'docker-registry');
    reg = await startRegistry();
    registry = await client({ clock: testClock().clock });
    for (const tag of ['a', 'b', 'c']) await pushImage(registry.repository(`${reg.host}/team/app:${tag}`), tag);
    await pushImage(registry.repository(`${reg.host}/other:x`), 'x');
  });
  after(async () => {
    registry?.close();
    await reg?.stop();
  });

  it('lists every tag of a repository and none of an unknown one', async () => {
    assert.deepEqual([...(await registry.repository(`${reg.host}/team/app`).tags())].sort(), ['a', 'b', 'c']);
    assert.deepEqual(await registry.repository(`${reg.host}/team/nothing`).tags(), []);
  });

  it('lists the catalog', async () => {
    assert.deepEqual([...(await registry.catalog(reg.host))].sort(), ['other', 'team/app']);
  });

  it('refuses a registry that is down with a coded error', async () => {
    await assert.rejects(registry.catalog('127.0.0.1:1'), (err: unknown) => err instanceof OciError && err.code === 'REGISTRY_UNREACHABLE');
  });
});
