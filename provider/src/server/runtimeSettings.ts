/**
 * The runtime settings file (`signgate serve --settings FILE`): settings that change without a restart, today the
 * verify and mutate deadlines. YAML or JSON, for example a mounted ConfigMap key:
 *
 *     verifyTimeout: 4900ms
 *     mutateTimeout: 2s
 *
 * The flags give the start values; a field present in the file overrides its flag, a field removed from the file
 * returns to it. The file's folder is watched (ConfigMap mounts swap a `..data` symlink) and re-read on a slow poll
 * in case an event is lost. A file that does not parse or validate keeps the last good values and is logged.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { Logger } from 'pino';
import type { Deadlines } from './app.js';
import { ServerError } from './errors.js';
import { watchFiles } from './fileWatch.js';

/** The fields a settings file may set; absent ones take the flag's value. */
export interface RuntimeSettings {
  readonly verifyTimeoutMs?: number;
  readonly mutateTimeoutMs?: number;
}

const MAX_SETTINGS_BYTES = 64 * 1024;
const MAX_DURATION_MS = 600_000;
const FIELDS = { verifyTimeout: 'verifyTimeoutMs', mutateTimeout: 'mutateTimeoutMs' } as const;
type Field = keyof typeof FIELDS;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'a mapping';
  return `the ${typeof value} ${String(value)}`;
}

function durationMs(field: Field, value: unknown): number | string {
  const expected = `must be a duration with a unit, like 4900ms or 2s`;
  if (typeof value !== 'string') return `${field}: ${expected}, got ${describe(value)}`;
  const m = /^(\d{1,9})(ms|s)$/.exec(value.trim());
  if (!m) return `${field}: ${expected}, got ${describe(value)}`;
  const ms = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  if (ms < 1 || ms > MAX_DURATION_MS) return `${field}: must be between 1ms and ${MAX_DURATION_MS / 1000}s, got "${value}"`;
  return ms;
}

/** Parses and validates a settings file's text; throws ServerError SETTINGS_INVALID naming the file and every bad field. */
export function parseRuntimeSettings(text: string, file: string): RuntimeSettings {
  const fail = (problems: readonly string[]): never => {
    throw new ServerError('SETTINGS_INVALID', `settings file ${file}: ${problems.join('; ')}`);
  };
  if (Buffer.byteLength(text) > MAX_SETTINGS_BYTES) fail([`larger than ${MAX_SETTINGS_BYTES} bytes; it holds only a few settings`]);
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) fail(doc.errors.map((e) => `not valid YAML or JSON (${e.message.split('\n')[0] ?? ''})`));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 0 });
  } catch (cause) {
    return fail([`YAML anchors and aliases are not supported here (${(cause as Error).message})`]);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    return fail([`must be a mapping such as "verifyTimeout: 4900ms", got ${describe(data)}`]);
  }
  const problems: string[] = [];
  const out: { -readonly [K in keyof RuntimeSettings]: RuntimeSettings[K] } = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (!Object.hasOwn(FIELDS, key)) {
      problems.push(`${key}: unknown setting (known: ${Object.keys(FIELDS).join(', ')})`);
      continue;
    }
    const ms = durationMs(key as Field, value);
    if (typeof ms === 'string') problems.push(ms);
    else out[FIELDS[key as Field]] = ms;
  }
  if (problems.length > 0) fail(problems);
  return out;
}

export interface SettingsFileOptions {
  readonly file: string;
  /** The start values (from flags); a field absent from the file takes these. */
  readonly base: Readonly<Deadlines>;
  /** The object the app reads at each request; its fields are updated in place. */
  readonly deadlines: Deadlines;
  readonly logger: Logger;
  /** Quiet time after a change event before re-reading (default 200 ms). */
  readonly debounceMs?: number;
  /** Re-read interval, the fallback for lost events (default 5000 ms; 0 disables). */
  readonly pollMs?: number;
}

export interface SettingsFile {
  /** Re-reads the file now; resolves true when a value changed. */
  reload(): Promise<boolean>;
  /** Why the latest read was rejected, or undefined when the file in use is the one on disk. */
  lastError(): string | undefined;
  close(): void;
}

async function readSettings(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new ServerError('SETTINGS_INVALID', `settings file ${file}: cannot read it (${(cause as Error).message})`, { cause });
  }
}

const LABELS: Record<keyof Deadlines, Field> = { verifyMs: 'verifyTimeout', mutateMs: 'mutateTimeout' };

/**
 * Reads `file` (a missing or invalid file at start throws ServerError SETTINGS_INVALID), applies it over `base` to
 * `deadlines`, and keeps applying it as it changes. Each change is logged at info, each rejection at warn.
 */
export async function watchSettingsFile(options: SettingsFileOptions): Promise<SettingsFile> {
  const { file, base, deadlines, logger } = options;
  let lastText: string | undefined;
  let lastError: string | undefined;
  let closed = false;

  const apply = (settings: RuntimeSettings): boolean => {
    const next: Deadlines = { verifyMs: settings.verifyTimeoutMs ?? base.verifyMs, mutateMs: settings.mutateTimeoutMs ?? base.mutateMs };
    const changes: string[] = [];
    for (const k of ['verifyMs', 'mutateMs'] as const) {
      if (deadlines[k] === next[k]) continue;
      changes.push(`${LABELS[k]} ${deadlines[k]}ms -> ${next[k]}ms`);
      deadlines[k] = next[k];
    }
    if (changes.length > 0) logger.info({ settingsFile: file, verifyTimeoutMs: next.verifyMs, mutateTimeoutMs: next.mutateMs }, `settings changed: ${changes.join(', ')}`);
    return changes.length > 0;
  };

  const reject = (error: unknown): false => {
    if (!(error instanceof ServerError)) throw error;
    const repeated = lastError === error.message;
    lastError = error.message;
    if (!repeated) logger.warn({ settingsFile: file, code: error.code, verifyTimeoutMs: deadlines.verifyMs, mutateTimeoutMs: deadlines.mutateMs }, `settings rejected, the last good values stay: ${error.message}`);
    return false;
  };

  const readAndApply = async (): Promise<boolean> => {
    if (closed) return false;
    let text: string;
    try {
      text = await readSettings(file);
    } catch (error) {
      lastText = undefined;
      return reject(error);
    }
    if (text === lastText) return false;
    lastText = text;
    try {
      const changed = apply(parseRuntimeSettings(text, file));
      lastError = undefined;
      return changed;
    } catch (error) {
      return reject(error);
    }
  };

  /** One read at a time, in order, so an older read never lands after a newer one. */
  let queue: Promise<unknown> = Promise.resolve();
  const reload = (): Promise<boolean> => {
    const next = queue.then(readAndApply);
    queue = next.catch(() => undefined);
    return next;
  };

  const first = await readSettings(file);
  apply(parseRuntimeSettings(first, file));
  lastText = first;
  const onChange = (): void => {
    void reload();
  };
  const watch = watchFiles([file], onChange, {
    debounceMs: options.debounceMs ?? 200,
    onWatchError: (dir, err) => logger.warn({ dir, err: err.message }, 'cannot watch the settings folder; polling only'),
  });
  const pollMs = options.pollMs ?? 5000;
  const poll = pollMs > 0 ? setInterval(onChange, pollMs) : undefined;
  poll?.unref();
  return {
    reload,
    lastError: () => lastError,
    close() {
      closed = true;
      watch.close();
      clearInterval(poll);
    },
  };
}
