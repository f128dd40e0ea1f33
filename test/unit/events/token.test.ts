import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventError, fileTokenCheck, type EventErrorCode } from '../../../provider/src/events/index.js';

async function refused(promise: Promise<void>, code: EventErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof EventError && err.code === code && message.test(err.message));
}

describe('events: fileTokenCheck', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'signgate-token-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts the file token and refuses a missing, malformed or different one', async () => {
    const file = join(dir, 'token');
    await writeFile(file, 'first-token-0123456789\n');
    const tokens = fileTokenCheck(file);
    await tokens.check('Bearer first-token-0123456789');
    await tokens.check('bearer   first-token-0123456789');
    await refused(tokens.check(undefined), 'EVENT_UNAUTHENTICATED', /no "Authorization: Bearer <token>" header/);
    await refused(tokens.check('Basic Zm9vOmJhcg=='), 'EVENT_UNAUTHENTICATED', /no "Authorization: Bearer/);
    await refused(tokens.check('Bearer first-token-012345678'), 'EVENT_UNAUTHENTICATED', /not the one in --token-file/);
    await refused(tokens.check(`Bearer ${'x'.repeat(100_000)}`), 'EVENT_UNAUTHENTICATED', /Authorization header is longer than 8192/);
  });

  it('re-reads the file when it is replaced (token rotation)', async () => {
    const file = join(dir, 'token');
    await writeFile(file, 'first-token-0123456789');
    const tokens = fileTokenCheck(file);
    await tokens.check('Bearer first-token-0123456789');
    await writeFile(join(dir, 'next'), 'second-token-0123456789');
    await rename(join(dir, 'next'), file);
    await refused(tokens.check('Bearer first-token-0123456789'), 'EVENT_UNAUTHENTICATED', /not the one/);
    await tokens.check('Bearer second-token-0123456789');
  });

  it('fails closed when the file is missing, empty or too short', async () => {
    await refused(fileTokenCheck(join(dir, 'absent')).check('Bearer anything-0123456789'), 'TOKEN_FILE_INVALID', /absent cannot be read \(ENOENT\).*every notification is refused/);
    const short = join(dir, 'short');
    await writeFile(short, 'abc\n');
    await refused(fileTokenCheck(short).check('Bearer abc'), 'TOKEN_FILE_INVALID', /no token of at least 16 characters/);
  });
});
