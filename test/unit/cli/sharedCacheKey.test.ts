/** `signgate serve --shared-cache` needs the key that seals shared verdicts: refused without it (exit 2), and short keys refused at start. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServeArgs } from '../../../provider/src/cli/serveArgs.js';
import { startSharedCache } from '../../../provider/src/cli/sharedCache.js';
import { UsageError } from '../../../provider/src/cli/io.js';
import { Registry } from 'prom-client';
import { pino } from 'pino';

const URL = 'redis://127.0.0.1:1/0';

describe('cli serve: --shared-cache-key-file', () => {
  it('--shared-cache without a key file is a usage error that says why and how to make one', () => {
    assert.throws(
      () => parseServeArgs(['--shared-cache', URL], {}, () => 'cfg'),
      (e: unknown) => e instanceof UsageError && /--shared-cache needs --shared-cache-key-file FILE/.test(e.message) && /plant a passing verdict/.test(e.message) && /head -c 32 \/dev\/urandom/.test(e.message),
    );
  });

  it('a key file without --shared-cache is a usage error', () => {
    assert.throws(() => parseServeArgs(['--shared-cache-key-file', '/k'], {}, () => 'cfg'), (e: unknown) => e instanceof UsageError && /need --shared-cache URL/.test(e.message));
  });

  it('takes the key file from the flag or SIGNGATE_SHARED_CACHE_KEY_FILE', () => {
    const byFlag = parseServeArgs(['--shared-cache', URL, '--shared-cache-key-file', '/etc/k'], {}, () => 'cfg');
    const byEnv = parseServeArgs([], { SIGNGATE_SHARED_CACHE: URL, SIGNGATE_SHARED_CACHE_KEY_FILE: '/etc/k' }, () => 'cfg');
    for (const s of [byFlag, byEnv]) {
      assert.ok(s !== 'help');
      assert.deepEqual(s.sharedCache, { url: URL, keyFile: '/etc/k' });
    }
  });

  it('refuses a key shorter than 32 bytes, or a missing key file, before connecting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'signgate-seal-'));
    try {
      await writeFile(join(dir, 'short'), 'only-20-bytes-long!!\n');
      const start = (keyFile: string) => startSharedCache({ url: URL, keyFile }, new Registry(), pino({ level: 'silent' }), () => new Date(), 'signgate:test');
      await assert.rejects(start(join(dir, 'short')), (e: unknown) => e instanceof UsageError && /the key has 20 bytes, fewer than 32/.test(e.message));
      await assert.rejects(start(join(dir, 'absent')), (e: unknown) => e instanceof UsageError && /--shared-cache-key-file .*absent: cannot read the shared-cache key \(ENOENT\)/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
