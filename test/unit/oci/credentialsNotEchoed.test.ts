/**
 * A Docker config.json that does not parse must not be quoted back: V8's JSON.parse message quotes the text around
 * the error ('..."auth":c2VjcmV0LX"... is not valid JSON'), which in a Docker config is a credential. Neither the
 * error message nor the error as pino logs it (cause included, at level trace) may carry any part of it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { OciError, loadDockerConfig } from '../../../provider/src/oci/index.js';

const AUTH = Buffer.from('secret-user:secret-password-5e6f').toString('base64');
/** Any 8 characters in a row of the base64 credential. */
const fragments = (secret: string): string[] => Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8));

describe('oci Docker config: a file that does not parse is never quoted in errors or logs', function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'signgate-dockercfg-'));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  const broken: Record<string, string> = {
    'an unquoted auth value': `{"auths":{"registry.example":{"auth":${AUTH}}}}`,
    'a missing comma after the auth value': `{"auths":{"registry.example":{"auth":"${AUTH}" "email":"x"}}}`,
    'a truncated file': `{"auths":{"registry.example":{"auth":"${AUTH}`,
  };
  for (const [name, text] of Object.entries(broken)) {
    it(`${name}: CREDENTIALS_INVALID with the line and column, and no fragment of the credential`, async function () {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
      await writeFile(file, text);
      let logged = '';
      const logger = pino({ level: 'trace' }, new Writable({ write: (c: Buffer, _e, cb) => ((logged += c.toString()), cb()) }));
      await assert.rejects(loadDockerConfig(file), (e: unknown) => {
        assert.ok(e instanceof OciError, String(e));
        assert.equal(e.code, 'CREDENTIALS_INVALID');
        assert.match(e.message, new RegExp(`^Docker config ${file.replace(/[.]/g, '\\.')} is not valid JSON: line 1, column \\d+: `));
        logger.trace({ err: e }, 'could not decide: error detail');
        for (const f of fragments(AUTH)) {
          assert.ok(!e.message.includes(f), `the message quotes the credential: ${e.message}`);
          assert.ok(!logged.includes(f), `the log line quotes the credential: ${logged}`);
        }
        return true;
      });
    });
  }
});
