#!/usr/bin/env node
/**
 * `signgate`: the composition root. Each sub-command module wires files, the clock and the environment into the
 * layers below; nothing under oci/, notation/ or verify/ reads them itself.
 *
 * A command is imported only when it runs (`await import()`), and `--help` is answered from help.ts without
 * importing it, so `signgate verify --help` loads neither the registry client nor the verifier, and only `serve
 * --kubernetes` loads the Kubernetes client and only `policy` the Rego engine.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MAIN_HELP, POLICY_HELP, POLICY_TEST_HELP, RESOLVE_HELP, VERIFY_HELP } from './help.js';
import type { CommandIO } from './io.js';
import { SERVE_HELP } from './serveFlags.js';
import { SIGNER_HELP } from './signerHelp.js';

type Run = (argv: readonly string[], io: CommandIO) => Promise<number>;

interface Command {
  /** Printed for `--help` without importing the command; absent when the command prints its own. */
  readonly help?: string;
  readonly load: () => Promise<Run>;
}

const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['verify', { help: VERIFY_HELP, load: async () => (await import('./verifyCommand.js')).verifyCommand }],
  ['resolve', { help: RESOLVE_HELP, load: async () => (await import('./resolveCommand.js')).resolveCommand }],
  ['sign', { load: async () => (await import('./signCommand.js')).signCommand }],
  ['serve', { help: SERVE_HELP, load: async () => (await import('./serve.js')).serveCommand }],
  ['signer', { help: SIGNER_HELP, load: async () => (await import('./signer.js')).signerCommand }],
  ['policy test', { help: POLICY_TEST_HELP, load: async () => (await import('./policyTest.js')).policyTestCommand }],
]);

const HELP_FLAGS: ReadonlySet<string> = new Set(['-h', '--help']);

/** `--help` or `-h` among the options (before a `--` that ends them). */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => HELP_FLAGS.has(a));
}

/** The command named by the first one or two words, and the arguments after them. */
function findCommand(argv: readonly string[]): { name: string; command: Command; rest: readonly string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS.get(name);
    if (command !== undefined && argv.length >= words) return { name, command, rest: argv.slice(words) };
  }
  return undefined;
}

export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || HELP_FLAGS.has(first)) {
    (first === undefined ? io.stderr : io.stdout).write(MAIN_HELP);
    return first === undefined ? 2 : 0;
  }
  if (first === 'help') return main(rest.length > 0 ? [...rest, '--help'] : ['--help'], io);
  const found = findCommand(argv);
  if (found === undefined) {
    if (first === 'policy') {
      if (rest[0] !== undefined && HELP_FLAGS.has(rest[0])) {
        io.stdout.write(POLICY_HELP);
        return 0;
      }
      const problem = rest[0] === undefined ? 'a sub-command is required' : `unknown sub-command "${rest[0]}"`;
      io.stderr.write(`signgate policy: ${problem}\n\n${POLICY_HELP}`);
      return 2;
    }
    io.stderr.write(`signgate: unknown command "${first}"\n\n${MAIN_HELP}`);
    return 2;
  }
  if (found.command.help !== undefined && asksForHelp(found.rest)) {
    io.stdout.write(found.command.help);
    return 0;
  }
  return (await found.command.load())(found.rest, io);
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}
