/**
 * Kubernetes Events (`core/v1` Event) on Pods, as `kubectl describe pod` and alerting on events show them: the audit
 * records a Warning when an image that passed verification now fails.
 */
import { randomBytes } from 'node:crypto';
import type { KubeClient } from './client.js';
import { kubeErrorWhile } from './errors.js';

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface PodEventRecorder {
  /** Creates a Warning Event on `pod`; throws KubeError. */
  warning(pod: PodRef, reason: string, message: string, at: Date): Promise<void>;
}

/** The API server refuses longer Event messages. */
const MAX_MESSAGE_LENGTH = 1024;

/** RFC 3339 with seconds, as the Event's firstTimestamp/lastTimestamp (metav1.Time) are written. */
function seconds(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

export function createPodEventRecorder(options: { readonly client: KubeClient; readonly component: string; readonly instance: string }): PodEventRecorder {
  return {
    async warning(pod, reason, message, at) {
      const event = {
        apiVersion: 'v1',
        kind: 'Event',
        // as client-go's recorder names them: the object's name and a unique suffix
        metadata: { name: `${pod.name.slice(0, 200)}.${at.getTime().toString(16)}${randomBytes(4).toString('hex')}`, namespace: pod.namespace },
        involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: pod.namespace, uid: pod.uid },
        reason,
        message: message.length > MAX_MESSAGE_LENGTH ? `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : message,
        type: 'Warning',
        source: { component: options.component },
        reportingComponent: options.component,
        reportingInstance: options.instance,
        firstTimestamp: seconds(at),
        lastTimestamp: seconds(at),
        count: 1,
      };
      try {
        await options.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/events`, { body: event });
      } catch (error) {
        throw kubeErrorWhile(`record Event ${reason} on Pod ${pod.namespace}/${pod.name}`, error);
      }
    },
  };
}
