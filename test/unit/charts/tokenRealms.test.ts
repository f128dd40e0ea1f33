/**
 * charts/signgate: config.store.allowedTokenRealms reaches the Store the chart renders (test/support/helmTemplate.ts),
 * and that Store passes signgate's own checks; without the value the Store carries no such field.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { checkDocuments } from '../../../provider/src/config/index.js';
import { loadChart } from '../../support/helmTemplate.js';

const CHART = join(import.meta.dirname, '..', '..', '..', 'charts', 'signgate');

function renderedStore(values?: Record<string, unknown>): Record<string, unknown> {
  const chart = loadChart(CHART, { name: 'signgate', namespace: 'signgate-system', ...(values ? { values } : {}) }, ['config.yaml']);
  const store = chart.documents('config.yaml').find((d) => d.kind === 'Store');
  assert.ok(store, 'the chart renders a Store');
  return store;
}

const parameters = (store: Record<string, unknown>): Record<string, unknown> => (store.spec as { parameters: Record<string, unknown> }).parameters;

describe('chart: config.store.allowedTokenRealms', () => {
  it('is left out of the Store by default', () => {
    assert.ok(!('allowedTokenRealms' in parameters(renderedStore())));
  });

  it('is rendered into the Store, which signgate accepts', async () => {
    const store = renderedStore({ config: { store: { allowedTokenRealms: ['login.idp.example.net', '10.0.0.7:8443'] } } });
    assert.deepEqual(parameters(store).allowedTokenRealms, ['login.idp.example.net', '10.0.0.7:8443']);
    assert.deepEqual(await checkDocuments([{ file: 'config.yaml', document: 1, value: store }]), []);
  });
});
