/**
 * The chart's registry events to the provider (events.*): off by default; enabled, the provider's container gets
 * --events-token-file from a mounted token Secret (generated, or an existing one) and one --prewarm per scope; the
 * schema refuses what signgate serve would refuse.
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

interface PodSpec {
  containers: { args: string[]; volumeMounts: { name: string; mountPath: string }[] }[];
  volumes: { name: string; secret?: { secretName: string } }[];
}

/** The provider's pod; `secrets`: what events-secret.yaml renders when it needs no `lookup` (this renderer has none: off, or an existing Secret). */
function render(events: Record<string, unknown>, withSecret = true) {
  const chart = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', values: { events } }, ['deployment.yaml', 'events-secret.yaml']);
  const pod = (chart.documents('deployment.yaml').find((d) => d.kind === 'Deployment') as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
  return { pod, container: pod.containers[0], secrets: withSecret ? chart.documents('events-secret.yaml') : [] };
}

describe('charts/signgate: registry events to the provider (events.*)', () => {
  it('is off by default: no flag, no Secret, no mount', () => {
    const r = render({});
    assert.equal(r.container?.args.some((a) => a.startsWith('--events-token-file')), false);
    assert.deepEqual(r.secrets, []);
    assert.equal(r.pod.volumes.some((v) => v.name === 'events-token'), false);
  });

  it('enabled: the token Secret (generated as the signer\'s is) mounted where --events-token-file reads it, and one --prewarm per scope', () => {
    const r = render({ enabled: true, prewarm: ['registry.example.com/team/*', 'registry.example.com/app'] }, false);
    const args = r.container?.args ?? [];
    assert.ok(args.includes('--events-token-file=/etc/signgate/events/token'));
    assert.deepEqual(args.filter((a) => a.startsWith('--prewarm=')), ['--prewarm=registry.example.com/team/*', '--prewarm=registry.example.com/app']);
    assert.deepEqual(r.container?.volumeMounts.find((m) => m.name === 'events-token')?.mountPath, '/etc/signgate/events');
    assert.equal(r.pod.volumes.find((v) => v.name === 'events-token')?.secret?.secretName, 'signgate-events-token');
    // the rendered flags are ones signgate serve accepts
    const flags = args.filter((a) => a.startsWith('--events-token-file') || a.startsWith('--prewarm'));
    const settings = parseServeArgs(flags, {}, () => 'x');
    assert.ok(settings !== 'help');
    assert.equal(settings.prewarm.length, 2);
  });

  it('an existing Secret is used as it is (nothing generated)', () => {
    const r = render({ enabled: true, token: { existingSecret: 'registry-events', key: 'bearer' } });
    assert.deepEqual(r.secrets, []);
    assert.ok(r.container?.args.includes('--events-token-file=/etc/signgate/events/bearer'));
    assert.equal(r.pod.volumes.find((v) => v.name === 'events-token')?.secret?.secretName, 'registry-events');
  });

  it('the schema takes the defaults and refuses a scope with a space or an inner "*"', () => {
    const events = (e: Record<string, unknown>) => ({ ...defaults, events: { ...(defaults.events as Record<string, unknown>), ...e } });
    assert.equal(validate(defaults), true, JSON.stringify(validate.errors));
    assert.equal(validate(events({ enabled: true, prewarm: ['registry.example.com/team/*'] })), true, JSON.stringify(validate.errors));
    for (const bad of ['registry.example.com/*/app', 'a b', 'x,y']) assert.equal(validate(events({ prewarm: [bad] })), false, bad);
  });
});
