/**
 * The key flags of `signgate sign` (and of the signing service to come): a PEM key file, a PKCS#11 URI, or a Notation
 * plugin, turned into one `keys` KeySource. Reads the files, the environment (SIGNGATE_PKCS11_MODULE, XDG_CONFIG_HOME,
 * HOME) and builds the plugin's minimal environment; nothing below cli/ does.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KeySource } from '../keys/index.js';
import { UsageError } from './io.js';

export const KEY_OPTIONS = {
  key: { type: 'string' },
  cert: { type: 'string' },
  plugin: { type: 'string' },
  id: { type: 'string' },
  'plugin-config': { type: 'string', multiple: true },
  'plugin-dir': { type: 'string' },
  'plugin-env': { type: 'string', multiple: true },
} as const;

export const KEY_HELP = `key options (one of --key FILE, --key PKCS11-URI, --plugin NAME):
  --key FILE             PEM private key (RSA 2048/3072/4096 or EC P-256/384/521); needs --cert
  --key PKCS11-URI       a key on a PKCS#11 token (RFC 7512), e.g.
      'pkcs11:token=T;object=K?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin'
                         the module may come from SIGNGATE_PKCS11_MODULE; the chain from --cert,
                         else from the token's certificate objects with the key's id
  --cert FILE            PEM certificate chain, leaf first (the leaf must hold the key's public key)
  --plugin NAME          sign through the Notation plugin notation-NAME (contract 1.0) with key --id
  --id KEY_ID            the plugin's key id
  --plugin-config K=V    passed to the plugin as pluginConfig (repeatable)
  --plugin-dir DIR       plugin folder (default $XDG_CONFIG_HOME/notation/plugins, else
                         ~/.config/notation/plugins)
  --plugin-env NAME      pass the environment variable NAME to the plugin (repeatable); it gets only
                         PATH, HOME, TMPDIR, LANG and these
`;

export interface KeyArgs {
  readonly key?: string | undefined;
  readonly cert?: string | undefined;
  readonly plugin?: string | undefined;
  readonly id?: string | undefined;
  readonly 'plugin-config'?: string[] | undefined;
  readonly 'plugin-dir'?: string | undefined;
  readonly 'plugin-env'?: string[] | undefined;
}

/** Variables every plugin gets when set: what a process needs to run and find its own configuration. */
const PLUGIN_BASE_ENV = ['PATH', 'HOME', 'TMPDIR', 'LANG'] as const;
const MAX_KEY_FILE = 1024 * 1024;

async function readInput(file: string, what: string): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    if (text.length > MAX_KEY_FILE) throw new UsageError(`${what} ${file} is larger than ${MAX_KEY_FILE} bytes`);
    return text;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export function readPemCertificates(text: string, file: string): Uint8Array[] {
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) throw new UsageError(`${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((m) => new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
}

/** Why a --key file holds no usable private key, in plain words (OpenSSL's decoder codes say nothing to people). */
function keyProblem(pem: string): string {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    return 'holds a passphrase-protected key; signgate reads unencrypted keys: write one with openssl pkey -in KEY -out plain.key';
  }
  if (/-----BEGIN CERTIFICATE-----/.test(pem) && !/PRIVATE KEY-----/.test(pem)) {
    return 'holds a certificate, not a private key; give the key with --key and the certificate chain with --cert';
  }
  if (/-----BEGIN PUBLIC KEY-----/.test(pem)) return 'holds a public key; --key needs the private key it belongs to';
  if (/PRIVATE KEY-----/.test(pem)) return 'holds a private key block that cannot be read (damaged, or not RSA or EC)';
  return 'holds no PEM private key (a -----BEGIN PRIVATE KEY----- block, RSA or EC)';
}

function loadKey(pem: string, label: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new UsageError(`${label} ${keyProblem(pem)}`, { cause: err });
  }
}

function pluginConfig(pairs: readonly string[]): Record<string, string> {
  const config: Record<string, string> = {};
  for (const kv of pairs) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--plugin-config "${kv}" must be KEY=VALUE`);
    config[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return config;
}

function pluginEnv(names: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...PLUGIN_BASE_ENV, ...names]) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--plugin-env "${name}" is not an environment variable name`);
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Notation's plugin folder: $XDG_CONFIG_HOME/notation/plugins, else ~/.config/notation/plugins. */
export function defaultPluginDir(env: NodeJS.ProcessEnv): string {
  const config = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(config, 'notation', 'plugins');
}

/** The key the flags name. Throws UsageError for a wrong combination or an unreadable file. */
export async function keySourceFromArgs(args: KeyArgs, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<KeySource> {
  const chainFrom = async (file: string): Promise<Uint8Array[]> => readPemCertificates(await readInput(file, 'certificate chain'), file);
  if (args.plugin !== undefined) {
    if (args.key !== undefined) throw new UsageError('--plugin and --key name two keys; give one');
    if (args.cert !== undefined) throw new UsageError('--cert does not apply to --plugin: the plugin returns its certificate chain');
    if (!args.id) throw new UsageError(`--plugin ${args.plugin} needs --id KEY_ID (the plugin's key id)`);
    return {
      kind: 'plugin',
      name: args.plugin,
      keyId: args.id,
      pluginConfig: pluginConfig(args['plugin-config'] ?? []),
      pluginDir: args['plugin-dir'] ?? defaultPluginDir(env),
      timeoutMs,
      env: pluginEnv(args['plugin-env'] ?? [], env),
    };
  }
  for (const flag of ['id', 'plugin-config', 'plugin-dir', 'plugin-env'] as const) {
    if (args[flag] !== undefined) throw new UsageError(`--${flag} applies only to --plugin NAME`);
  }
  if (!args.key) throw new UsageError("a key is required: --key KEY.pem --cert CHAIN.pem, --key 'pkcs11:...', or --plugin NAME --id KEY_ID");
  if (/^pkcs11:/i.test(args.key)) {
    const module = env['SIGNGATE_PKCS11_MODULE'];
    return {
      kind: 'pkcs11',
      uri: args.key,
      ...(module ? { defaultModulePath: module } : {}),
      ...(args.cert !== undefined ? { certificateChain: await chainFrom(args.cert) } : {}),
    };
  }
  if (!args.cert) throw new UsageError('--key KEY.pem needs --cert CHAIN.pem');
  return fileKeySource(await readInput(args.key, 'key'), `--key ${args.key}`, await readInput(args.cert, 'certificate chain'), args.cert, `--key ${args.key}`);
}

/** A PEM key and its PEM chain (from files, or a Kubernetes Secret's entries) as a key-file KeySource. */
export function fileKeySource(keyPem: string, keyLabel: string, chainPem: string, chainLabel: string, description: string): KeySource {
  return { kind: 'file', privateKey: loadKey(keyPem, keyLabel), certificateChain: readPemCertificates(chainPem, chainLabel), description };
}
