/**
 * A SoftHSM2 token of its own for a test: a temp softhsm2.conf (directories.tokendir in a temp dir) that
 * SOFTHSM2_CONF points at, a token initialized with softhsm2-util, and key pairs generated ON the token through the
 * PKCS#11 binding, private halves CKA_SENSITIVE and not CKA_EXTRACTABLE. Only the public half is read back, to issue
 * the certificate. Installed by .ci/deps (Debian softhsm2); tests call requireComponent(ctx, 'softhsm2') first.
 */
import { execFile } from 'node:child_process';
import { createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pkcs11js from 'pkcs11js';
import { parseCertificate } from '../../provider/src/notation/index.js';
import type { KeyKind, KeyPair } from './pki.js';
import { SOFTHSM2_MODULE } from './requirements.js';

const run = promisify(execFile);

export interface SoftHsm {
  readonly dir: string;
  readonly modulePath: string;
  readonly token: string;
  readonly pin: string;
  /** Generates a key pair on the token; returns its public half as a pki.ts KeyPair (no private half). */
  generate(kind: KeyKind, label: string, id: string): Promise<KeyPair>;
  /** Stores a certificate object with CKA_ID = id (hex). */
  importCertificate(der: Uint8Array, label: string, id: string): void;
  /** Reads an attribute of the private key with this label (to show it is not extractable). */
  privateKeyFlags(label: string): { sensitive: boolean; extractable: boolean };
  stop(): Promise<void>;
}

const EC_PARAMS: Partial<Record<KeyKind, string>> = {
  'ec-p256': '06082a8648ce3d030107',
  'ec-p384': '06052b81040022',
  'ec-p521': '06052b81040023',
};

/** Runs `work` with a logged-in read-write session; the module is finalized afterwards (signgate opens its own). */
function withSession<T>(token: string, pin: string, work: (lib: pkcs11js.PKCS11, session: Buffer) => T): T {
  const lib = new pkcs11js.PKCS11();
  lib.load(SOFTHSM2_MODULE);
  lib.C_Initialize();
  try {
    const slot = lib.C_GetSlotList(true).find((s) => lib.C_GetTokenInfo(s).label.trim() === token);
    if (!slot) throw new Error(`SoftHSM token ${token} not found`);
    const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    lib.C_Login(session, pkcs11js.CKU_USER, pin);
    try {
      return work(lib, session);
    } finally {
      lib.C_Logout(session);
      lib.C_CloseSession(session);
    }
  } finally {
    lib.C_Finalize();
    lib.close();
  }
}

function publicKeyOf(lib: pkcs11js.PKCS11, session: Buffer, handle: Buffer, kind: KeyKind): KeyObject {
  if (kind.startsWith('rsa')) {
    const [n, e] = lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]);
    return createPublicKey({ key: { kty: 'RSA', n: (n?.value as Buffer).toString('base64url'), e: (e?.value as Buffer).toString('base64url') }, format: 'jwk' });
  }
  const [point] = lib.C_GetAttributeValue(session, handle, [{ type: pkcs11js.CKA_EC_POINT }]);
  const raw = point?.value as Buffer;
  const bytes = { 'ec-p256': 32, 'ec-p384': 48, 'ec-p521': 66 }[kind as 'ec-p256'];
  const xy = raw.subarray(raw.length - 2 * bytes);
  const crv = { 'ec-p256': 'P-256', 'ec-p384': 'P-384', 'ec-p521': 'P-521' }[kind as 'ec-p256'];
  return createPublicKey({ key: { kty: 'EC', crv, x: xy.subarray(0, bytes).toString('base64url'), y: xy.subarray(bytes).toString('base64url') }, format: 'jwk' });
}

export async function createSoftHsm(options: { token?: string; pin?: string } = {}): Promise<SoftHsm> {
  const dir = await mkdtemp(join(tmpdir(), 'signgate-softhsm-'));
  await mkdir(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const previous = process.env['SOFTHSM2_CONF'];
  process.env['SOFTHSM2_CONF'] = conf; // SoftHSM reads it at C_Initialize, in this process and in children
  const token = options.token ?? 'signgate-test';
  const pin = options.pin ?? '1234';
  await run('softhsm2-util', ['--init-token', '--free', '--label', token, '--pin', pin, '--so-pin', '87654321']);
  return {
    dir,
    modulePath: SOFTHSM2_MODULE,
    token,
    pin,
    async generate(kind, label, id) {
      const publicKey = withSession(token, pin, (lib, session) => {
        const common = [
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_LABEL, value: label },
          { type: pkcs11js.CKA_ID, value: Buffer.from(id, 'hex') },
        ];
        const rsa = kind.startsWith('rsa');
        const pub = rsa
          ? [...common, { type: pkcs11js.CKA_VERIFY, value: true }, { type: pkcs11js.CKA_MODULUS_BITS, value: Number(kind.slice(4)) }, { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) }]
          : [...common, { type: pkcs11js.CKA_VERIFY, value: true }, { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(EC_PARAMS[kind] as string, 'hex') }];
        const priv = [
          ...common,
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SIGN, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        ];
        const mechanism = { mechanism: rsa ? pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN : pkcs11js.CKM_EC_KEY_PAIR_GEN };
        const keys = lib.C_GenerateKeyPair(session, mechanism, pub, priv);
        return publicKeyOf(lib, session, keys.publicKey, kind);
      });
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const algorithm = kind.startsWith('rsa')
        ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
        : { name: 'ECDSA', namedCurve: { 'ec-p256': 'P-256', 'ec-p384': 'P-384', 'ec-p521': 'P-521' }[kind as 'ec-p256'] };
      const cryptoKey = await webcrypto.subtle.importKey('spki', spki, algorithm, true, ['verify']);
      // the certificate generator reads only the public key of a subject; there is no private half to give it
      return { kind, keys: { publicKey: cryptoKey, privateKey: cryptoKey }, privateKey: undefined as unknown as KeyObject } as KeyPair;
    },
    importCertificate(der, label, id) {
      withSession(token, pin, (lib, session) => {
        lib.C_CreateObject(session, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_CERTIFICATE },
          { type: pkcs11js.CKA_CERTIFICATE_TYPE, value: pkcs11js.CKC_X_509 },
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_LABEL, value: label },
          { type: pkcs11js.CKA_ID, value: Buffer.from(id, 'hex') },
          { type: pkcs11js.CKA_SUBJECT, value: Buffer.from(parseCertificate(der).rawSubject) },
          { type: pkcs11js.CKA_VALUE, value: Buffer.from(der) },
        ]);
      });
    },
    privateKeyFlags(label) {
      return withSession(token, pin, (lib, session) => {
        lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: label }]);
        const [handle] = lib.C_FindObjects(session, 1);
        lib.C_FindObjectsFinal(session);
        const [s, e] = lib.C_GetAttributeValue(session, handle as Buffer, [{ type: pkcs11js.CKA_SENSITIVE }, { type: pkcs11js.CKA_EXTRACTABLE }]);
        return { sensitive: (s?.value as Buffer)[0] === 1, extractable: (e?.value as Buffer)[0] === 1 };
      });
    },
    async stop() {
      if (previous === undefined) delete process.env['SOFTHSM2_CONF'];
      else process.env['SOFTHSM2_CONF'] = previous;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
