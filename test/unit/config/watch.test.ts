import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ConfigError,
  watchConfigFiles,
  type Config,
  type FileConfigSource,
  type Timers,
} from '../../../provider/src/config/index.js';
import { issueYaml, removeTempDirs, tempDir, testMaterial, writeFiles } from './helpers.js';
import { writeAtomically } from '../../support/files.js';
import { waitFor } from '../../support/waitFor.js';

const WAIT_MS = 5000;

/** The next config a source publishes (rejects after WAIT_MS). */
function nextConfig(source: FileConfigSource): Promise<Config> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('no new configuration was published'));
    }, WAIT_MS);
    const off = source.subscribe((config) => {
      clearTimeout(timer);
      off();
      resolve(config);
    });
  });
}

function withTtl(yaml: string, ttl: number | string): string {
  return yaml.replace('ttl: 10', `ttl: ${ttl}`);
}

describe('config watcher: reloads on change, keeps the last good config on a bad one', function () {
  this.timeout(30_000);
  let yaml: string;
  const sources: FileConfigSource[] = [];

  before(async () => {
    yaml = issueYaml((await testMaterial()).pki.root.pem);
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.close()));
  });
  after(removeTempDirs);

  it('bumps the generation on a valid change, keeps the last good config on an invalid one, then recovers', async () => {
    const dir = await tempDir();
    const file = join(dir, 'signgate.yaml');
    await writeFiles(dir, { 'signgate.yaml': yaml });
    const errors: ConfigError[] = [];
    const source = await watchConfigFiles([file], { debounceMs: 20, pollMs: 0, onError: (e) => errors.push(e) });
    sources.push(source);
    assert.equal(source.current()?.generation, 1);
    assert.equal(source.lastError(), undefined);

    let next = nextConfig(source);
    await writeAtomically(file, withTtl(yaml, 20));
    let config = await next;
    assert.equal(config.generation, 2);
    assert.equal(config.cluster?.store.ttlSeconds, 20);
    assert.equal(source.current(), config);

    await writeAtomically(file, withTtl(yaml, '"20"'));
    await waitFor(() => errors.length > 0, 'the rejected configuration to be reported');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.code, 'CONFIG_SCHEMA');
    assert.equal(source.current()?.generation, 2, 'the last good configuration stays');
    assert.match(source.lastError() ?? '', /signgate\.yaml:\d+ \(document 3, Store "oras"\): spec\.parameters\.ttl: must be an integer/);

    next = nextConfig(source);
    await writeAtomically(file, withTtl(yaml, 30));
    config = await next;
    assert.equal(config.generation, 3);
    assert.equal(config.cluster?.store.ttlSeconds, 30);
    assert.equal(source.lastError(), undefined);
  });

  it('does not bump the generation when a file is rewritten with the same bytes', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'signgate.yaml': yaml });
    const source = await watchConfigFiles([join(dir, 'signgate.yaml')], { pollMs: 0, watchFolder: () => ({ close() {} }) });
    sources.push(source);
    await writeAtomically(join(dir, 'signgate.yaml'), yaml);
    assert.equal(await source.reload(), false);
    assert.equal(source.current()?.generation, 1);
  });

  it('reloads when a certificate is dropped into a watched certificate folder', async () => {
    const { pki } = await testMaterial();
    const dir = await tempDir();
    const folderYaml = yaml.replace(
      /spec: \{type: inline, parameters: \{contentType: certificate, value: "[^"]*"\}\}/,
      'spec: {type: file, parameters: {paths: [certs]}}',
    );
    await writeFiles(dir, { 'signgate.yaml': folderYaml, 'certs/README.md': 'drop PEM files here' });
    const source = await watchConfigFiles([join(dir, 'signgate.yaml')], { debounceMs: 20, pollMs: 0 });
    sources.push(source);
    assert.equal(source.current()?.cluster?.verifiers[0]?.certificateCount, 0);
    assert.ok(source.watchedFolders().includes(join(dir, 'certs')));

    const next = nextConfig(source);
    await writeAtomically(join(dir, 'certs', 'root.pem'), pki.root.pem);
    const config = await next;
    assert.equal(config.generation, 2);
    assert.equal(config.cluster?.verifiers[0]?.certificateCount, 1);
  });

  it('falls back to polling stamps when no watch event arrives', async () => {
    const dir = await tempDir();
    const file = join(dir, 'signgate.yaml');
    await writeFiles(dir, { 'signgate.yaml': yaml });
    let tick: (() => void) | undefined;
    const timers: Timers = {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      setInterval: (fn) => {
        tick = fn;
        return 1;
      },
      clearInterval: () => {
        tick = undefined;
      },
    };
    const source = await watchConfigFiles([file], { pollMs: 1000, timers, watchFolder: () => ({ close() {} }) });
    sources.push(source);
    assert.ok(tick, 'a poll interval was set');
    const next = nextConfig(source);
    await writeAtomically(file, withTtl(yaml, 12345));
    tick();
    const config = await next;
    assert.equal(config.generation, 2);
    assert.equal(config.cluster?.store.ttlSeconds, 12345);
    await source.close();
    assert.equal(tick, undefined, 'close stops polling');
  });

  it('starts without a config when the file is missing, says why, and loads it once it appears', async () => {
    const dir = await tempDir();
    const file = join(dir, 'later.yaml');
    const errors: ConfigError[] = [];
    const source = await watchConfigFiles([file], { debounceMs: 20, pollMs: 0, onError: (e) => errors.push(e) });
    sources.push(source);
    assert.equal(source.current(), undefined);
    assert.equal(errors[0]?.code, 'CONFIG_UNREADABLE');
    assert.match(source.lastError() ?? '', /later\.yaml: does not exist/);

    const next = nextConfig(source);
    await writeAtomically(file, yaml);
    const config = await next;
    assert.equal(config.generation, 1);
    assert.equal(source.lastError(), undefined);
  });

  it('starts counting at the generation it is given', async () => {
    const dir = await tempDir();
    await writeFiles(dir, { 'signgate.yaml': yaml });
    const source = await watchConfigFiles([join(dir, 'signgate.yaml')], { generation: 100, pollMs: 0 });
    sources.push(source);
    assert.equal(source.current()?.generation, 100);
  });
});
