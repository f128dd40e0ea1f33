/**
 * Docker config files built from Secrets (a Store's `authProvider`): the loader hands over the merged config.json and
 * gets back the path that becomes the Store's `dockerConfigPath`. Each file is written mode 0600 in a private state
 * folder and named by its content's hash, so a rotated Secret yields a new path (the registry pool then makes a new
 * client) and an unchanged one the same path. Files no accepted configuration uses are removed.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerConfigWriter } from '../config/index.js';

const PREFIX = 'docker-config-';

/** A DockerConfigWriter into `stateDir` that adds every path it returns to `written`. */
export function dockerConfigWriter(stateDir: string, written: Set<string>): DockerConfigWriter {
  return async (json) => {
    const file = join(stateDir, `${PREFIX}${createHash('sha256').update(json).digest('hex').slice(0, 16)}.json`);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFile(file, json, { mode: 0o600 });
    await chmod(file, 0o600);
    written.add(file);
    return file;
  };
}

/** Removes docker config files of earlier loads that the current one does not use. */
export async function removeStaleFiles(stateDir: string, keep: ReadonlySet<string>): Promise<void> {
  let names: string[];
  try {
    names = await readdir(stateDir);
  } catch {
    return;
  }
  for (const n of names) {
    const file = join(stateDir, n);
    if (n.startsWith(PREFIX) && !keep.has(file)) await rm(file, { force: true });
  }
}
