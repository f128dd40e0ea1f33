import { parseArgs } from 'node:util';
import { formatReference, parseReference } from '../oci/index.js';
import type { CommandIO } from './io.js';
import { REGISTRY_HELP, REGISTRY_OPTIONS, exitCodeFor, registryFromArgs } from './registryArgs.js';

const HELP = `usage: signgate resolve REF [registry options]

Resolves REF (a tag or digest reference) to host/repo@sha256:<hex> and prints it.

${REGISTRY_HELP}
exit codes: 0 resolved, 2 usage error (bad reference or flags), 3 could not resolve (registry unreachable, unknown tag)
`;

/** `signgate resolve REF`: prints the digest reference the registry resolves REF to. */
export async function resolveCommand(argv: readonly string[], io: CommandIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: { ...REGISTRY_OPTIONS, help: { type: 'boolean', short: 'h' } }, allowPositionals: true }));
    if (values.help) {
      io.stdout.write(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new Error('expected exactly one image reference, e.g. signgate resolve localhost:5000/app:v1');
  } catch (err) {
    io.stderr.write(`signgate resolve: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  try {
    const ref = parseReference(positionals[0] as string);
    const { registry, timeoutMs } = await registryFromArgs(values, () => new Date(), env);
    try {
      const subject = await registry.repository(ref).resolve(undefined, { signal: AbortSignal.timeout(timeoutMs) });
      io.stdout.write(`${formatReference({ registry: ref.registry, repository: ref.repository, digest: subject.digest })}\n`);
      return 0;
    } finally {
      registry.close();
    }
  } catch (err) {
    io.stderr.write(`signgate resolve: ${(err as Error).message}\n`);
    return exitCodeFor(err);
  }
}
