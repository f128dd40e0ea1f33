#!/usr/bin/env node
/**
 * `signgate`: the composition root. Each sub-command module wires files, the clock and the environment into the
 * layers below; nothing under oci/, notation/ or verify/ reads them itself.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { resolveCommand } from './resolveCommand.js';
import { signCommand } from './signCommand.js';
import { verifyCommand } from './verifyCommand.js';
import { policyTestCommand } from './policyTest.js';
import { serveCommand } from './serve.js';
import type { CommandIO } from './io.js';

const USAGE = `usage: signgate <command> [options]

commands:
  verify REF --trust-policy FILE --trust-store DIR [--output text|json]
                          verify the Notation signatures of an image in a registry
  verify --oci-layout DIR:REF --trust-policy FILE --trust-store DIR [--at RFC3339] [--output text|json]
                          verify the Notation signatures of an image in an OCI image layout
  resolve REF             print the digest reference (host/repo@sha256:...) a tag resolves to
  sign REF --key KEY.pem --cert CHAIN.pem [--envelope jws|cose] [--expiry 24h]
                          sign an image's digest and push the signature to its repository
  serve [--config PATH] [--address HOST:PORT] ...   (signgate serve --help lists every option)
                          serve the Gatekeeper external data provider (verify and mutate) over HTTPS
  policy test PATH...     run gator Suite files (with external data fixtures) offline

exit codes: 0 verified / passed, 1 not verified / failed, 2 usage or configuration error, 3 could not decide
`;

export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'verify':
      return verifyCommand(rest, io);
    case 'resolve':
      return resolveCommand(rest, io);
    case 'sign':
      return signCommand(rest, io);
    case 'serve':
      return serveCommand(rest, io);
    case 'policy':
      if (rest[0] === 'test') return policyTestCommand(rest.slice(1), io);
      break;
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(USAGE);
      return 0;
    default:
      break;
  }
  io.stderr.write(command ? `signgate: unknown command "${[command, ...rest.slice(0, 1)].join(' ')}"\n\n${USAGE}` : USAGE);
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}
