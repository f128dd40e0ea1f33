/**
 * `--engine wasm`: each template is compiled with `opa build -t wasm` against the installed opa's own capabilities
 * plus `external_data` (opaCapabilities.ts), and evaluated through @open-policy-agent/opa-wasm with every builtin its
 * SDK lacks supplied from signgate's builtin library, `external_data` being a synchronous custom builtin fed from
 * answers known before evaluation (fixtures, or live answers fetched by the runner's retry loop). opa 1.x is run with
 * --v0-compatible, since Gatekeeper templates are Rego v0. Without an `opa` binary on PATH the engine is unavailable
 * and every case is reported `skipped: opa not found`.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { RegoPolicy, fromJSON, toJSON } from '../rego/index.js';
import { PolicyTestError } from './errors.js';
import { type CompiledTemplate, type TemplateEngine, checkTemplateModules, toViolations } from './engines.js';
import { ExternalDataHalt, externalDataBuiltin } from './externalData.js';
import { type Capabilities, type EvaluationContext, lackingBuiltins, parseCapabilities, wasmBuiltins, withExternalData } from './opaCapabilities.js';
import type { TemplateInfo } from './template.js';

/** The first executable `opa` on a PATH string, or undefined. */
export function findOpa(pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, 'opa');
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

/** Bounds on one opa run: its time, and how much of its output a message quotes. */
const OPA_TIMEOUT_MS = 120_000;
const QUOTED_OUTPUT_CHARS = 8000;

function quoted(label: string, text: string): string {
  const t = text.trim();
  if (t === '') return `${label}: (empty)`;
  return `${label}:\n${t.length > QUOTED_OUTPUT_CHARS ? `${t.slice(0, QUOTED_OUTPUT_CHARS)}\n... (${t.length - QUOTED_OUTPUT_CHARS} more characters)` : t}`;
}

/** Runs opa; a failure names the command, its exit status, and quotes its stdout and stderr. */
export function runOpa(opaPath: string, args: readonly string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(opaPath, [...args], { timeout: OPA_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err === null) {
        resolve(stdout);
        return;
      }
      const status = typeof err.code === 'number' ? `exit status ${err.code}` : err.killed ? `killed after ${OPA_TIMEOUT_MS} ms` : err.message;
      reject(new PolicyTestError('TEMPLATE_INVALID', `${what}: ${opaPath} ${args[0] ?? ''} failed (${status})\n${quoted('stdout', stdout)}\n${quoted('stderr', stderr)}`, { cause: err }));
    });
  });
}

/** opa-wasm's own capabilities.json: the builtins its SDK answers. */
function sdkCapabilities(): Capabilities {
  const file = join(dirname(dirname(createRequire(import.meta.url).resolve('@open-policy-agent/opa-wasm'))), 'capabilities.json');
  return parseCapabilities(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
}

/** What every compile of one engine shares: the capabilities file content, the builtins to supply, opa's flags. */
interface OpaSetup {
  readonly capabilities: string;
  readonly supplied: readonly string[];
  readonly buildFlags: readonly string[];
}

async function opaSetup(opaPath: string): Promise<OpaSetup> {
  const [version, current] = await Promise.all([
    runOpa(opaPath, ['version'], 'reading the opa version'),
    runOpa(opaPath, ['capabilities', '--current'], 'reading the opa capabilities'),
  ]);
  let json: unknown;
  try {
    json = JSON.parse(current);
  } catch (e) {
    throw new PolicyTestError('ENGINE_UNAVAILABLE', `${opaPath} capabilities --current did not print JSON: ${(e as Error).message}`, { cause: e });
  }
  const opa = parseCapabilities(json, `${opaPath} capabilities --current`);
  const major = /Version:\s*v?(\d+)\./.exec(version);
  return {
    capabilities: JSON.stringify(withExternalData(opa)),
    supplied: lackingBuiltins(opa, sdkCapabilities()).supplied,
    buildFlags: major !== null && Number(major[1]) >= 1 ? ['--v0-compatible'] : [],
  };
}

/** A value opa-wasm threw (an Error, or a bare string or `{message}` object) as a message. */
function thrownMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  return JSON.stringify(e) ?? String(e);
}

/** Extracts one file from a (gzipped) tar archive. */
export function tarEntry(tgz: Buffer, wanted: string): Buffer | undefined {
  const tar = gunzipSync(tgz, { maxOutputLength: 256 * 1024 * 1024 });
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    const name = header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
    if (name === '') return undefined;
    const size = parseInt(header.subarray(124, 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    if (name.replace(/^\.?\//, '') === wanted.replace(/^\//, '')) return tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

export function wasmEngine(opaPath: string | undefined): TemplateEngine {
  let setup: Promise<OpaSetup> | undefined;
  return {
    name: 'wasm',
    unavailable: opaPath ? undefined : 'opa not found',
    compile: async (t: TemplateInfo): Promise<CompiledTemplate> => {
      if (!opaPath) throw new PolicyTestError('ENGINE_UNAVAILABLE', 'opa not found on PATH; install opa or use --engine builtin');
      const parsed = RegoPolicy.compile([{ name: `${t.name}.rego`, source: t.rego }, ...t.libs.map((l, i) => ({ name: `lib${i}.rego`, source: l }))], { builtins: { external_data: externalDataBuiltin } });
      const pkg = checkTemplateModules(t, parsed.modules);
      const { capabilities, supplied, buildFlags } = await (setup ??= opaSetup(opaPath));
      const dir = mkdtempSync(join(tmpdir(), 'signgate-wasm-'));
      let wasm: Buffer | undefined;
      try {
        const files = [t.rego, ...t.libs].map((src, i) => { const f = join(dir, `m${i}.rego`); writeFileSync(f, src); return f; });
        writeFileSync(join(dir, 'caps.json'), capabilities);
        const out = join(dir, 'bundle.tar.gz');
        await runOpa(opaPath, ['build', '-t', 'wasm', ...buildFlags, '-e', `${pkg.join('/')}/violation`, '--capabilities', join(dir, 'caps.json'), '-o', out, ...files], `${t.path}: compiling template ${t.name} to wasm`);
        wasm = tarEntry(readFileSync(out), 'policy.wasm');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      if (!wasm) throw new PolicyTestError('TEMPLATE_INVALID', `${t.path}: opa build produced no policy.wasm`);
      let context: EvaluationContext | undefined;
      const current = (): EvaluationContext => context ?? { nowNs: () => 0, cache: new Map(), host: undefined };
      const policy = await loadPolicy(wasm, undefined, {
        ...wasmBuiltins(supplied, current),
        external_data: (req: unknown) => {
          const v = externalDataBuiltin.fn([fromJSON(req)], { strict: true, ...current() });
          return v === undefined ? undefined : toJSON(v);
        },
      });
      return {
        violations: (input, inventory, host) => {
          const nowNs = Math.round((performance.timeOrigin + performance.now()) * 1e6);
          context = { nowNs: () => nowNs, cache: new Map(), host };
          policy.setData({ inventory });
          let res: { result?: unknown }[] | undefined;
          try {
            res = policy.evaluate(input) as { result?: unknown }[] | undefined;
          } catch (e) {
            if (e instanceof ExternalDataHalt || e instanceof PolicyTestError) throw e;
            throw new PolicyTestError('TEMPLATE_INVALID', `${t.path}: template ${t.name} failed in opa-wasm: ${thrownMessage(e)}`, { cause: e });
          } finally {
            context = undefined;
          }
          const r = res?.[0]?.result;
          return r === undefined ? [] : toViolations(fromJSON(r), t);
        },
      };
    },
  };
}
