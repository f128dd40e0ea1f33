/**
 * signgate_cache_entries / signgate_cache_bytes: what each cache holds at scrape time, so that a memory figure can be
 * told apart from caches filling to their bounds (bench/README.md "Soak").
 */
import assert from 'node:assert/strict';
import { ProviderMetrics } from '../../../provider/src/server/index.js';

describe('server metrics: cache fill gauges', () => {
  it('reports entries per cache, and bytes for the caches that count them, as read at each scrape', async () => {
    let verdicts = 3;
    const metrics = new ProviderMetrics({
      cacheSizes: () => ({ verdict: { entries: verdicts, bytes: 4096 }, tags: { entries: 7 }, content: { entries: 2, bytes: 1234 } }),
    });
    let text = await metrics.text();
    assert.match(text, /^signgate_cache_entries\{cache="verdict"\} 3$/m);
    assert.match(text, /^signgate_cache_entries\{cache="tags"\} 7$/m);
    assert.match(text, /^signgate_cache_bytes\{cache="content"\} 1234$/m);
    assert.match(text, /^signgate_cache_bytes\{cache="verdict"\} 4096$/m);
    assert.doesNotMatch(text, /^signgate_cache_bytes\{cache="tags"\}/m, 'no byte figure for a cache bounded by entries only');
    verdicts = 9;
    text = await metrics.text();
    assert.match(text, /^signgate_cache_entries\{cache="verdict"\} 9$/m);
  });

  it('without a source the gauges have no series', async () => {
    const text = await new ProviderMetrics().text();
    assert.doesNotMatch(text, /^signgate_cache_entries\{/m);
  });
});
