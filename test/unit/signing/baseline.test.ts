import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileBaselineStore, SigningError } from '../../../provider/src/signing/index.js';

describe('signing: fileBaselineStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-baseline-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves and loads a baseline by rule and scope; another scope is no baseline', async () => {
    const store = fileBaselineStore(join(dir, 'state'));
    assert.equal(await store.load('team-a', 'r.example/team-a'), undefined);
    const baseline = { rule: 'team-a', scope: 'r.example/team-a', takenAt: '2026-01-01T00:00:00.000Z', tags: { 'team-a/app:v1': `sha256:${'a'.repeat(64)}` } };
    await store.save(baseline);
    assert.deepEqual(await store.load('team-a', 'r.example/team-a'), baseline);
    assert.equal(await store.load('team-a', 'r.example/team-b'), undefined, 'a rule pointed elsewhere takes a new baseline');
    assert.match(await readFile(join(dir, 'state', 'baseline-team-a.json'), 'utf8'), /"team-a\/app:v1"/);
  });

  it('refuses a damaged record with BASELINE_STORE_FAILED saying how to recover', async () => {
    await writeFile(join(dir, 'baseline-x.json'), '{"rule": "x"');
    await assert.rejects(fileBaselineStore(dir).load('x', 's'), (err: unknown) => err instanceof SigningError && err.code === 'BASELINE_STORE_FAILED' && /is not JSON .*delete it to take a new baseline/.test(err.message));
    await writeFile(join(dir, 'baseline-y.json'), JSON.stringify({ rule: 'y', scope: 's', takenAt: 't', tags: { a: 1 } }));
    await assert.rejects(fileBaselineStore(dir).load('y', 's'), (err: unknown) => err instanceof SigningError && err.code === 'BASELINE_STORE_FAILED' && /not a baseline record/.test(err.message));
  });

  it('fails with BASELINE_STORE_FAILED when the state folder cannot be written', async () => {
    await writeFile(join(dir, 'file'), 'not a folder');
    await assert.rejects(
      fileBaselineStore(join(dir, 'file', 'state')).save({ rule: 'r', scope: 's', takenAt: 't', tags: {} }),
      (err: unknown) => err instanceof SigningError && err.code === 'BASELINE_STORE_FAILED' && /cannot be written \(ENOTDIR\); check that --state-dir is writable/.test(err.message),
    );
  });
});
