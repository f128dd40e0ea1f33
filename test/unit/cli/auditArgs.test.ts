/** `signgate serve --audit-interval` / `--audit-qps` (and their SIGNGATE_* variables): defaults, units, off, refusals. */
import assert from 'node:assert/strict';
import { UsageError } from '../../../provider/src/cli/io.js';
import { parseServeArgs, type ServeSettings } from '../../../provider/src/cli/serveArgs.js';

const settings = (argv: string[], env: Record<string, string> = {}): ServeSettings => {
  const s = parseServeArgs(argv, env, () => 'default.yaml');
  assert.notEqual(s, 'help');
  return s as ServeSettings;
};

describe('cli serve: audit flags', () => {
  it('default to every 10 minutes at 5 verifications per second', () => {
    assert.deepEqual({ interval: settings([]).auditIntervalMs, qps: settings([]).auditQps }, { interval: 600_000, qps: 5 });
  });

  it('take durations with a unit, 0 or off (no audit), from the flag or the environment (the flag wins)', () => {
    assert.equal(settings(['--audit-interval', '30s']).auditIntervalMs, 30_000);
    assert.equal(settings(['--audit-interval=2m']).auditIntervalMs, 120_000);
    assert.equal(settings(['--audit-interval', 'off']).auditIntervalMs, 0);
    assert.equal(settings([], { SIGNGATE_AUDIT_INTERVAL: '0' }).auditIntervalMs, 0);
    assert.equal(settings(['--audit-interval', '1h'], { SIGNGATE_AUDIT_INTERVAL: 'off' }).auditIntervalMs, 3_600_000);
    assert.equal(settings([], { SIGNGATE_AUDIT_QPS: '50' }).auditQps, 50);
  });

  it('refuse what is not a duration of at least 1s, and a qps below 1, saying what is expected', () => {
    for (const bad of ['10', '500ms', 'soon', '-1m']) {
      assert.throws(
        () => settings([`--audit-interval=${bad}`]),
        (e: unknown) => e instanceof UsageError && e.message === `--audit-interval must be a duration of at least 1s such as 10m or 30s, or 0/off to turn the audit off, got "${bad}"`,
        bad,
      );
    }
    assert.throws(() => settings(['--audit-qps', '0']), (e: unknown) => e instanceof UsageError && /^--audit-qps must be at least 1, got 0$/.test(e.message));
    assert.throws(() => settings(['--audit-qps', '2.5']), (e: unknown) => e instanceof UsageError && /^--audit-qps must be a whole number, got "2.5"$/.test(e.message));
  });

  it('--audit-lease names the Lease whose holder audits; it needs --kubernetes and an audit', () => {
    assert.equal(settings(['--kubernetes']).auditLease, undefined, 'default: every replica audits');
    assert.deepEqual(settings(['--kubernetes'], { SIGNGATE_AUDIT_LEASE: 'signgate-system/signgate-audit' }).auditLease, { namespace: 'signgate-system', name: 'signgate-audit' });
    for (const bad of ['signgate-audit', 'a/b/c', 'Upper/x', '/x']) {
      assert.throws(() => settings(['--kubernetes', `--audit-lease=${bad}`]), (e: unknown) => e instanceof UsageError && e.message === `--audit-lease must be NAMESPACE/NAME of a Lease (lowercase DNS names), got "${bad}"`, bad);
    }
    for (const argv of [['--audit-lease', 'ns/l'], ['--kubernetes', '--audit-interval', 'off', '--audit-lease', 'ns/l']]) {
      assert.throws(() => settings(argv), (e: unknown) => e instanceof UsageError && e.message === '--audit-lease needs --kubernetes and an --audit-interval other than off');
    }
  });
});
