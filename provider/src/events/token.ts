/**
 * The bearer token a registry sends with its notifications (`Authorization: Bearer <token>`; docker-registry's
 * endpoint `headers:`, Harbor's webhook "Auth Header"). The token lives in a file (a mounted Secret) that is
 * re-read when it changes (inode, size or mtime), so a rotated token takes effect without a restart. Tokens are
 * compared as SHA-256 digests with timingSafeEqual: constant time whatever their lengths.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { EventError } from './errors.js';

const MAX_TOKEN_BYTES = 4096;
const MIN_TOKEN_CHARS = 16;
const MAX_HEADER_CHARS = 8192;

export interface TokenCheck {
  /** Resolves when `authorization` carries the current token; throws EventError otherwise (fail closed). */
  check(authorization: string | undefined): Promise<void>;
}

interface Loaded {
  readonly stamp: string;
  readonly digest?: Buffer;
  readonly problem?: string;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

async function load(file: string, stamp: string): Promise<Loaded> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    return { stamp, problem: `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  if (bytes.byteLength > MAX_TOKEN_BYTES) return { stamp, problem: `is larger than ${MAX_TOKEN_BYTES} bytes` };
  const token = bytes.toString('utf8').trim();
  if (token.length < MIN_TOKEN_CHARS) return { stamp, problem: `holds no token of at least ${MIN_TOKEN_CHARS} characters` };
  if (/\s/.test(token)) return { stamp, problem: 'holds whitespace inside the token' };
  return { stamp, digest: sha256(token) };
}

/** A TokenCheck reading `file` (trimmed; at least 16 characters, no inner whitespace). */
export function fileTokenCheck(file: string): TokenCheck {
  let loaded: Loaded | undefined;
  const current = async (): Promise<Loaded> => {
    let stamp: string;
    try {
      const s = await stat(file);
      stamp = `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (err) {
      return { stamp: '', problem: `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
    }
    if (loaded?.stamp !== stamp) loaded = await load(file, stamp);
    return loaded;
  };
  return {
    async check(authorization) {
      const token = await current();
      if (token.digest === undefined) {
        throw new EventError('TOKEN_FILE_INVALID', `the token file ${file} ${token.problem ?? 'is unusable'}; every notification is refused until it holds the token`);
      }
      const header = authorization ?? '';
      if (header.length > MAX_HEADER_CHARS) throw new EventError('EVENT_UNAUTHENTICATED', `the notification's Authorization header is longer than ${MAX_HEADER_CHARS} characters`);
      const presented = /^Bearer +(\S+)$/i.exec(header.trim())?.[1];
      if (presented === undefined) {
        throw new EventError('EVENT_UNAUTHENTICATED', 'the notification has no "Authorization: Bearer <token>" header; configure the registry endpoint to send the token of --token-file');
      }
      if (!timingSafeEqual(sha256(presented), token.digest)) {
        throw new EventError('EVENT_UNAUTHENTICATED', 'the notification\'s bearer token is not the one in --token-file; give the registry endpoint the current token');
      }
    },
  };
}
