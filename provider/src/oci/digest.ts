/**
 * OCI digests (`<algorithm>:<encoded>`, image-spec descriptor.md "Digests"): parsing, computing, and checking content
 * against a descriptor. Only the registered algorithms sha256 and sha512 are accepted, lowercase hex of exact length.
 */
import { createHash } from 'node:crypto';
import { OciError } from './errors.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
}

/** Why `value` is not an acceptable digest, or undefined when it is one. */
export function digestProblem(value: string): string | undefined {
  if (value.length > 200) return 'it is longer than any supported digest';
  if (!GRAMMAR.test(value)) return 'it is not of the form <algorithm>:<hex>';
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    return `algorithm "${algorithm}" is not supported (use sha256 or sha512)`;
  }
  const want = HEX_LENGTH[algorithm];
  if (!/^[a-f0-9]+$/.test(hex)) return `the ${algorithm} value must be lowercase hexadecimal`;
  if (hex.length !== want) return `a ${algorithm} value has ${want} hex characters, this one has ${hex.length}`;
  return undefined;
}

export function isDigest(value: string): boolean {
  return digestProblem(value) === undefined;
}

/** Parses `sha256:<64 hex>` / `sha512:<128 hex>`; `where` names the field or input for the error message. */
export function parseDigest(value: string, where = 'digest'): ParsedDigest {
  const problem = digestProblem(value);
  if (problem !== undefined) {
    throw new OciError('DIGEST_INVALID', `${where} "${clip(value)}" is not a valid digest: ${problem}; expected for example sha256:${'0'.repeat(64)}`);
  }
  const colon = value.indexOf(':');
  return { algorithm: value.slice(0, colon) as DigestAlgorithm, hex: value.slice(colon + 1) };
}

export function computeDigest(content: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(content).digest('hex')}`;
}

/** An incremental digester for streamed content. */
export function createDigester(algorithm: DigestAlgorithm): { update(chunk: Uint8Array): void; digest(): string } {
  const hash = createHash(algorithm);
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => `${algorithm}:${hash.digest('hex')}`,
  };
}

/**
 * Throws unless `content` has exactly `expected.size` bytes and hashes to `expected.digest`.
 * `what` says what was read and from where (for example `manifest sha256:.. in layout /x`).
 */
export function verifyContent(content: Uint8Array, expected: { readonly digest: string; readonly size: number }, what: string): void {
  if (content.byteLength !== expected.size) {
    throw new OciError('SIZE_MISMATCH', `${what}: expected ${expected.size} bytes, got ${content.byteLength}; the content is truncated or was replaced`);
  }
  const { algorithm } = parseDigest(expected.digest);
  const actual = computeDigest(content, algorithm);
  if (actual !== expected.digest) {
    throw new OciError('DIGEST_MISMATCH', `${what}: content hashes to ${actual}, not ${expected.digest}; the content was tampered with or corrupted`);
  }
}

export function clip(value: string, max = 120): string {
  return value.length > max ? `${value.slice(0, max)}...` : value;
}
