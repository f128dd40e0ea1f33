import { parseArgs } from 'node:util';
import { reportFailure, toUsageError } from './failure.js';
import { RESOLVE_HELP } from './help.js';
import type { CommandIO } from './io.js';
import { REGISTRY_OPTIONS, registryFromArgs, timeoutFromArgs, type RegistryArgs } from './registryArgs.js';

function parseResolveArgs(argv: readonly string[]): { readonly reference: string; readonly registryArgs: RegistryArgs } | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { ...REGISTRY_OPTIONS, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw toUsageError('expected exactly one image reference, e.g. signgate resolve localhost:5000/app:v1');
  timeoutFromArgs(values);
  return { reference: positionals[0] as string, registryArgs: values };
}

/** `signgate resolve REF`: prints the digest reference the registry resolves REF to. */
export async function resolveCommand(argv: readonly string[], io: CommandIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: ReturnType<typeof parseResolveArgs>;
  try {
    parsed = parseResolveArgs(argv);
  } catch (err) {
    return reportFailure(io, 'resolve', toUsageError(err), { json: false, help: RESOLVE_HELP });
  }
  if (parsed === 'help') {
    io.stdout.write(RESOLVE_HELP);
    return 0;
  }
  try {
    const { formatReference, parseReference } = await import('../oci/index.js');
    const ref = parseReference(parsed.reference);
    const { registry, timeoutMs } = await registryFromArgs(parsed.registryArgs, () => new Date(), env);
    try {
      const subject = await registry.repository(ref).resolve(undefined, { signal: AbortSignal.timeout(timeoutMs) });
      io.stdout.write(`${formatReference({ registry: ref.registry, repository: ref.repository, digest: subject.digest })}\n`);
      return 0;
    } finally {
      registry.close();
    }
  } catch (err) {
    return reportFailure(io, 'resolve', err, { json: false });
  }
}
