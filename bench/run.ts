/** `npm run bench`: every benchmark, each as a ratio against a floor measured in the same run. */
import { formatResult, type BenchResult } from './measure.js';
import { benchNotation } from './notation.js';
import { benchProvider } from './provider.js';
import { benchRegistry } from './registry.js';
import { benchRego } from './rego.js';
import { benchRevocation } from './revocation.js';
import { benchSharedCache } from './sharedCache.js';
import { benchSigning } from './signing.js';
import { benchSignOnPush } from './signOnPush.js';
import { benchStartup } from './startup.js';

const suites: { name: string; run: () => Promise<BenchResult[]> }[] = [
  { name: 'start-up and footprint', run: benchStartup },
  { name: 'notation', run: benchNotation },
  { name: 'revocation', run: benchRevocation },
  { name: 'registry', run: benchRegistry },
  { name: 'provider', run: benchProvider },
  { name: 'verdict cache: memory, and two replicas sharing one Redis', run: benchSharedCache },
  { name: 'rego', run: benchRego },
  { name: 'signing (keys in custody)', run: benchSigning },
  { name: 'sign on push (docker-registry notifications -> signgate signer serve)', run: benchSignOnPush },
];

for (const suite of suites) {
  process.stdout.write(`# ${suite.name}\n`);
  for (const r of await suite.run()) process.stdout.write(`${formatResult(r)}\n`);
}
