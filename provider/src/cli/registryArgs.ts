import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from '../oci/index.js';
import { crossFetch } from './crossFetch.js';
import { UsageError } from './io.js';

/** The registry flags shared by resolve, verify and sign. */
export const REGISTRY_OPTIONS = {
  'plain-http': { type: 'string', multiple: true },
  'allowed-token-realm': { type: 'string', multiple: true },
  'ca-file': { type: 'string' },
  'registry-config': { type: 'string' },
  timeout: { type: 'string' },
} as const;

export const REGISTRY_HELP = `registry options:
  --plain-http HOST      reach HOST (host or host:port) over plain HTTP (repeatable; loopback hosts
                         always are)
  --allowed-token-realm HOST
                         let the token service at HOST (host or host:port) receive registry
                         credentials although it is not on the registry's own domain (repeatable;
                         the Store's allowedTokenRealms)
  --ca-file FILE         PEM bundle of extra CA certificates trusted for registry TLS
  --registry-config FILE Docker config.json with registry credentials (default:
                         $DOCKER_CONFIG/config.json or ~/.docker/config.json when present)
  --timeout DURATION     give up after this long (default 30s), e.g. 10s, 2m
`;

export interface RegistryArgs {
  readonly 'plain-http'?: string[] | undefined;
  readonly 'allowed-token-realm'?: string[] | undefined;
  readonly 'ca-file'?: string | undefined;
  readonly 'registry-config'?: string | undefined;
  readonly timeout?: string | undefined;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h", "90s", "500ms", "7d" -> milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNITS[m[2] as string] as number);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function defaultDockerConfig(env: NodeJS.ProcessEnv): string | undefined {
  const path = join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  return existsSync(path) ? path : undefined;
}

/** The --timeout in milliseconds (default 30 s); a usage error for anything but a positive duration. */
export function timeoutFromArgs(args: RegistryArgs): number {
  const timeoutMs = args.timeout === undefined ? 30_000 : parseDuration(args.timeout);
  if (timeoutMs === undefined) throw new UsageError(`--timeout "${args.timeout ?? ''}" is not a duration such as 30s or 2m`);
  return timeoutMs;
}

/**
 * Builds the registry client from the flags (cross-fetch: it honours --ca-file and keep-alive; see oci/README.md).
 * The registry client is imported here, on first use, so that `--help` and argument errors never load it.
 */
export async function registryFromArgs(
  args: RegistryArgs,
  clock: () => Date,
  env: NodeJS.ProcessEnv,
): Promise<{ registry: Registry; timeoutMs: number }> {
  const timeoutMs = timeoutFromArgs(args);
  const { createRegistry, loadDockerConfig } = await import('../oci/index.js');
  const configPath = args['registry-config'] ?? defaultDockerConfig(env);
  const registry = await createRegistry({
    fetch: crossFetch,
    clock,
    plainHttpHosts: args['plain-http'] ?? [],
    allowedTokenRealms: args['allowed-token-realm'] ?? [],
    ...(args['ca-file'] ? { caFile: args['ca-file'] } : {}),
    ...(configPath ? { credentials: await loadDockerConfig(configPath) } : {}),
    userAgent: 'signgate/0.1.0',
  });
  return { registry, timeoutMs };
}
