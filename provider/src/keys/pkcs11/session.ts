/**
 * A PKCS#11 session through pkcs11js (PeculiarVentures; the binding graphene-pk11 is built on): the module is loaded
 * and initialized once per process and path, the token is found by the URI's token attributes, one session is opened
 * and logged in once, and `close()` logs out, closes the session and finalizes the module when its last user is gone.
 * Token failures become KeyError with the PKCS#11 return value's name; the PIN never appears in a message.
 */
import { existsSync, statSync } from 'node:fs';
import pkcs11js from 'pkcs11js';
import { KeyError, type KeyErrorCode } from '../errors.js';
import type { Pkcs11Uri } from './uri.js';

interface LoadedModule {
  readonly lib: pkcs11js.PKCS11;
  users: number;
  /** Logged-in sessions per slot: C_Logout logs out every session of the process on a token, so only the last one does. */
  readonly logins: Map<bigint, number>;
}

/** One initialized module per path: PKCS#11 allows one C_Initialize per process. */
const modules = new Map<string, LoadedModule>();

/** The name of a PKCS#11 return value thrown by pkcs11js (CKR_PIN_INCORRECT, ...), or the error's message. */
export function ckr(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /\bCKR_[A-Z_]+/.exec(message)?.[0] ?? message;
}

function fail(code: KeyErrorCode, message: string, cause?: unknown): never {
  throw new KeyError(code, message, cause === undefined ? undefined : { cause });
}

function loadModule(path: string): LoadedModule {
  const loaded = modules.get(path);
  if (loaded) {
    loaded.users++;
    return loaded;
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    fail('PKCS11_MODULE_NOT_FOUND', `PKCS#11 module ${path} does not exist; install the token's PKCS#11 library or correct module-path / SIGNGATE_PKCS11_MODULE`);
  }
  const lib = new pkcs11js.PKCS11();
  try {
    lib.load(path);
    lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (err) {
    if (ckr(err) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      fail('PKCS11_MODULE_INVALID', `${path} does not load as a PKCS#11 module (${ckr(err)}); point module-path at the token vendor's PKCS#11 library`, err);
    }
  }
  const entry: LoadedModule = { lib, users: 1, logins: new Map() };
  modules.set(path, entry);
  return entry;
}

function releaseModule(path: string, entry: LoadedModule): void {
  if (--entry.users > 0) return;
  modules.delete(path);
  try {
    entry.lib.C_Finalize();
    entry.lib.close();
  } catch {
    // the process is done with the module; a failing finalize leaves nothing to undo
  }
}

const trim = (value: string): string => value.replace(/[\s\0]+$/, '');

/** Slot ids are CK_ULONG handles in host byte order. */
function slotNumber(slot: Buffer): bigint {
  return slot.length >= 8 ? slot.readBigUInt64LE(0) : BigInt(slot.readUInt32LE(0));
}

function findSlot(lib: pkcs11js.PKCS11, uri: Pkcs11Uri, modulePath: string): Buffer {
  const candidates: { slot: Buffer; label: string }[] = [];
  const seen: string[] = [];
  for (const slot of lib.C_GetSlotList(true)) {
    const info = lib.C_GetTokenInfo(slot);
    const token = { label: trim(info.label), manufacturer: trim(info.manufacturerID), model: trim(info.model), serial: trim(info.serialNumber) };
    seen.push(`"${token.label}" (slot-id ${slotNumber(slot)})`);
    if (uri.token !== undefined && uri.token !== token.label) continue;
    if (uri.manufacturer !== undefined && uri.manufacturer !== token.manufacturer) continue;
    if (uri.model !== undefined && uri.model !== token.model) continue;
    if (uri.serial !== undefined && uri.serial !== token.serial) continue;
    if (uri.slotId !== undefined && uri.slotId !== slotNumber(slot)) continue;
    candidates.push({ slot, label: token.label });
  }
  const present = seen.length > 0 ? `tokens present: ${seen.join(', ')}` : 'the module reports no token';
  if (candidates.length === 0) {
    fail('PKCS11_TOKEN_NOT_FOUND', `no token in ${modulePath} matches ${uri.redacted}; ${present} — correct token= (or serial=, slot-id=)`);
  }
  if (candidates.length > 1) {
    fail('PKCS11_TOKEN_NOT_FOUND', `${candidates.length} tokens in ${modulePath} match ${uri.redacted}; ${present} — add token=, serial= or slot-id=`);
  }
  return (candidates[0] as { slot: Buffer }).slot;
}

export interface Pkcs11Session {
  readonly lib: pkcs11js.PKCS11;
  readonly handle: Buffer;
  readonly slot: Buffer;
  readonly modulePath: string;
  /** Runs token operations one at a time (a session does one signing operation at a time). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  close(): void;
}

/** Opens and logs in one session on the token the URI names. */
export function openSession(uri: Pkcs11Uri, modulePath: string, pin: string | undefined): Pkcs11Session {
  const module = loadModule(modulePath);
  const { lib } = module;
  let handle: Buffer | undefined;
  let slotKey: bigint | undefined;
  try {
    const slot = findSlot(lib, uri, modulePath);
    handle = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
    const loginRequired = (lib.C_GetTokenInfo(slot).flags & pkcs11js.CKF_LOGIN_REQUIRED) !== 0;
    if (pin === undefined && loginRequired) {
      fail('PKCS11_PIN_INVALID', `the token of ${uri.redacted} requires a PIN; add pin-source=file:/path/to/pin (or pin-value=) to the URI`);
    }
    if (pin !== undefined) {
      try {
        lib.C_Login(handle, pkcs11js.CKU_USER, pin);
      } catch (err) {
        const rv = ckr(err);
        if (rv !== 'CKR_USER_ALREADY_LOGGED_IN') {
          const hint = rv === 'CKR_PIN_LOCKED' ? 'the PIN is locked; unlock it with the security officer PIN' : 'check the PIN in pin-value / pin-source';
          fail('PKCS11_PIN_INVALID', `login to the token of ${uri.redacted} failed (${rv}): ${hint}`, err);
        }
      }
      slotKey = slotNumber(slot);
      module.logins.set(slotKey, (module.logins.get(slotKey) ?? 0) + 1);
    }
    const loggedInSlot = slotKey;
    let queue: Promise<unknown> = Promise.resolve();
    const session = handle;
    return {
      lib,
      handle: session,
      slot,
      modulePath,
      exclusive<T>(work: () => Promise<T>): Promise<T> {
        const next = queue.then(work, work);
        queue = next.catch(() => undefined);
        return next;
      },
      close(): void {
        const remaining = loggedInSlot === undefined ? undefined : (module.logins.get(loggedInSlot) ?? 1) - 1;
        if (loggedInSlot !== undefined && remaining !== undefined) module.logins.set(loggedInSlot, remaining);
        try {
          if (remaining === 0) lib.C_Logout(session);
        } catch {
          // the token logged the session out already (removed, reset)
        }
        try {
          lib.C_CloseSession(session);
        } catch {
          // the token closed it already (removed, reset): nothing is left to close
        }
        releaseModule(modulePath, module);
      },
    };
  } catch (err) {
    if (handle !== undefined) {
      try {
        lib.C_CloseSession(handle);
      } catch {
        // closing after a failed open: nothing more to undo
      }
    }
    releaseModule(modulePath, module);
    if (err instanceof KeyError) throw err;
    return fail('PKCS11_MODULE_INVALID', `the PKCS#11 module ${modulePath} failed while opening ${uri.redacted} (${ckr(err)})`, err);
  }
}
