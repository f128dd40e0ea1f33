/**
 * Registry credentials: the Credential shapes the client accepts and a reader for Docker's config.json `auths`
 * (`auth` = base64 "user:password", `username`/`password`, `identitytoken`, `registrytoken`). Credential helpers
 * (`credsStore`, `credHelpers`) run programs and are not supported here; a composition root may add them.
 * Secrets never appear in error messages.
 */
import { readFile } from 'node:fs/promises';
import { jsonSyntaxProblem } from '../jsonText.js';
import { canonicalRegistry } from './reference.js';
import { OciError } from './errors.js';
import { isPlainObject } from './descriptor.js';

export type Credential =
  | { readonly username: string; readonly password: string }
  /** An OAuth2 refresh token (docker login with an identity provider): exchanged at the token realm. */
  | { readonly identityToken: string }
  /** A bearer token sent as is. */
  | { readonly registryToken: string };

/** Credentials for a registry host[:port] (as in a Reference), or undefined for anonymous access. */
export type CredentialLookup = (registry: string) => Credential | undefined | Promise<Credential | undefined>;

const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * The canonical registry a Docker config key names (`https://index.docker.io/v1/` -> `docker.io`,
 * `http://LOCALHOST:05000/v2/` -> `localhost:5000`), or undefined for a key that names no registry (it can never match).
 */
function registryOfKey(key: string): string | undefined {
  const host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '');
  try {
    return canonicalRegistry(host, { singleLabel: true });
  } catch {
    return undefined;
  }
}

function invalid(where: string, problem: string): OciError {
  return new OciError('CREDENTIALS_INVALID', `${where}: ${problem}`);
}

function parseEntry(value: unknown, where: string): Credential | undefined {
  if (!isPlainObject(value)) throw invalid(where, 'expected an object');
  const str = (k: string): string | undefined => {
    const v = value[k];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw invalid(`${where}.${k}`, 'expected a string');
    return v;
  };
  const registryToken = str('registrytoken');
  if (registryToken !== undefined) return { registryToken };
  const identityToken = str('identitytoken');
  if (identityToken !== undefined) return { identityToken };
  const auth = str('auth');
  if (auth !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth)) throw invalid(`${where}.auth`, 'is not base64');
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw invalid(`${where}.auth`, 'does not decode to "username:password"');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  const username = str('username');
  const password = str('password');
  if (username !== undefined && password !== undefined) return { username, password };
  return undefined;
}

/** Validates a parsed Docker config.json into a lookup; `where` names the file for messages. */
export function parseDockerConfig(value: unknown, where = 'Docker config'): CredentialLookup {
  if (!isPlainObject(value)) throw invalid(where, 'expected a JSON object');
  const auths = value['auths'] ?? {};
  if (!isPlainObject(auths)) throw invalid(`${where}: auths`, 'expected an object keyed by registry');
  const table = new Map<string, Credential>();
  for (const [key, entry] of Object.entries(auths)) {
    const credential = parseEntry(entry, `${where}: auths["${key.slice(0, 100)}"]`);
    if (credential !== undefined) table.set(key, credential);
  }
  return staticCredentials(table);
}

/** Reads and validates a Docker config.json (bounded to 1 MiB). */
export async function loadDockerConfig(path: string): Promise<CredentialLookup> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.byteLength > MAX_CONFIG_BYTES) throw invalid(path, `is larger than ${MAX_CONFIG_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (cause) {
    if (cause instanceof OciError) throw cause;
    throw new OciError('CREDENTIALS_INVALID', `Docker config ${path} cannot be read: ${(cause as Error).message}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (cause) {
    // no cause: the SyntaxError's message quotes the text around the error, which here is a credential
    throw new OciError('CREDENTIALS_INVALID', `Docker config ${path} is not valid JSON: ${jsonSyntaxProblem(text, cause)}`);
  }
  return parseDockerConfig(json, `Docker config ${path}`);
}

/**
 * A lookup over a fixed table keyed by registry, each key taken in canonical form (any spelling of a registry, Docker
 * Hub under any of its names); where two keys name the same registry the first one wins.
 */
export function staticCredentials(table: ReadonlyMap<string, Credential> | Readonly<Record<string, Credential>>): CredentialLookup {
  const map = new Map<string, Credential>();
  const entries = table instanceof Map ? [...table.entries()] : Object.entries(table);
  for (const [k, v] of entries) {
    const registry = registryOfKey(k);
    if (registry !== undefined && !map.has(registry)) map.set(registry, v);
  }
  return (registry) => map.get(registryOfKey(registry) ?? '');
}
