/** A watch line that is not JSON is refused without echoing its text (a watched Secret's data must never reach a log). */
import assert from 'node:assert/strict';
import { parseWatchLine } from '../../../provider/src/k8s/client.js';
import { KubeError } from '../../../provider/src/k8s/errors.js';

describe('k8s watch lines', () => {
  it('parses an event', () => {
    const event = parseWatchLine('{"type":"ADDED","object":{"kind":"Secret","metadata":{"name":"s"}}}', 'the Secret watch');
    assert.equal(event.type, 'ADDED');
  });

  it('refuses a broken line naming where it breaks, with no excerpt of the data and no cause', () => {
    const secret = 'c2lnbmdhdGU6dG9wLXNlY3JldC1wYXNzd29yZA==';
    const line = `{"type":"MODIFIED","object":{"kind":"Secret","data":{".dockerconfigjson":"${secret}"} oops}}`;
    assert.throws(
      () => parseWatchLine(line, 'the Secret watch'),
      (err: unknown) => {
        assert.ok(err instanceof KubeError);
        assert.equal(err.code, 'KUBE_RESPONSE');
        assert.match(err.message, /^the Secret watch sent a watch event that is not JSON \(line 1, column \d+: /);
        assert.ok(!err.message.includes(secret.slice(0, 12)), err.message);
        assert.equal(err.cause, undefined);
        return true;
      },
    );
  });
});
