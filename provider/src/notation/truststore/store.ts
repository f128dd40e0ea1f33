/**
 * Notation's X.509 trust store on disk (trust-store-trust-policy specification, "Trust Store"; notation-go
 * verifier/truststore): `<root>/x509/<type>/<name>/` holds certificate files, PEM or DER. The rules notation-go
 * enforces are kept: a valid store name, a real directory (no symlink), regular files only (no sub-folder, no symlink),
 * at least one certificate, every certificate a CA or self-signed, and `tsa` stores holding root CA certificates only.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotationError } from '../errors.js';
import type { TrustStoreType } from '../types.js';
import { parseCertificateFile, type Certificate } from '../x509/index.js';
import { checkStoreCertificate, checkStoreRef, storeInvalid } from './rules.js';

export interface TrustStore {
  /** The certificates of named store `type:name`, in file-name order; cached for the store's life. */
  getCertificates(type: TrustStoreType, name: string): Promise<readonly Certificate[]>;
}

/** Bounds on one named store. */
export const MAX_FILES_PER_STORE = 1000;
export const MAX_STORE_FILE_BYTES = 1024 * 1024;

const invalid = storeInvalid;

async function readStoreFile(dir: string, entry: Dirent, type: TrustStoreType, ref: string): Promise<Certificate[]> {
  const path = join(dir, entry.name);
  if (entry.isSymbolicLink() || entry.isDirectory() || !entry.isFile()) {
    const what = entry.isSymbolicLink() ? 'a symbolic link' : entry.isDirectory() ? 'a sub-folder' : 'not a regular file';
    throw invalid(ref, `contains "${entry.name}", which is ${what}; a named store holds regular certificate files only (${path})`);
  }
  const info = await lstat(path);
  if (info.size > MAX_STORE_FILE_BYTES) {
    throw invalid(ref, `has file "${entry.name}" of ${info.size} bytes, more than the ${MAX_STORE_FILE_BYTES}-byte limit`);
  }
  let certs: Certificate[];
  try {
    certs = parseCertificateFile(new Uint8Array(await readFile(path)), entry.name);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw invalid(ref, `has file "${entry.name}" that cannot be read as certificates: ${reason}`, err);
  }
  for (const cert of certs) checkStoreCertificate(cert, type, ref, ` in file "${entry.name}"`);
  return certs;
}

async function loadStore(root: string, type: TrustStoreType, name: string): Promise<readonly Certificate[]> {
  const ref = `${type}:${name}`;
  const dir = join(root, 'x509', type, name);
  let info;
  try {
    info = await lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotationError(
        'TRUST_STORE_NOT_FOUND',
        `trust store "${ref}" does not exist: directory ${dir} is missing; create it (mkdir -p ${dir}) and put the ` +
          `trusted ${type === 'tsa' ? 'TSA root' : 'root'} certificates in it as PEM or DER files`,
        { cause: err },
      );
    }
    throw invalid(ref, `cannot be read at ${dir}: ${(err as Error).message}`, err);
  }
  if (info.isSymbolicLink()) throw invalid(ref, `is a symbolic link at ${dir}; symlinks are not supported, use a directory`);
  if (!info.isDirectory()) throw invalid(ref, `is not a directory at ${dir}`);
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (entries.length > MAX_FILES_PER_STORE) {
    throw invalid(ref, `has ${entries.length} entries, more than the limit of ${MAX_FILES_PER_STORE}`);
  }
  const certs: Certificate[] = [];
  for (const entry of entries) certs.push(...(await readStoreFile(dir, entry, type, ref)));
  if (certs.length === 0) {
    throw invalid(ref, `has no certificates in ${dir}; add the trusted root certificates (PEM or DER files)`);
  }
  return Object.freeze(certs);
}

/** Opens the trust store rooted at `root` (the folder that contains `x509/`). Nothing is read until asked. */
export function openTrustStore(root: string): TrustStore {
  const loaded = new Map<string, Promise<readonly Certificate[]>>();
  return {
    getCertificates(type, name) {
      const bad = checkStoreRef(type, name);
      if (bad) return Promise.reject(bad);
      const key = `${type}:${name}`;
      let pending = loaded.get(key);
      if (!pending) {
        pending = loadStore(root, type, name);
        loaded.set(key, pending);
        // Failures are not kept: a store created or fixed later is read on the next call.
        pending.catch(() => loaded.delete(key));
      }
      return pending;
    },
  };
}
