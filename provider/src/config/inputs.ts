/**
 * Every file and folder a load reads goes through an InputTracker, which bounds the read, hashes what was read (so a
 * reload that finds the same bytes is not a change) and stamps it (so a poll can tell that something changed without
 * reading it again).
 */
import { createHash, type Hash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';

/** `mtime:size` of a file, the sorted entry names of a folder, or `missing`. */
export type Stamps = ReadonlyMap<string, string>;

export class InputTooLargeError extends Error {}

async function stampOf(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) {
      const names = (await readdir(path)).sort();
      return `dir:${info.mtimeMs}:${names.join('/')}`;
    }
    return `file:${info.mtimeMs}:${info.size}`;
  } catch {
    return 'missing';
  }
}

/** True when any stamped path changed since it was stamped. */
export async function stampsChanged(stamps: Stamps): Promise<boolean> {
  for (const [path, stamp] of stamps) {
    if ((await stampOf(path)) !== stamp) return true;
  }
  return false;
}

export class InputTracker {
  readonly stamps = new Map<string, string>();
  private readonly hash: Hash = createHash('sha256');

  /** Hex SHA-256 over every path and content read, in read order. */
  digest(): string {
    return this.hash.copy().digest('hex');
  }

  /** What a path is; records `missing` for a path that does not exist (so its creation is noticed). */
  async kindOf(path: string): Promise<'file' | 'directory' | 'other' | 'missing'> {
    try {
      const info = await stat(path);
      return info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
        this.stamps.set(path, 'missing');
        this.hash.update(`missing\0${path}\0`);
        return 'missing';
      }
      throw err;
    }
  }

  /** The file's bytes; throws InputTooLargeError above `limit` bytes (checked before and after reading). */
  async readFile(path: string, limit: number): Promise<Uint8Array> {
    const info = await stat(path);
    this.stamps.set(path, `file:${info.mtimeMs}:${info.size}`);
    if (info.size > limit) throw new InputTooLargeError(`is ${info.size} bytes, more than the ${limit}-byte limit`);
    const bytes = new Uint8Array(await readFile(path));
    if (bytes.byteLength > limit) throw new InputTooLargeError(`is more than the ${limit}-byte limit`);
    this.hash.update(`file\0${path}\0${bytes.byteLength}\0`);
    this.hash.update(bytes);
    return bytes;
  }

  /** A file read by someone else (the Notation trust-store reader): stamped and hashed by mtime and size. */
  async noteFile(path: string): Promise<void> {
    const stamp = await stampOf(path);
    this.stamps.set(path, stamp);
    this.hash.update(`noted\0${path}\0${stamp}\0`);
  }

  /** The sorted entry names of a folder, recorded so an added or removed file is noticed. */
  async listDirectory(path: string): Promise<string[]> {
    const info = await stat(path);
    const names = (await readdir(path)).sort();
    this.stamps.set(path, `dir:${info.mtimeMs}:${names.join('/')}`);
    this.hash.update(`dir\0${path}\0${names.join('\0')}\0`);
    return names;
  }
}
