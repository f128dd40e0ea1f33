// Kubernetes: the CRD-backed ConfigSource (informers + status conditions), Gatekeeper's CA from its Secret, and the
// audit's Pod watch, PolicyReport writer and Pod Events.
export { kubeClientFromConfig, type KubeClient, type WatchEvent } from './client.js';
export { KubeError, type KubeErrorCode } from './errors.js';
export { defaultSleep, startInformer, type Informer, type InformerOptions, type KubeObject, type Sleep } from './informer.js';
export { watchKubernetesConfig, type KubernetesConfigSource, type KubernetesSourceOptions } from './source.js';
export { DEFAULT_GATEKEEPER_CA_SECRET, watchGatekeeperCa, type GatekeeperCa, type GatekeeperCaOptions } from './gatekeeperCa.js';
export { defaultKubeClient, parseSecretKeyRef, startGatekeeperCaFile, startKubernetesConfig, type SecretKeyRef } from './start.js';
export { createLeaseElector, DEFAULT_LEASE_TIMING, LEADER_LABEL, type LeaseElector, type LeaseElectorOptions, type LeaseTiming } from './lease.js';
export { baselineConfigMapName, configMapBaselineStore, MAX_BASELINE_CONFIGMAP_BYTES, type ConfigMapBaselineOptions } from './baselineConfigMap.js';
export { runningPodOf, watchRunningPods, type ContainerKind, type PodContainerImage, type PodWatch, type RunningPod } from './pods.js';
export { createPolicyReportWriter, POLICY_REPORT_NAME, type PodImageResult, type PolicyReportWriter, type ReportedResult } from './policyReports.js';
export { createPodEventRecorder, type PodEventRecorder, type PodRef } from './podEvents.js';
export { REMOVE_SIGNATURES_FINALIZER, startSigningRuleController, type SigningRuleController, type SigningRuleControllerOptions } from './signingRules.js';
