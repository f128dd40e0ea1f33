/** Shared fixtures of the k8s tests: the protocol-level API test server, a KubeConfig client for it, resources. */
import { KubeConfig } from '@kubernetes/client-node';
import { kubeClientFromConfig, type KubeClient } from '../../../provider/src/k8s/index.js';
import { KubeApiTestServer } from '../../support/kubeApiServer.js';

export const API = 'config.signgate.dev/v1alpha1';
export const TOKEN = 'test-token-123';

/** A KubeConfig (bearer token user) pointing at the test server, through the same code path as a real cluster. */
export function clientFor(server: KubeApiTestServer, token = TOKEN): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: server.url, skipTLSVerify: true }],
    users: [{ name: 'test', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return kubeClientFromConfig(kc);
}

export async function startApi(): Promise<KubeApiTestServer> {
  const server = new KubeApiTestServer({ token: TOKEN });
  await server.start();
  return server;
}

export function kmpInline(name: string, pem: string): Record<string, unknown> {
  return { apiVersion: API, kind: 'KeyManagementProvider', metadata: { name }, spec: { type: 'inline', parameters: { contentType: 'certificate', value: pem } } };
}

export function verifier(name: string, kmp: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: API,
    kind: 'Verifier',
    metadata: { name },
    spec: {
      type: 'notation',
      artifactTypes: ['application/vnd.cncf.notary.signature'],
      parameters: {
        verificationCertStores: { ca: { store: [kmp] } },
        trustPolicyDoc: { version: '1.0', trustPolicies: [{ name: 'default', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:store'], trustedIdentities: ['*'] }] },
        ...extra,
      },
    },
  };
}

export function store(name: string, parameters: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: API, kind: 'Store', metadata: { name }, spec: { type: 'oras', parameters: { cacheEnabled: true, ttl: 10, ...parameters } } };
}

export function secret(namespace: string, name: string, data: Record<string, string | Uint8Array>, type = 'Opaque'): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type,
    metadata: { name, namespace },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

/** The Ready condition the test server holds for an object. */
export function readyOf(server: KubeApiTestServer, kind: string, name: string, namespace?: string): Record<string, unknown> | undefined {
  const o = server.get(API, kind, name, namespace);
  const conditions = (o?.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === 'Ready');
}
