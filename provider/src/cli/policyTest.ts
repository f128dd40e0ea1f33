/**
 * `signgate policy test PATH... [--run REGEX] [--engine builtin|wasm] [--provider NAME=URL]... [--provider-ca FILE]`
 * Runs gator Suite files with external data. Prints one line per case and last `N passed, M failed` (plus
 * `, K skipped` when any were skipped, with the reasons). Exit codes: 0 when no case failed, 1 when one did,
 * 2 on usage errors.
 */
import { readFileSync } from 'node:fs';
import { POLICY_TEST_HELP as USAGE } from './help.js';
import { LiveHost, type LiveProvider, builtinEngine, findOpa, runSuites, wasmEngine } from '../policytest/index.js';

export async function policyTestCommand(argv: readonly string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  const paths: string[] = [];
  let run: RegExp | undefined;
  let engineName = 'builtin';
  const providers: { name: string; url: string }[] = [];
  let caFile: string | undefined;
  const usage = (msg: string): number => { io.stderr.write(`signgate policy test: ${msg}\n\n${USAGE}`); return 2; };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string | undefined => { const v = argv[++i]; return v; };
    if (a === '-h' || a === '--help') { io.stdout.write(USAGE); return 0; }
    else if (a === '--run' || a === '-r') {
      const v = value();
      if (v === undefined) return usage('--run needs a regular expression');
      try { run = new RegExp(v); } catch (e) { return usage(`--run: invalid regular expression: ${(e as Error).message}`); }
    } else if (a === '--engine') {
      const v = value();
      if (v !== 'builtin' && v !== 'wasm') return usage('--engine must be builtin or wasm');
      engineName = v;
    } else if (a === '--provider') {
      const v = value();
      const m = v === undefined ? null : /^([^=]+)=(.+)$/.exec(v);
      if (!m) return usage('--provider needs NAME=https://host:port/path');
      providers.push({ name: m[1] as string, url: m[2] as string });
    } else if (a === '--provider-ca') {
      caFile = value();
      if (caFile === undefined) return usage('--provider-ca needs a PEM file');
    } else if (a.startsWith('-')) return usage(`unknown option ${a}`);
    else paths.push(a);
  }
  if (paths.length === 0) return usage('no PATH given');
  let live: LiveHost | undefined;
  if (providers.length > 0) {
    let ca: Buffer | undefined;
    if (caFile !== undefined) {
      try { ca = readFileSync(caFile); } catch (e) { return usage(`cannot read --provider-ca ${caFile}: ${(e as Error).message}`); }
    }
    const map = new Map<string, LiveProvider>();
    for (const p of providers) {
      let url: URL;
      try { url = new URL(p.url); } catch { return usage(`--provider ${p.name}: invalid URL ${p.url}`); }
      if (url.protocol !== 'https:') return usage(`--provider ${p.name}: the URL must use https`);
      map.set(p.name, { name: p.name, url, ca });
    }
    live = new LiveHost(map);
  }
  const engine = engineName === 'wasm' ? wasmEngine(findOpa(process.env['PATH'])) : builtinEngine;
  try {
    const s = await runSuites(paths, { engine, ...(run ? { run } : {}), ...(live ? { live } : {}), out: (l) => io.stdout.write(l + '\n') });
    const reasons = s.skipReasons.filter((r) => r !== 'skip: true');
    io.stdout.write(`${s.passed} passed, ${s.failed} failed${s.skipped > 0 ? `, ${s.skipped} skipped${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}` : ''}\n`);
    return s.failed === 0 ? 0 : 1;
  } catch (e) {
    io.stderr.write(`signgate policy test: ${(e as Error).message}\n`);
    return 2;
  }
}
