/**
 * The on-disk CRL cache (`--crl-cache-dir`): one file per distribution point URL, named by the URL's SHA-256, written
 * atomically (temporary file + rename), size-capped when read. Nothing read back is trusted: the checker parses and
 * verifies it again (issuer, signature, validity window) before use.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_CRL_BYTES } from './crl.js';

export interface CrlDirectory {
  /** The stored bytes for `url`, or undefined when none (or too large). */
  read(url: string): Promise<Uint8Array | undefined>;
  write(url: string, der: Uint8Array): Promise<void>;
}

const fileName = (url: string): string => `${createHash('sha256').update(url).digest('hex')}.crl`;

export function openCrlDirectory(dir: string): CrlDirectory {
  return {
    async read(url) {
      let handle;
      try {
        handle = await open(join(dir, fileName(url)), 'r');
      } catch {
        return undefined;
      }
      try {
        const { size } = await handle.stat();
        if (size === 0 || size > MAX_CRL_BYTES) return undefined;
        const bytes = new Uint8Array(size);
        const { bytesRead } = await handle.read(bytes, 0, size, 0);
        return bytesRead === size ? bytes : undefined;
      } finally {
        await handle.close();
      }
    },
    async write(url, der) {
      await mkdir(dir, { recursive: true });
      const target = join(dir, fileName(url));
      const temporary = `${target}.${randomUUID()}.tmp`;
      try {
        await writeFile(temporary, der, { mode: 0o644 });
        await rename(temporary, target);
      } catch (err) {
        await rm(temporary, { force: true });
        throw err;
      }
    },
  };
}
