/**
 * Randomized configuration changes (issue 15, section 4): fast-check draws sequences of edits to a config file that
 * `watchConfigFiles` watches (certificate A or B added/removed, the trust policy's identities tightened to signer A or
 * loosened to "*", a NamespacedVerifier for namespace "team" added/removed) while three clients keep asking the
 * provider (createApp + startServer over HTTPS, docker-registry behind it) to verify six keys. An oracle computes each
 * key's verdict from the configuration in force. The rule checked: once an edit's generation is visible in the config
 * source, no request sent after that returns anything but the new answer; a request sent while an edit is pending may
 * return the old or the new answer, but one of them for all its keys (one request, one configuration).
 *
 * CI runs a fixed seed and a few runs; SIGNGATE_RANDOM_CONFIG_RUNS=500 (and SIGNGATE_RANDOM_CONFIG_SEED) runs longer.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import crossFetch from 'cross-fetch';
import fc from 'fast-check';
import { pino } from 'pino';
import { watchConfigFiles, type FileConfigSource } from '../../provider/src/config/index.js';
import { Registry, type Descriptor, type FetchLike } from '../../provider/src/oci/index.js';
import { createApp, startServer, type RunningServer } from '../../provider/src/server/index.js';
import { createProviderExecutor, createRegistryPool, type Verdict } from '../../provider/src/verify/index.js';
import { writeAtomically } from '../support/files.js';
import { createPki, type Pki } from '../support/pki.js';
import { startRegistry, type RunningRegistry } from '../support/registry.js';
import { requireComponent } from '../support/requirements.js';
import { waitFor } from '../support/waitFor.js';
import { AT, NOTARY, TempDirs, pushImage, signImage } from '../unit/verify/fixtures.js';
import { httpsCall } from '../unit/server/tlsClient.js';

const RUNS = Number(process.env['SIGNGATE_RANDOM_CONFIG_RUNS'] ?? 4);
const SEED = Number(process.env['SIGNGATE_RANDOM_CONFIG_SEED'] ?? 20261202);
const CLIENTS = 3;

/** The configuration in force, as the oracle sees it. */
interface State {
  readonly certA: boolean;
  readonly certB: boolean;
  /** trustedIdentities only signer A's subject (tight) instead of "*" (loose). */
  readonly tight: boolean;
  /** A NamespacedVerifier for "team" that trusts certificate B only. */
  readonly team: boolean;
}
type Edit = keyof State;
const EDITS: readonly Edit[] = ['certA', 'certB', 'tight', 'team'];
const BASE: State = { certA: true, certB: true, tight: false, team: false };
/** Run first, so that even a short CI budget sees every edit applied and undone under every other one. */
const EVERY_EDIT_TWICE: Edit[] = ['tight', 'team', 'certB', 'certA', 'tight', 'team', 'certA', 'certB'];
const apply = (s: State, e: Edit): State => ({ ...s, [e]: !s[e] });

type Image = 'a' | 'b' | 'unsigned';
const KEYS: readonly { readonly namespace: '' | 'team'; readonly image: Image }[] = ['', 'team'].flatMap((namespace) =>
  (['a', 'b', 'unsigned'] as const).map((image) => ({ namespace: namespace as '' | 'team', image })),
);

/** The oracle: image a is signed by A's leaf, b by B's; unsigned has no signature. */
function expected(s: State, namespace: '' | 'team', image: Image): boolean {
  if (image === 'unsigned') return false;
  if (namespace === 'team' && s.team) return image === 'b';
  const trusted = image === 'a' ? s.certA : s.certB;
  return trusted && (!s.tight || image === 'a');
}

const SUBJECT_A = 'x509.subject: C=US, ST=WA, O=signgate, CN=signer A';

function render(s: State, pem: { a: string; b: string; decoy: string }): string {
  const api = 'config.signgate.dev/v1alpha1';
  const kmp = (name: string, value: string) => ({ apiVersion: api, kind: 'KeyManagementProvider', metadata: { name }, spec: { type: 'inline', parameters: { contentType: 'certificate', value } } });
  const verifier = (kind: string, meta: object, stores: readonly string[], identities: readonly string[]) => ({
    apiVersion: api,
    kind,
    metadata: { name: 'notation', ...meta },
    spec: {
      type: 'notation',
      artifactTypes: [NOTARY],
      parameters: {
        verificationCertStores: { ca: { trusted: stores } },
        trustPolicyDoc: { version: '1.0', trustPolicies: [{ name: 'default', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:trusted'], trustedIdentities: identities }] },
      },
    },
  });
  // the decoy root signs nothing: it keeps the store non-empty when both A and B are removed
  const stores = ['decoy', ...(s.certA ? ['cert-a'] : []), ...(s.certB ? ['cert-b'] : [])];
  const docs: object[] = [kmp('cert-a', pem.a), kmp('cert-b', pem.b), kmp('decoy', pem.decoy), verifier('Verifier', {}, stores, s.tight ? [SUBJECT_A] : ['*'])];
  if (s.team) docs.push(verifier('NamespacedVerifier', { namespace: 'team' }, ['cert-b'], ['*']));
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

type Answer = readonly boolean[];
interface Observation {
  /** Index of the last edit visible when the request was sent, and of the last edit written. */
  readonly visible: number;
  readonly pending: number;
  readonly answer: Answer;
}

describe('e2e: randomized configuration changes under concurrent requests', function () {
  this.timeout(60_000 + RUNS * 15_000);
  const dirs = new TempDirs();
  let registry: RunningRegistry | undefined;
  let server: RunningServer | undefined;
  let source: FileConfigSource | undefined;
  let file: string;
  let pem: { a: string; b: string; decoy: string };
  let host: string;

  before(async function () {
    requireComponent(this, 'docker-registry');
    registry = await startRegistry();
    host = registry.host;
    const pki = async (leaf: string): Promise<Pki> => createPki({ at: AT, leafSubject: leaf });
    const [a, b, decoy] = await Promise.all([pki('CN=signer A,O=signgate,ST=WA,C=US'), pki('CN=signer B,O=signgate,ST=WA,C=US'), pki('CN=decoy,O=elsewhere,ST=WA,C=US')]);
    pem = { a: a.root.pem, b: b.root.pem, decoy: decoy.root.pem };
    const client = new Registry({ fetch: crossFetch as unknown as FetchLike, clock: () => AT });
    const repo = client.repository(`${host}/random/app`);
    const images: Partial<Record<Image, Descriptor>> = {};
    for (const image of ['a', 'b', 'unsigned'] as const) images[image] = await pushImage(repo, image);
    await signImage(repo, images.a as Descriptor, a);
    await signImage(repo, images.b as Descriptor, b);
    client.close();

    file = join(await dirs.make('signgate-random-config-'), 'config.yaml');
    await writeAtomically(file, render(BASE, pem));
    source = await watchConfigFiles([file], { debounceMs: 10, pollMs: 500 });
    const pool = createRegistryPool(() => new Registry({ fetch: crossFetch as unknown as FetchLike, clock: () => AT }));
    const executor = createProviderExecutor({ registryFor: (s) => pool.registryFor(s), clock: () => AT });
    const logger = pino({ level: 'silent' });
    const app = createApp({ configSource: source, executor, logger });
    server = await startServer({ handler: app.callback(), address: '127.0.0.1:0', logger, clock: () => new Date(Date.now()) });
  });

  after(async function () {
    await server?.close();
    await source?.close();
    await registry?.stop();
    await dirs.cleanup();
  });

  async function ask(): Promise<Answer> {
    const keys = KEYS.map((k) => `${k.namespace ? `[${k.namespace}]` : ''}${host}/random/app:${k.image}`);
    const res = await httpsCall(server?.url ?? '', {
      method: 'POST',
      path: '/ratify/gatekeeper/v1/verify',
      ca: server?.devCertificate?.caPem ?? '',
      body: JSON.stringify({ apiVersion: 'externaldata.gatekeeper.sh/v1beta1', kind: 'ProviderRequest', request: { keys } }),
    });
    assert.equal(res.status, 200, res.body);
    const items = (JSON.parse(res.body) as { response: { items: { key: string; value?: Verdict; error?: string }[] } }).response.items;
    return items.map((item) => {
      assert.ok(item.value !== undefined, `${item.key}: a verdict, not an item error: ${item.error ?? ''}`);
      return item.value.isSuccess;
    });
  }

  const oracle = (s: State): Answer => KEYS.map((k) => expected(s, k.namespace, k.image));
  const show = (a: Answer): string => KEYS.map((k, i) => `${k.namespace ? `[${k.namespace}]` : ''}${k.image}=${a[i] ? 'pass' : 'fail'}`).join(' ');

  /** Writes `state` and waits until the config source shows a new generation (none when the bytes are unchanged). */
  let written = '';
  async function applyState(state: State): Promise<void> {
    const text = render(state, pem);
    if (text === written) return;
    const before = source?.current()?.generation ?? 0;
    written = text;
    await writeAtomically(file, text);
    const outcome = await waitFor(
      () => source?.lastError() ?? ((source?.current()?.generation ?? 0) > before ? 'loaded' : undefined),
      `the config source to load the edit (generation > ${before})`,
    );
    assert.equal(outcome, 'loaded', 'every edit is a valid configuration');
  }

  it(`after an edit is visible no request returns the old answer (seed ${SEED}, ${RUNS} runs)`, async function () {
    written = render(BASE, pem);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...EDITS), { minLength: 1, maxLength: 8 }), async (edits) => {
        const states = [BASE];
        for (const e of edits) states.push(apply(states[states.length - 1] as State, e));
        await applyState(BASE);
        const seen: Observation[] = [];
        let visible = 0;
        let pending = 0;
        let stop = false;
        const clients = Array.from({ length: CLIENTS }, async () => {
          while (!stop) {
            const at = { visible, pending };
            seen.push({ ...at, answer: await ask() });
          }
        });
        try {
          for (let k = 1; k < states.length; k++) {
            pending = k;
            await applyState(states[k] as State);
            visible = k;
            // let every client send at least one request under this configuration before the next edit
            const from = seen.length;
            await waitFor(() => seen.slice(from).filter((o) => o.visible === k && o.pending === k).length >= CLIENTS, `${CLIENTS} answers under edit ${k}`);
          }
        } finally {
          stop = true;
          await Promise.all(clients);
        }
        for (const o of seen) {
          const now = show(oracle(states[o.visible] as State));
          const got = show(o.answer);
          if (o.visible === o.pending) {
            assert.equal(got, now, `sent after edit ${o.visible} (${edits.slice(0, o.visible).join(', ') || 'none'}) was visible`);
          } else {
            const next = show(oracle(states[o.pending] as State));
            assert.ok(got === now || got === next, `sent while edit ${o.pending} was pending: ${got}; expected ${now} or ${next}`);
          }
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, examples: [[EVERY_EDIT_TWICE]] },
    );
  });
});
