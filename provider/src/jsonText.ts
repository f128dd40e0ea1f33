/**
 * Where a JSON text breaks, as people count: line and column (1-based). V8's JSON.parse messages carry a position
 * only for some errors ("... in JSON at position N") and quote a snippet for others, so the offset is found the same
 * way for all: the shortest prefix of the text that already holds a syntax error (every longer one does too).
 */

/** Line and column (1-based) of character `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { readonly line: number; readonly column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  return { line: before.split('\n').length, column: before.length - before.lastIndexOf('\n') };
}

/** True when JSON.parse(prefix) fails for a reason other than "the text ended too soon". */
function brokenPrefix(text: string, length: number): boolean {
  try {
    JSON.parse(text.slice(0, length));
    return false;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const position = /at position (\d+)/.exec(message);
    const endedEarly = /end of JSON input/i.test(message) || (position !== null && Number(position[1]) >= length);
    return !endedEarly;
  }
}

/** Offset of the character at which `text` stops being JSON (text.length when it just ends too soon). */
function errorOffset(text: string): number {
  let lo = 0;
  let hi = text.length;
  if (!brokenPrefix(text, hi)) return text.length;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (brokenPrefix(text, mid)) hi = mid;
    else lo = mid + 1;
  }
  return Math.max(0, lo - 1);
}

/** `line L, column C: <reason>` for the error JSON.parse threw on `text`. */
export function jsonSyntaxProblem(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const reason = message
    .replace(/\s+(in JSON )?at position \d+.*$/s, '')
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '') // V8 quotes the text around the error (maybe a secret)
    .replace(/^Unexpected end of JSON input$/, 'the text ends before the JSON value is complete');
  const { line, column } = lineAndColumn(text, errorOffset(text));
  return `line ${line}, column ${column}: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
}
