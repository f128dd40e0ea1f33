/**
 * Boolean flags in every spelling people and manifests use: bare (`--kubernetes`), with a value (`--kubernetes=true`)
 * and as two arguments (`--kubernetes true`), plus the false forms. node:util parseArgs alone cannot take all three:
 * a boolean option refuses `=true`, and a string option swallows the next flag (`--kubernetes --address=...` fails
 * with "argument is ambiguous"). So the argument list is rewritten first into the one `--name=value` form, then the
 * option is parsed as a string and its value read with `parseBoolean`.
 */
import { UsageError } from './io.js';

const TRUE = /^(true|1|yes)$/i;
const FALSE = /^(false|0|no)$/i;

/** true / false from `true|1|yes` / `false|0|no` (any case); anything else is a usage error naming `what`. */
export function parseBoolean(text: string, what: string): boolean {
  if (TRUE.test(text)) return true;
  if (FALSE.test(text)) return false;
  throw new UsageError(`${what} must be true or false (or given bare for true), got "${text}"`);
}

/**
 * `argv` with each boolean flag of `names` in the form `--name=value`: a bare flag becomes `--name=true`, and a flag
 * followed by a word of `parseBoolean` takes that word. Arguments after `--` are left as they are.
 */
export function normalizeBooleanFlags(argv: readonly string[], names: readonly string[]): string[] {
  const flags = new Set(names.map((n) => `--${n}`));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!flags.has(arg)) {
      out.push(arg);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && (TRUE.test(next) || FALSE.test(next))) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(`${arg}=true`);
    }
  }
  return out;
}
