/**
 * Notation plugin contract 1.0 (Notary Project plugin-extensibility specification): one typed request and one parsed
 * response per signing command. Every response is untrusted JSON, validated field by field into a readonly value or
 * refused with PLUGIN_RESPONSE_INVALID naming the plugin, the command and the field.
 */
import { KEY_SPECS, type KeySpec } from '../../notation/index.js';
import { KeyError } from '../errors.js';

export const CONTRACT_VERSION = '1.0';
export const CAPABILITY_RAW = 'SIGNATURE_GENERATOR.RAW';
export const CAPABILITY_ENVELOPE = 'SIGNATURE_GENERATOR.ENVELOPE';
export type HashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** Far above any real answer; bounds what an answer may make us hold. */
const MAX_CHAIN = 16;
const MAX_ANNOTATIONS = 64;
const MAX_CAPABILITIES = 32;

export interface PluginMetadata {
  readonly name: string;
  readonly version: string;
  readonly supportedContractVersions: readonly string[];
  readonly capabilities: readonly string[];
}

export interface DescribeKeyResponse {
  readonly keyId: string;
  readonly keySpec: KeySpec;
}

export interface GenerateSignatureResponse {
  readonly keyId: string;
  readonly signature: Uint8Array;
  readonly signingAlgorithm: string;
  readonly certificateChain: readonly Uint8Array[];
}

export interface GenerateEnvelopeResponse {
  readonly signatureEnvelope: Uint8Array;
  readonly signatureEnvelopeType: string;
  readonly annotations: Readonly<Record<string, string>>;
}

class Reader {
  constructor(
    private readonly plugin: string,
    private readonly command: string,
  ) {}

  fail(what: string): never {
    throw new KeyError('PLUGIN_RESPONSE_INVALID', `plugin ${this.plugin} answered ${this.command} with ${what}; the plugin does not follow the Notation plugin contract ${CONTRACT_VERSION}`);
  }

  object(value: unknown, where = 'its response'): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${where} that is not a JSON object`);
    return value as Record<string, unknown>;
  }

  string(doc: Record<string, unknown>, field: string): string {
    const value = doc[field];
    if (typeof value !== 'string' || value === '') this.fail(`"${field}" missing or not a non-empty string`);
    return value;
  }

  strings(doc: Record<string, unknown>, field: string, max: number): string[] {
    const value = doc[field];
    if (!Array.isArray(value) || value.length === 0 || value.length > max || !value.every((v) => typeof v === 'string')) {
      this.fail(`"${field}" that is not a list of 1 to ${max} strings`);
    }
    return value as string[];
  }

  /** Strict standard base64 (the contract's "Base64 encoded"). */
  base64(value: unknown, field: string): Uint8Array {
    if (typeof value !== 'string' || value === '') this.fail(`"${field}" missing or not a base64 string`);
    const bytes = Buffer.from(value, 'base64');
    if (bytes.toString('base64') !== value) this.fail(`"${field}" that is not valid standard base64`);
    return new Uint8Array(bytes);
  }
}

export function parseMetadata(plugin: string, value: unknown): PluginMetadata {
  const r = new Reader(plugin, 'get-plugin-metadata');
  const doc = r.object(value);
  for (const field of ['description', 'url']) r.string(doc, field);
  return Object.freeze({
    name: r.string(doc, 'name'),
    version: r.string(doc, 'version'),
    supportedContractVersions: r.strings(doc, 'supportedContractVersions', MAX_CAPABILITIES),
    capabilities: r.strings(doc, 'capabilities', MAX_CAPABILITIES),
  });
}

export function parseDescribeKey(plugin: string, value: unknown): DescribeKeyResponse {
  const r = new Reader(plugin, 'describe-key');
  const doc = r.object(value);
  const keySpec = r.string(doc, 'keySpec');
  if (!(KEY_SPECS as readonly string[]).includes(keySpec)) {
    r.fail(`keySpec ${JSON.stringify(keySpec)}, which is none of ${KEY_SPECS.join(', ')}`);
  }
  return Object.freeze({ keyId: r.string(doc, 'keyId'), keySpec: keySpec as KeySpec });
}

export function parseGenerateSignature(plugin: string, value: unknown): GenerateSignatureResponse {
  const r = new Reader(plugin, 'generate-signature');
  const doc = r.object(value);
  const chain: unknown = doc.certificateChain;
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > MAX_CHAIN) r.fail(`"certificateChain" that is not a list of 1 to ${MAX_CHAIN} certificates`);
  const certificates = (chain as unknown[]).map((c, i) => r.base64(c, `certificateChain[${i}]`));
  return Object.freeze({
    keyId: r.string(doc, 'keyId'),
    signature: r.base64(doc.signature, 'signature'),
    signingAlgorithm: r.string(doc, 'signingAlgorithm'),
    certificateChain: Object.freeze(certificates),
  });
}

export function parseGenerateEnvelope(plugin: string, value: unknown): GenerateEnvelopeResponse {
  const r = new Reader(plugin, 'generate-envelope');
  const doc = r.object(value);
  const annotations: Record<string, string> = {};
  if (doc.annotations !== undefined && doc.annotations !== null) {
    const entries = Object.entries(r.object(doc.annotations, '"annotations"'));
    if (entries.length > MAX_ANNOTATIONS) r.fail(`more than ${MAX_ANNOTATIONS} annotations`);
    for (const [k, v] of entries) {
      annotations[k] = typeof v === 'string' ? v : r.fail(`annotation ${JSON.stringify(k)} that is not a string`);
    }
  }
  return Object.freeze({
    signatureEnvelope: r.base64(doc.signatureEnvelope, 'signatureEnvelope'),
    signatureEnvelopeType: r.string(doc, 'signatureEnvelopeType'),
    annotations: Object.freeze(annotations),
  });
}
