/**
 * `npm run --silent rego-conformance -- DIR`: runs OPA's YAML Rego cases in DIR. Prints one line per failure, the
 * deliberately unimplemented builtins (skips) with reasons, the goal check, and last `N passed, M failed, K skipped`.
 * Exit code: 0 when the goals are met (>= 90% of all cases pass and every case in the core folders passes), 1 when
 * not, 2 on usage errors.
 */
import { existsSync } from 'node:fs';
import { runConformance, summarize } from '../rego/index.js';

function main(argv: readonly string[]): number {
  const dir = argv[0];
  if (dir === undefined || argv.length > 1 || !existsSync(dir)) {
    process.stderr.write(`usage: rego-conformance DIR (a folder of OPA YAML test cases)${dir !== undefined && !existsSync(dir) ? `; ${dir} does not exist` : ''}\n`);
    return 2;
  }
  const summary = summarize(runConformance(dir));
  process.stdout.write(summary.lines.join('\n') + '\n');
  return summary.goalsMet ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
