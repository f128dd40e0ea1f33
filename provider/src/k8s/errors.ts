/** Failures of the Kubernetes source: the API server could not be reached or answered something unusable. */
import { SigngateError } from '../errors.js';

/** Append new codes; never rename one. */
export type KubeErrorCode =
  | 'KUBE_UNREACHABLE' // connection refused, reset, TLS failure, timeout
  | 'KUBE_HTTP' // the API server answered a non-2xx status (other than 410)
  | 'KUBE_GONE' // 410 Gone: the resourceVersion is too old; the informer lists again
  | 'KUBE_RESPONSE' // the body is not JSON of the expected shape, or exceeds its size bound
  | 'KUBE_SECRET' // a referenced Secret is missing, of the wrong type, or lacks a key
  | 'KUBE_CONFIG'; // no usable kubeconfig / in-cluster service account

export class KubeError extends SigngateError<KubeErrorCode> {
  /** HTTP status, when the API server answered. */
  readonly status: number | undefined;

  constructor(code: KubeErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    this.status = options?.status;
  }
}

/** `error` as a KubeError saying what was being done (`cannot <what>: …`), its code and HTTP status kept. */
export function kubeErrorWhile(what: string, error: unknown, hint = ''): KubeError {
  const e = error instanceof KubeError ? error : new KubeError('KUBE_RESPONSE', error instanceof Error ? error.message : String(error), { cause: error });
  return new KubeError(e.code, `cannot ${what}: ${e.message}${hint}`, { cause: e, ...(e.status !== undefined ? { status: e.status } : {}) });
}
