// Kubernetes: the CRD-backed ConfigSource (informers + status conditions) and Gatekeeper's CA from its Secret.
export { kubeClientFromConfig, type KubeClient, type WatchEvent } from './client.js';
export { KubeError, type KubeErrorCode } from './errors.js';
export { startInformer, type Informer, type InformerOptions, type KubeObject } from './informer.js';
export { watchKubernetesConfig, type KubernetesConfigSource, type KubernetesSourceOptions } from './source.js';
export { DEFAULT_GATEKEEPER_CA_SECRET, watchGatekeeperCa, type GatekeeperCa, type GatekeeperCaOptions } from './gatekeeperCa.js';
export { defaultKubeClient, parseSecretKeyRef, startGatekeeperCaFile, startKubernetesConfig, type SecretKeyRef } from './start.js';
export { createLeaseElector, DEFAULT_LEASE_TIMING, LEADER_LABEL, type LeaseElector, type LeaseElectorOptions, type LeaseTiming } from './lease.js';
export { baselineConfigMapName, configMapBaselineStore, MAX_BASELINE_CONFIGMAP_BYTES, type ConfigMapBaselineOptions } from './baselineConfigMap.js';
