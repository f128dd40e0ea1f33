import assert from 'node:assert/strict';
import { mkdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { parseRuntimeSettings, ServerError, watchSettingsFile, type Deadlines, type SettingsFile } from '../../../provider/src/server/index.js';
import { TempDirs } from '../verify/fixtures.js';
import { writeAtomically } from '../../support/files.js';
import { waitFor } from '../../support/waitFor.js';

function capture(): { logger: Logger; lines: () => { level: number; msg: string }[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines: () => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { level: number; msg: string }) };
}

function settingsError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof ServerError, String(e));
    assert.equal(e.code, 'SETTINGS_INVALID');
    assert.match(e.message, pattern);
    return true;
  };
}

describe('server/runtimeSettings: the --settings file', function () {
  describe('parseRuntimeSettings', function () {
    it('reads YAML and JSON durations in ms or s; an empty file sets nothing', function () {
      assert.deepEqual(parseRuntimeSettings('verifyTimeout: 4900ms\nmutateTimeout: 2s\n', 's.yaml'), { verifyTimeoutMs: 4900, mutateTimeoutMs: 2000 });
      assert.deepEqual(parseRuntimeSettings('{"verifyTimeout": "3s"}', 's.json'), { verifyTimeoutMs: 3000 });
      assert.deepEqual(parseRuntimeSettings('# nothing overridden\n', 's.yaml'), {});
      assert.deepEqual(parseRuntimeSettings('', 's.yaml'), {});
    });

    it('rejects every bad field at once, naming the file and the field', function () {
      assert.throws(
        () => parseRuntimeSettings('verifyTimeout: 4900\nmutateTimeout: soon\nverfiyTimeout: 1s\n', '/etc/signgate/settings.yaml'),
        settingsError(
          /^settings file \/etc\/signgate\/settings\.yaml: verifyTimeout: must be a duration with a unit, like 4900ms or 2s, got the number 4900; mutateTimeout: .* got the string "soon"; verfiyTimeout: unknown setting \(known: verifyTimeout, mutateTimeout\)$/,
        ),
      );
      assert.throws(() => parseRuntimeSettings('verifyTimeout: 0ms', 'f.yaml'), settingsError(/f\.yaml: verifyTimeout: must be between 1ms and 600s, got "0ms"/));
      assert.throws(() => parseRuntimeSettings('mutateTimeout: 601s', 'f.yaml'), settingsError(/mutateTimeout: must be between 1ms and 600s/));
      assert.throws(() => parseRuntimeSettings('mutateTimeout: [1s]', 'f.yaml'), settingsError(/mutateTimeout: .* got a list/));
    });

    it('rejects a document that is not a mapping, malformed YAML and duplicate keys', function () {
      assert.throws(() => parseRuntimeSettings('- verifyTimeout: 1s\n', 'f.yaml'), settingsError(/f\.yaml: must be a mapping such as "verifyTimeout: 4900ms", got a list/));
      assert.throws(() => parseRuntimeSettings('verifyTimeout: [1s\n', 'f.yaml'), settingsError(/f\.yaml: not valid YAML or JSON/));
      assert.throws(() => parseRuntimeSettings('verifyTimeout: 1s\nverifyTimeout: 2s\n', 'f.yaml'), settingsError(/f\.yaml: not valid YAML or JSON \(Map keys must be unique/));
      assert.throws(() => parseRuntimeSettings('a: &x 1s\nverifyTimeout: *x\n', 'f.yaml'), settingsError(/f\.yaml: YAML anchors and aliases are not supported/));
    });
  });

  describe('watchSettingsFile', function () {
    const dirs = new TempDirs();
    let watch: SettingsFile | undefined;
    afterEach(function () {
      watch?.close();
      watch = undefined;
    });
    after(() => dirs.cleanup());

    const base: Readonly<Deadlines> = { verifyMs: 4900, mutateMs: 1950 };

    it('applies the file over the flags at start, then each rewrite without a restart, logging each change', async function () {
      const dir = await dirs.make();
      const file = join(dir, 'settings.yaml');
      await writeFile(file, 'verifyTimeout: 2s\n');
      const log = capture();
      const deadlines: Deadlines = { ...base };
      watch = await watchSettingsFile({ file, base, deadlines, logger: log.logger, debounceMs: 20, pollMs: 0 });
      assert.deepEqual(deadlines, { verifyMs: 2000, mutateMs: 1950 });
      // replace by rename, as editors and `kubectl cp` do
      await writeAtomically(file, 'verifyTimeout: 3s\nmutateTimeout: 500ms\n');
      await waitFor(() => deadlines.mutateMs === 500, 'mutateTimeout 500ms from the rewritten file');
      assert.deepEqual(deadlines, { verifyMs: 3000, mutateMs: 500 });
      // a field removed from the file returns to its flag value
      await writeAtomically(file, 'mutateTimeout: 500ms\n');
      await waitFor(() => deadlines.verifyMs === 4900, 'verifyTimeout back to its flag value');
      const changes = log.lines().filter((l) => l.msg.startsWith('settings changed')).map((l) => l.msg);
      assert.deepEqual(changes, [
        'settings changed: verifyTimeout 4900ms -> 2000ms',
        'settings changed: verifyTimeout 2000ms -> 3000ms, mutateTimeout 1950ms -> 500ms',
        'settings changed: verifyTimeout 3000ms -> 4900ms',
      ]);
    });

    it('keeps the last good values when the file turns invalid or disappears, and says why', async function () {
      const dir = await dirs.make();
      const file = join(dir, 'settings.yaml');
      await writeFile(file, 'verifyTimeout: 2s\n');
      const log = capture();
      const deadlines: Deadlines = { ...base };
      watch = await watchSettingsFile({ file, base, deadlines, logger: log.logger, debounceMs: 20, pollMs: 0 });
      await writeAtomically(file, 'verifyTimeout: 2 seconds\n');
      assert.equal(await watch.reload(), false);
      assert.deepEqual(deadlines, { verifyMs: 2000, mutateMs: 1950 });
      assert.match(watch.lastError() ?? '', /settings\.yaml: verifyTimeout: must be a duration with a unit, like 4900ms or 2s, got the string "2 seconds"/);
      const warning = log.lines().find((l) => l.level === 40);
      assert.match(warning?.msg ?? '', /^settings rejected, the last good values stay: settings file .*settings\.yaml: verifyTimeout/);
      await unlink(file);
      assert.equal(await watch.reload(), false);
      assert.match(watch.lastError() ?? '', /settings\.yaml: cannot read it/);
      assert.deepEqual(deadlines, { verifyMs: 2000, mutateMs: 1950 });
      await writeAtomically(file, 'verifyTimeout: 1s\n');
      assert.equal(await watch.reload(), true);
      assert.equal(watch.lastError(), undefined);
      assert.equal(deadlines.verifyMs, 1000);
    });

    it('follows a Kubernetes ConfigMap volume update (the ..data symlink swap)', async function () {
      const dir = await dirs.make();
      // the kubelet's layout: settings.yaml -> ..data/settings.yaml, ..data -> ..<timestamp>/
      await mkdir(join(dir, '..v1'));
      await writeFile(join(dir, '..v1', 'settings.yaml'), 'mutateTimeout: 1s\n');
      await symlink('..v1', join(dir, '..data'));
      await symlink(join('..data', 'settings.yaml'), join(dir, 'settings.yaml'));
      const deadlines: Deadlines = { ...base };
      watch = await watchSettingsFile({ file: join(dir, 'settings.yaml'), base, deadlines, logger: pino({ level: 'silent' }), debounceMs: 20, pollMs: 0 });
      assert.equal(deadlines.mutateMs, 1000);
      await mkdir(join(dir, '..v2'));
      await writeFile(join(dir, '..v2', 'settings.yaml'), 'mutateTimeout: 750ms\n');
      await symlink('..v2', join(dir, '..data_tmp'));
      await rename(join(dir, '..data_tmp'), join(dir, '..data'));
      await rm(join(dir, '..v1'), { recursive: true });
      await waitFor(() => deadlines.mutateMs === 750, 'mutateTimeout 750ms after the ..data swap');
    });

    it('re-reads on the poll when no event arrives', async function () {
      const dir = await dirs.make();
      const file = join(dir, 'settings.yaml');
      await writeFile(file, 'verifyTimeout: 2s\n');
      const deadlines: Deadlines = { ...base };
      // the watch event waits out a 60 s debounce: only the poll can see the change in time
      watch = await watchSettingsFile({ file, base, deadlines, logger: pino({ level: 'silent' }), debounceMs: 60_000, pollMs: 30 });
      await writeAtomically(file, 'verifyTimeout: 250ms\n');
      await waitFor(() => deadlines.verifyMs === 250, 'the poll to apply verifyTimeout 250ms');
    });

    it('refuses to start on a missing or invalid file, naming it', async function () {
      const dir = await dirs.make();
      const deadlines: Deadlines = { ...base };
      await assert.rejects(
        watchSettingsFile({ file: join(dir, 'absent.yaml'), base, deadlines, logger: pino({ level: 'silent' }) }),
        settingsError(/settings file .*absent\.yaml: cannot read it/),
      );
      await writeFile(join(dir, 'bad.yaml'), 'deadline: 1s\n');
      await assert.rejects(watchSettingsFile({ file: join(dir, 'bad.yaml'), base, deadlines, logger: pino({ level: 'silent' }) }), settingsError(/bad\.yaml: deadline: unknown setting/));
      assert.deepEqual(deadlines, base);
    });
  });
});
