/** A pino destination that keeps every JSON log line, parsed, for tests that assert on what was logged. */
import { Writable } from 'node:stream';

export type LogLine = Record<string, unknown> & { level: number; msg: string };

export class LogSink extends Writable {
  readonly lines: LogLine[] = [];

  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    for (const l of chunk.toString().split('\n')) if (l.trim() !== '') this.lines.push(JSON.parse(l) as LogLine);
    cb();
  }

  /** The lines logged under one request's trace id. */
  of(traceID: string): LogLine[] {
    return this.lines.filter((l) => l.traceID === traceID);
  }
}
