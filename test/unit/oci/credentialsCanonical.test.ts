/** Docker config keys name registries in any spelling; the lookup sees only canonical registries. */
import assert from 'node:assert/strict';
import { parseDockerConfig, parseReference, staticCredentials } from '../../../provider/src/oci/index.js';

const auth = (user: string): { auth: string } => ({ auth: Buffer.from(`${user}:pw`).toString('base64') });

describe('oci credentials: keys in canonical form', () => {
  it('finds the credential of a registry whatever spelling the config and the image use', async () => {
    const lookup = parseDockerConfig({
      auths: {
        'https://Index.Docker.io/v1/': auth('hub'),
        'http://LOCALHOST:05000/v2/': auth('local'),
        'Registry.Example.COM:443': auth('example'),
        '[0:0::1]:0080': auth('v6'),
        'not a host': auth('never'),
      },
    });
    const user = async (image: string): Promise<string | undefined> => {
      const c = await lookup(parseReference(image).registry);
      return c !== undefined && 'username' in c ? c.username : undefined;
    };
    assert.equal(await user('nginx'), 'hub');
    assert.equal(await user('registry-1.docker.io/team/app'), 'hub');
    assert.equal(await user('localhost:5000/app'), 'local');
    assert.equal(await user('registry.example.com/app'), 'example');
    assert.equal(await user('[::1]:80/app'), 'v6');
    assert.equal(await user('registry.example.com:5000/app'), undefined, 'another port is another registry');
    assert.equal(await user('localhost:5001/app'), undefined);
  });

  it('where two keys name one registry, the first wins', async () => {
    const lookup = staticCredentials({ 'docker.io': { username: 'first', password: 'a' }, 'index.docker.io': { username: 'second', password: 'b' } });
    const c = await lookup('docker.io');
    assert.ok(c !== undefined && 'username' in c);
    assert.equal(c.username, 'first');
  });
});
