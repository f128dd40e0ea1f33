/**
 * The chart's shared verdict cache (sharedCache.*) and byte bound (server.verdictCacheBytes): off by default; with a
 * url, the provider gets SIGNGATE_SHARED_CACHE and, from existing Secrets mounted as files, the password and CA files
 * (never the password in an argument or a value); the rendered settings are ones `signgate serve` accepts, and the
 * schema refuses what it would refuse.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { parseServeArgs } from '../../../provider/src/cli/serveArgs.js';
import { loadChart } from '../../support/helmTemplate.js';

const CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'signgate');
const defaults = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as object);

interface Container {
  args: string[];
  env: { name: string; value?: string }[];
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
}

function render(values: Record<string, unknown>): { pod: PodSpec; container: Container; env: Record<string, string> } {
  const chart = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values }, ['deployment.yaml']);
  const pod = (chart.documents('deployment.yaml').find((d) => d.kind === 'Deployment') as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
  const container = pod.containers[0];
  assert.ok(container);
  return { pod, container, env: Object.fromEntries(container.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string])) };
}

const sharedCache = (s: Record<string, unknown>) => ({ ...(defaults.sharedCache as Record<string, unknown>), ...s });

describe('charts/signgate: shared verdict cache (sharedCache.*) and verdict cache bytes', () => {
  it('is off by default; the byte bound is passed as SIGNGATE_VERDICT_CACHE_BYTES', () => {
    const r = render({});
    assert.equal(r.env.SIGNGATE_SHARED_CACHE, undefined);
    assert.equal(r.env.SIGNGATE_VERDICT_CACHE_BYTES, '67108864');
    assert.equal(r.pod.volumes.some((v) => v.name.startsWith('shared-cache')), false);
  });

  it('with a url and existing Secrets: the URL, the password file and the CA file, each Secret key mounted read-only', () => {
    const r = render({
      sharedCache: sharedCache({ url: 'rediss://redis-master.redis.svc:6379/0', passwordSecret: { name: 'redis', key: 'redis-password' }, caSecret: { name: 'redis-tls', key: 'ca.crt' } }),
    });
    assert.equal(r.env.SIGNGATE_SHARED_CACHE, 'rediss://redis-master.redis.svc:6379/0');
    assert.equal(r.env.SIGNGATE_SHARED_CACHE_PASSWORD_FILE, '/etc/signgate/shared-cache/password/redis-password');
    assert.equal(r.env.SIGNGATE_SHARED_CACHE_CA, '/etc/signgate/shared-cache/ca/ca.crt');
    assert.equal(r.container.volumeMounts.find((m) => m.name === 'shared-cache-password')?.mountPath, '/etc/signgate/shared-cache/password');
    assert.equal(r.container.volumeMounts.find((m) => m.name === 'shared-cache-ca')?.mountPath, '/etc/signgate/shared-cache/ca');
    assert.deepEqual(r.pod.volumes.find((v) => v.name === 'shared-cache-password')?.secret, { secretName: 'redis', items: [{ key: 'redis-password', path: 'redis-password' }] });
    assert.deepEqual(r.pod.volumes.find((v) => v.name === 'shared-cache-ca')?.secret, { secretName: 'redis-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
    assert.ok(!JSON.stringify(r.container.args).includes('redis'), 'nothing about Redis on the command line');
    const ours = Object.fromEntries(Object.entries(r.env).filter(([name]) => /^SIGNGATE_(SHARED_CACHE|VERDICT_CACHE)/.test(name)));
    const settings = parseServeArgs([], ours, () => 'config.yaml');
    assert.ok(settings !== 'help');
    assert.deepEqual(settings.sharedCache, {
      url: 'rediss://redis-master.redis.svc:6379/0',
      keyFile: '/etc/signgate/shared-cache/seal/key',
      passwordFile: '/etc/signgate/shared-cache/password/redis-password',
      caFile: '/etc/signgate/shared-cache/ca/ca.crt',
    });
    assert.equal(r.container.volumeMounts.find((m) => m.name === 'shared-cache-seal')?.mountPath, '/etc/signgate/shared-cache/seal');
    assert.deepEqual(r.pod.volumes.find((v) => v.name === 'shared-cache-seal')?.secret, { secretName: 'signgate-shared-cache-key', items: [{ key: 'key', path: 'key' }] });
    assert.equal(settings.verdictCacheBytes, 67_108_864);
  });

  it('generates the sealing key Secret once (kept across upgrades), or uses sharedCache.keySecret.name', () => {
    const url = 'redis://redis.redis.svc:6379/0';
    // this renderer has no lookup/randAlphaNum (helm's own parts): the generating template is checked as text
    const template = readFileSync(join(CHART, 'templates', 'shared-cache-key-secret.yaml'), 'utf8');
    assert.match(template, /\$existing := lookup "v1" "Secret" \.Release\.Namespace \$name/);
    assert.match(template, /\$key := randAlphaNum 48 \| b64enc/, '48 characters: at least the 32 bytes signgate serve requires');
    assert.match(template, /helm\.sh\/resource-policy: keep/);
    const own = render({ sharedCache: sharedCache({ url, keySecret: { name: 'my-seal', key: 'seal' } }) });
    assert.equal(own.env.SIGNGATE_SHARED_CACHE_KEY_FILE, '/etc/signgate/shared-cache/seal/seal');
    assert.deepEqual(own.pod.volumes.find((v) => v.name === 'shared-cache-seal')?.secret, { secretName: 'my-seal', items: [{ key: 'seal', path: 'seal' }] });
    const none = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values: { sharedCache: sharedCache({ url, keySecret: { name: 'my-seal', key: 'seal' } }) } }, ['shared-cache-key-secret.yaml']).documents('shared-cache-key-secret.yaml');
    assert.equal(none.length, 0, 'no generated Secret when one is named');
  });

  it('the schema takes the defaults and a plain url, and refuses a password in the url, another scheme, or a CA without TLS', () => {
    const values = (s: Record<string, unknown>, server: Record<string, unknown> = {}) => ({
      ...defaults,
      server: { ...(defaults.server as Record<string, unknown>), ...server },
      sharedCache: sharedCache(s),
    });
    assert.equal(validate(defaults), true, JSON.stringify(validate.errors));
    assert.equal(validate(values({ url: 'redis://redis.redis.svc:6379/1' })), true, JSON.stringify(validate.errors));
    for (const [what, v] of [
      ['a password in the url', values({ url: 'redis://:secret@redis:6379/0' })],
      ['another scheme', values({ url: 'http://redis:6379/0' })],
      ['a CA Secret with redis://', values({ url: 'redis://redis:6379/0', caSecret: { name: 'redis-tls', key: 'ca.crt' } })],
      ['a negative byte bound', values({}, { verdictCacheBytes: -1 })],
    ] as const) {
      assert.equal(validate(v), false, `${what} is refused`);
    }
  });
});
