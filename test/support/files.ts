/**
 * Writes for files that the code under test watches: a watcher may read at any moment, so a test never lets it see
 * a half-written (or truncated, empty) file. The bytes go to a temp file in the same folder, then rename(2) swaps it
 * in at once, as editors, `kubectl cp` and ConfigMap volume updates do.
 */
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function writeAtomically(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(temp, data, mode === undefined ? {} : { mode });
  await rename(temp, path);
}
