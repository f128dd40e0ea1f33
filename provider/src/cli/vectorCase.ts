import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  NotationError,
  failedValidation,
  firstLoggedFailure,
  openTrustStore,
  parseTrustPolicyDocument,
  type Descriptor,
} from '../notation/index.js';
import { openOciLayout } from '../oci/index.js';
import { verifyArtifact, type ArtifactVerification, type SignatureSource } from '../verify/index.js';

export type ExpectedResult = 'pass' | 'pass-with-logged-failure' | 'fail' | 'skipped';

export interface VectorCase {
  readonly id: string;
  readonly verificationTime: Date;
  readonly artifactReference: string;
  readonly signature?: { readonly path: string; readonly mediaType: string };
  readonly subject?: Descriptor;
  readonly ociLayout?: { readonly path: string; readonly reference: string };
  readonly userMetadata?: Readonly<Record<string, string>>;
  readonly trustPolicy: unknown;
  readonly trustStore: string;
  readonly expected: { readonly result: ExpectedResult; readonly validation?: string };
}

export interface VectorOutcome {
  readonly result: ExpectedResult | 'error';
  readonly validation?: string;
  readonly message?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new Error(`${where}: "${key}" must be a non-empty string`);
  return v;
}

function parseCase(v: unknown, i: number): VectorCase {
  if (!isObj(v)) throw new Error(`case ${i}: not an object`);
  const where = `case ${i} (${String(v.id)})`;
  const time = new Date(str(v, 'verificationTime', where));
  if (Number.isNaN(time.getTime())) throw new Error(`${where}: verificationTime is not RFC 3339`);
  const expected = v.expected;
  if (!isObj(expected)) throw new Error(`${where}: "expected" must be an object`);
  const result = str(expected, 'result', where);
  if (!['pass', 'pass-with-logged-failure', 'fail', 'skipped'].includes(result)) throw new Error(`${where}: unknown result ${result}`);
  const sig = v.signature;
  const layout = v.ociLayout;
  if ((sig === undefined) === (layout === undefined)) throw new Error(`${where}: needs exactly one of "signature" and "ociLayout"`);
  let subject: Descriptor | undefined;
  if (sig !== undefined) {
    const s = v.subject;
    if (!isObj(sig) || !isObj(s) || typeof s.size !== 'number') throw new Error(`${where}: "signature" needs a "subject" descriptor`);
    subject = { mediaType: str(s, 'mediaType', where), digest: str(s, 'digest', where), size: s.size };
  }
  let userMetadata: Record<string, string> | undefined;
  if (v.userMetadata !== undefined) {
    if (!isObj(v.userMetadata) || Object.values(v.userMetadata).some((x) => typeof x !== 'string')) {
      throw new Error(`${where}: "userMetadata" must map strings to strings`);
    }
    userMetadata = v.userMetadata as Record<string, string>;
  }
  return {
    id: str(v, 'id', where),
    verificationTime: time,
    artifactReference: str(v, 'artifactReference', where),
    ...(isObj(sig) ? { signature: { path: str(sig, 'path', where), mediaType: str(sig, 'mediaType', where) } } : {}),
    ...(subject ? { subject } : {}),
    ...(isObj(layout) ? { ociLayout: { path: str(layout, 'path', where), reference: str(layout, 'reference', where) } } : {}),
    ...(userMetadata ? { userMetadata } : {}),
    trustPolicy: v.trustPolicy,
    trustStore: str(v, 'trustStore', where),
    expected: {
      result: result as ExpectedResult,
      ...(typeof expected.validation === 'string' ? { validation: expected.validation } : {}),
    },
  };
}

export function parseVectorFile(doc: unknown, file: string): { readonly cases: readonly VectorCase[] } {
  if (!isObj(doc) || doc.format !== 'signgate-notation-vectors/v1' || !Array.isArray(doc.cases)) {
    throw new Error(`${file} is not a signgate-notation-vectors/v1 document (needs "format" and "cases")`);
  }
  return { cases: doc.cases.map(parseCase) };
}

/** A source holding one detached signature, for cases that give the envelope and the subject directly. */
function detachedSignature(mediaType: string, bytes: Uint8Array): SignatureSource {
  const blob = { mediaType, digest: 'detached', size: bytes.byteLength };
  return {
    signatureManifests: async () => [{ descriptor: { mediaType: 'detached', digest: 'detached', size: 0 }, blobs: [blob] }],
    fetchBlob: async () => bytes,
  };
}

function toOutcome(v: ArtifactVerification): VectorOutcome {
  if (v.kind === 'skipped') return { result: 'skipped' };
  if (v.kind === 'discovery-failed') return { result: 'fail', validation: 'signatureDiscovery', message: v.error.message };
  const last = v.signatures[v.signatures.length - 1];
  if (!last) return { result: 'fail', validation: 'signatureDiscovery' };
  if (v.kind === 'failed') {
    const failed = failedValidation(last.outcome);
    return { result: 'fail', validation: failed?.type ?? 'integrity', message: last.outcome.error?.message ?? '' };
  }
  const logged = firstLoggedFailure(last.outcome);
  return logged
    ? { result: 'pass-with-logged-failure', validation: logged.type, message: logged.error?.message ?? '' }
    : { result: 'pass' };
}

export async function runVectorCase(c: VectorCase, corpus: string): Promise<VectorOutcome> {
  let trustPolicy;
  try {
    trustPolicy = parseTrustPolicyDocument(c.trustPolicy);
  } catch (err) {
    if (err instanceof NotationError) return { result: 'fail', validation: 'trustPolicy', message: err.message };
    throw err;
  }
  let source: SignatureSource;
  let subject: Descriptor;
  if (c.signature && c.subject) {
    source = detachedSignature(c.signature.mediaType, await readFile(join(corpus, c.signature.path)));
    subject = c.subject;
  } else if (c.ociLayout) {
    const layout = await openOciLayout(join(corpus, c.ociLayout.path));
    subject = await layout.resolve(c.ociLayout.reference);
    source = layout;
  } else {
    throw new Error(`case ${c.id} has neither signature nor ociLayout`);
  }
  try {
    const verification = await verifyArtifact({
      source,
      subject,
      artifactReference: c.artifactReference,
      trustPolicy,
      trustStore: openTrustStore(join(corpus, c.trustStore)),
      clock: () => c.verificationTime,
      ...(c.userMetadata ? { userMetadata: c.userMetadata } : {}),
    });
    return toOutcome(verification);
  } catch (err) {
    if (err instanceof NotationError && err.code === 'TRUST_POLICY_NOT_APPLICABLE') {
      return { result: 'fail', validation: 'trustPolicy', message: err.message };
    }
    throw err;
  }
}
