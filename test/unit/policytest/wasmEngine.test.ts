import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { findOpa, wasmEngine } from '../../../provider/src/policytest/index.js';
import { tarEntry } from '../../../provider/src/policytest/wasmEngine.js';

function tarFile(name: string, body: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 'utf8');
  header.write(body.length.toString(8).padStart(11, '0') + '\0', 124, 'utf8');
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return Buffer.concat([header, padded]);
}

describe('wasm engine adapter', () => {
  it('finds policy.wasm inside the bundle opa build writes', () => {
    const tgz = gzipSync(Buffer.concat([tarFile('/data.json', Buffer.from('{}')), tarFile('/policy.wasm', Buffer.from('\0asm')), Buffer.alloc(1024)]));
    assert.deepEqual(tarEntry(tgz, 'policy.wasm'), Buffer.from('\0asm'));
    assert.equal(tarEntry(tgz, 'missing.wasm'), undefined);
  });

  it('looks for an executable opa on PATH only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signgate-opa-'));
    assert.equal(findOpa(dir), undefined);
    writeFileSync(join(dir, 'opa'), '#!/bin/sh\n');
    chmodSync(join(dir, 'opa'), 0o755);
    assert.equal(findOpa(`/nonexistent:${dir}`), join(dir, 'opa'));
  });

  it('is unavailable without opa and says why', () => {
    assert.equal(wasmEngine(undefined).unavailable, 'opa not found');
    assert.equal(wasmEngine('/usr/bin/opa').unavailable, undefined);
  });
});
