/**
 * `--engine wasm`: each template is compiled with `opa build -t wasm` (capabilities = the opa-wasm SDK's own list
 * plus `external_data`) and evaluated through @open-policy-agent/opa-wasm, `external_data` being a synchronous
 * custom builtin fed from answers known before evaluation (fixtures, or live answers fetched by the runner's
 * retry loop). Without an `opa` binary on PATH the engine is unavailable and every case is reported
 * `skipped: opa not found`.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { RegoPolicy, fromJSON, toJSON } from '../rego/index.js';
import { PolicyTestError } from './errors.js';
import { type CompiledTemplate, type TemplateEngine, checkTemplateModules, toViolations } from './engines.js';
import { type ExternalDataHost, externalDataBuiltin } from './externalData.js';
import type { TemplateInfo } from './template.js';

const run = promisify(execFile);

/** The first executable `opa` on a PATH string, or undefined. */
export function findOpa(pathEnv: string | undefined): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, 'opa');
    try { accessSync(p, constants.X_OK); return p; } catch { /* next */ }
  }
  return undefined;
}

const EXTERNAL_DATA_DECL = { name: 'external_data', decl: { type: 'function', args: [{ type: 'any' }], result: { type: 'any' } } };

function capabilities(): string {
  const sdk = dirname(dirname(createRequire(import.meta.url).resolve('@open-policy-agent/opa-wasm')));
  const caps = JSON.parse(readFileSync(join(sdk, 'capabilities.json'), 'utf8')) as { builtins: unknown[] };
  caps.builtins.push(EXTERNAL_DATA_DECL);
  return JSON.stringify(caps);
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
  return {
    name: 'wasm',
    unavailable: opaPath ? undefined : 'opa not found',
    compile: async (t: TemplateInfo): Promise<CompiledTemplate> => {
      if (!opaPath) throw new PolicyTestError('ENGINE_UNAVAILABLE', 'opa not found on PATH; install opa or use --engine builtin');
      const parsed = RegoPolicy.compile([{ name: `${t.name}.rego`, source: t.rego }, ...t.libs.map((l, i) => ({ name: `lib${i}.rego`, source: l }))], { builtins: { external_data: externalDataBuiltin } });
      const pkg = checkTemplateModules(t, parsed.modules);
      const dir = mkdtempSync(join(tmpdir(), 'signgate-wasm-'));
      try {
        const files = [t.rego, ...t.libs].map((src, i) => { const f = join(dir, `m${i}.rego`); writeFileSync(f, src); return f; });
        writeFileSync(join(dir, 'caps.json'), capabilities());
        const out = join(dir, 'bundle.tar.gz');
        try {
          await run(opaPath, ['build', '-t', 'wasm', '-e', `${pkg.join('/')}/violation`, '--capabilities', join(dir, 'caps.json'), '-o', out, ...files], { timeout: 120_000 });
        } catch (e) {
          throw new PolicyTestError('TEMPLATE_INVALID', `${t.path}: opa build failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`, { cause: e });
        }
        const wasm = tarEntry(readFileSync(out), 'policy.wasm');
        if (!wasm) throw new PolicyTestError('TEMPLATE_INVALID', `${t.path}: opa build produced no policy.wasm`);
        let host: ExternalDataHost | undefined;
        const policy = await loadPolicy(wasm, undefined, {
          external_data: (req: unknown) => {
            const v = externalDataBuiltin.fn([fromJSON(req)], { strict: true, nowNs: () => 0, cache: new Map(), host });
            return v === undefined ? undefined : toJSON(v);
          },
        });
        return {
          violations: (input, inventory, h) => {
            host = h;
            policy.setData({ inventory });
            const res = policy.evaluate(input) as { result?: unknown }[] | undefined;
            const r = res?.[0]?.result;
            return r === undefined ? [] : toViolations(fromJSON(r), t);
          },
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
