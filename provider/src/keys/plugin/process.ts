/**
 * Runs one Notation plugin command as the plugin contract 1.0 says: `notation-<name> <command>`, the JSON request on
 * stdin, the JSON response on stdout with exit 0, or exit 1 with an optional {errorCode, errorMessage} on stderr. The
 * one sanctioned subprocess of signgate, so it is fenced: no shell, a minimal environment (given by the caller), each
 * of stdout and stderr capped below 64 MiB (the contract's limit), a timeout, and the whole process group killed when
 * a limit is hit.
 */
import { spawn } from 'node:child_process';
import { KeyError } from '../errors.js';

/** The contract: "The output size is limited to less than 64 MiB". */
const MAX_PLUGIN_OUTPUT = 64 * 1024 * 1024;

export interface RunOptions {
  /** The plugin executable and its name (for messages). */
  readonly path: string;
  readonly name: string;
  readonly timeoutMs: number;
  /** The complete environment of the plugin. */
  readonly env: Readonly<Record<string, string>>;
}

/** What a person can read of a plugin's stderr: printable, short. */
function excerpt(bytes: Buffer): string {
  const text = bytes.subarray(0, 400).toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim();
  return text === '' ? '(no output)' : JSON.stringify(text);
}

function pluginError(name: string, command: string, stderr: Buffer): KeyError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stderr.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const doc = parsed as { errorCode?: unknown; errorMessage?: unknown } | undefined;
  if (typeof doc === 'object' && doc !== null && typeof doc.errorCode === 'string' && /^[A-Z0-9_.-]{1,64}$/.test(doc.errorCode)) {
    const detail = typeof doc.errorMessage === 'string' ? `: ${JSON.stringify(doc.errorMessage.slice(0, 400))}` : '';
    const retry = doc.errorCode === 'TIMEOUT' || doc.errorCode === 'THROTTLED' ? '; the plugin says the operation can be retried' : '';
    return new KeyError('PLUGIN_ERROR', `plugin ${name} failed ${command} with ${doc.errorCode}${detail}${retry}`);
  }
  return new KeyError('PLUGIN_FAILED', `plugin ${name} failed ${command} (exit 1) without a JSON error on stderr: ${excerpt(stderr)}`);
}

/** Runs `command` with `request`; returns the parsed stdout JSON (untrusted `unknown`). Throws KeyError PLUGIN_*. */
export function runPlugin(command: string, request: unknown, o: RunOptions): Promise<unknown> {
  const max = MAX_PLUGIN_OUTPUT;
  return new Promise((resolve, reject) => {
    const child = spawn(o.path, [command], { env: { ...o.env }, stdio: ['pipe', 'pipe', 'pipe'], detached: true, shell: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let settled = false;
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already, or was never made
      }
    };
    const finish = (error: KeyError | undefined, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        killGroup();
        reject(error);
      } else resolve(value);
    };
    const timer = setTimeout(
      () => finish(new KeyError('PLUGIN_TIMEOUT', `plugin ${o.name} did not answer ${command} within ${o.timeoutMs} ms and was stopped; raise --timeout or check the plugin`)),
      o.timeoutMs,
    );
    const tooLarge = (stream: string): KeyError =>
      new KeyError('PLUGIN_OUTPUT_TOO_LARGE', `plugin ${o.name} wrote more than ${max} bytes to ${stream} for ${command} and was stopped; the plugin contract allows less than 64 MiB`);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.byteLength;
      if (outBytes > max) finish(tooLarge('stdout'));
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errBytes += chunk.byteLength;
      if (errBytes > max) finish(tooLarge('stderr'));
      else err.push(chunk);
    });
    child.on('error', (e) => finish(new KeyError('PLUGIN_FAILED', `plugin ${o.name} could not be started for ${command}: ${(e as NodeJS.ErrnoException).code ?? e.message}`, { cause: e })));
    child.on('close', (code, signal) => {
      if (settled) return;
      if (code === 0) {
        const text = Buffer.concat(out).toString('utf8');
        try {
          finish(undefined, JSON.parse(text) as unknown);
        } catch {
          finish(new KeyError('PLUGIN_RESPONSE_INVALID', `plugin ${o.name} answered ${command} with output that is not JSON: ${excerpt(Buffer.concat(out))}`));
        }
      } else if (code === 1) {
        finish(pluginError(o.name, command, Buffer.concat(err)));
      } else {
        const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
        finish(new KeyError('PLUGIN_FAILED', `plugin ${o.name} ${how} during ${command}: ${excerpt(Buffer.concat(err))}`));
      }
    });
    child.stdin.on('error', () => undefined); // a plugin that exits without reading its request: judged by its exit code
    child.stdin.end(JSON.stringify(request));
  });
}
