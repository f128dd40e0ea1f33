/**
 * Go's YAML parser (used by OPA, gator and kubectl) accepts continuation lines of a quoted scalar indented no deeper
 * than its key; the `yaml` package rejects them. This indents such lines so both read the same value (line folding
 * drops leading spaces of continuation lines anyway). Only used as a retry after a failed parse.
 */
export function relaxQuotedIndent(text: string): string {
  const lines = text.split('\n');
  let open: { indent: number; quote: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (open !== undefined) {
      const indent = /^ */.exec(line)?.[0].length ?? 0;
      if (line.trim() !== '' && indent <= open.indent) lines[i] = ' '.repeat(open.indent + 2 - indent) + line;
      const closes = open.quote === '"' ? /(^|[^\\])"\s*(#.*)?$/.test(line) : /'\s*(#.*)?$/.test(line) && !/''\s*$/.test(line);
      if (closes) open = undefined;
      continue;
    }
    const m = /^( *)(?:- )?(?:[^\s#"'][^:#]*:\s+)?(["'])((?:[^"'\\]|\\.)*)$/.exec(line);
    if (m && (m[2] === '"' || !(m[3] ?? '').includes("'"))) open = { indent: (m[1] ?? '').length, quote: m[2] as string };
  }
  return lines.join('\n');
}
