import assert from 'node:assert/strict';
import { KubeError, parseSecretKeyRef } from '../../../provider/src/k8s/index.js';
import { parseServeArgs } from '../../../provider/src/cli/serveArgs.js';

describe('k8s: serve --kubernetes wiring', () => {
  it('parses namespace/name[/key] of the Gatekeeper CA Secret and rejects other shapes with KUBE_CONFIG', () => {
    assert.deepEqual(parseSecretKeyRef('gatekeeper-system/gatekeeper-webhook-server-cert', 'x'), { namespace: 'gatekeeper-system', name: 'gatekeeper-webhook-server-cert' });
    assert.deepEqual(parseSecretKeyRef('gk/ca/ca.crt', 'x'), { namespace: 'gk', name: 'ca', key: 'ca.crt' });
    for (const bad of ['gk', 'gk/', 'a/b/c/d', 'a/b/']) assert.throws(() => parseSecretKeyRef(bad, '--gatekeeper-ca-secret'), (e: unknown) => e instanceof KubeError && e.code === 'KUBE_CONFIG');
  });

  it('--kubernetes and --gatekeeper-ca-secret are flags and SIGNGATE_* variables; the CA secret needs --client-ca', () => {
    const s = parseServeArgs(['--kubernetes', 'true', '--gatekeeper-ca-secret', 'gk/ca', '--client-ca', '/tmp/ca.crt'], {}, () => 'cfg');
    assert.ok(s !== 'help' && s.kubernetes && s.gatekeeperCaSecret === 'gk/ca');
    const e = parseServeArgs([], { SIGNGATE_KUBERNETES: 'true' }, () => 'cfg');
    assert.ok(e !== 'help' && e.kubernetes);
    assert.throws(() => parseServeArgs(['--gatekeeper-ca-secret', 'gk/ca'], {}, () => 'cfg'), /needs --kubernetes and --client-ca/);
  });
});
