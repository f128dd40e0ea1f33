/**
 * `signgate signer serve --kubernetes` in process, as the integration tests run it: startKubernetesSigner for one Pod
 * of NAMESPACE (lease `signgate-signer`, a silent log, 2 at once), behind the signer app on plain HTTP checking
 * SIGNER_TOKEN. Each test gives the Kubernetes client (and lease timing) it needs.
 */
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startKubernetesSigner, type KubernetesSigner, type KubernetesSignerOptions } from '../../provider/src/cli/signerKubernetes.js';
import type { KubeClient } from '../../provider/src/k8s/index.js';
import { createSignerApp, SignerMetrics, startServer, type RunningServer } from '../../provider/src/server/index.js';
import { SIGNER_TOKEN } from './signerFiles.js';

export interface TestKubernetesSigner {
  readonly signer: KubernetesSigner;
  /** The signer app; registry notifications go to `${server.url}/v1/registry-events`. */
  readonly server: RunningServer;
}

export async function startTestKubernetesSigner(options: {
  readonly pod: string;
  readonly namespace: string;
  readonly client: KubeClient;
  readonly leaseTiming?: KubernetesSignerOptions['leaseTiming'];
}): Promise<TestKubernetesSigner> {
  const metrics = new SignerMetrics();
  const logger = pino({ level: 'silent' });
  const signer = await startKubernetesSigner({
    namespace: undefined,
    leaseName: 'signgate-signer',
    env: { POD_NAME: options.pod, POD_NAMESPACE: options.namespace },
    plugins: {},
    clock: () => new Date(),
    log: () => {},
    metrics,
    concurrency: 2,
    keyTimeoutMs: 10_000,
    client: options.client,
    ...(options.leaseTiming === undefined ? {} : { leaseTiming: options.leaseTiming }),
    statusIntervalMs: 300,
  });
  const app = createSignerApp({ service: signer.service, tokens: { check: async (a) => assert.equal(a, `Bearer ${SIGNER_TOKEN}`) }, logger, metrics, standby: () => signer.standby() });
  const server = await startServer({ handler: app.callback(), address: '127.0.0.1:0', plainHttp: true, logger, clock: () => new Date() });
  return { signer, server };
}
