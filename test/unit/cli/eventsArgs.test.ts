/** `signgate serve --events-token-file` / `--prewarm` (and their SIGNGATE_* variables): parsing and refusals (exit 2). */
import assert from 'node:assert/strict';
import { UsageError } from '../../../provider/src/cli/io.js';
import { parseServeArgs, type ServeSettings } from '../../../provider/src/cli/serveArgs.js';
import { cli } from '../../support/cli.js';

const settings = (argv: string[], env: Record<string, string> = {}): ServeSettings => {
  const s = parseServeArgs(argv, env, () => 'default.yaml');
  assert.notEqual(s, 'help');
  return s as ServeSettings;
};

describe('cli serve: registry event flags', () => {
  it('are off by default: no token file, nothing prewarmed', () => {
    const s = settings([]);
    assert.equal(s.eventsTokenFile, undefined);
    assert.deepEqual(s.prewarm, []);
  });

  it('read repeated --prewarm scopes (or the comma-separated variable) in canonical form', () => {
    const s = settings(['--events-token-file', '/run/token', '--prewarm', 'Registry.Example.com/team/*', '--prewarm', 'registry.example.com/app']);
    assert.equal(s.eventsTokenFile, '/run/token');
    assert.deepEqual(s.prewarm.map((p) => [p.name, p.prefix]), [['registry.example.com/team/', true], ['registry.example.com/app', false]]);
    const fromEnv = settings([], { SIGNGATE_EVENTS_TOKEN_FILE: '/run/token', SIGNGATE_PREWARM: 'r.example.com/a, r.example.com/b*' });
    assert.deepEqual(fromEnv.prewarm.map((p) => p.name), ['r.example.com/a', 'r.example.com/b']);
  });

  it('refuse an invalid scope and a --prewarm without --events-token-file, saying why', () => {
    assert.throws(() => settings(['--events-token-file', '/t', '--prewarm', 'r.example.com/*/app']), (e: unknown) => e instanceof UsageError && /^--prewarm: prewarm scope .* "\*" only at its end/.test(e.message));
    assert.throws(() => settings(['--events-token-file', '/t', '--prewarm', 'no-repository']), (e: unknown) => e instanceof UsageError && /^--prewarm: repository name "no-repository" is invalid/.test(e.message));
    assert.throws(() => settings(['--prewarm', 'r.example.com/app']), (e: unknown) => e instanceof UsageError && /--prewarm needs --events-token-file/.test(e.message));
  });

  it('signgate serve exits 2 for an invalid --prewarm, with the reason and the help', async () => {
    const run = await cli('serve', '--events-token-file', '/t', '--prewarm', 'https://r.example.com/app');
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^signgate serve: --prewarm: repository name "https:\/\/r\.example\.com\/app" is invalid/);
    assert.match(run.stderr, /usage: signgate serve/);
  });
});
