/**
 * The Notation plugin door: get-plugin-metadata (contract 1.0 and a signing capability required), then either
 * SIGNATURE_GENERATOR.RAW — describe-key once, generate-signature per signature, returned as a KeySigner whose
 * answers are checked (key id, signing algorithm vs key spec, chain requirements; the signature itself by the
 * notation seam) — or SIGNATURE_GENERATOR.ENVELOPE — generate-envelope, whose envelope is checked by
 * `checkGeneratedEnvelope` before it is used. RAW is preferred when a plugin offers both, as notation does.
 */
import {
  MEDIA_TYPE_PAYLOAD,
  algorithmForKeySpec,
  checkGeneratedEnvelope,
  serializePayload,
  type EnvelopeMediaType,
  type KeySigner,
  type Payload,
  type SignerInfo,
} from '../../notation/index.js';
import { checkSigningAlgorithm, hashAlgorithmName } from '../algorithms.js';
import { checkCertificateChain } from '../chain.js';
import { KeyError } from '../errors.js';
import { locatePlugin } from './locate.js';
import { runPlugin } from './process.js';
import {
  CAPABILITY_ENVELOPE,
  CAPABILITY_RAW,
  CONTRACT_VERSION,
  parseDescribeKey,
  parseGenerateEnvelope,
  parseGenerateSignature,
  parseMetadata,
} from './protocol.js';

export interface PluginOptions {
  readonly name: string;
  readonly keyId: string;
  readonly pluginConfig?: Readonly<Record<string, string>>;
  /** Notation's plugin folder (the CLI resolves XDG_CONFIG_HOME / ~/.config). */
  readonly pluginDir: string;
  /** Per command. */
  readonly timeoutMs: number;
  /** The plugin's whole environment. */
  readonly env: Readonly<Record<string, string>>;
}

export interface GeneratedEnvelope {
  readonly mediaType: EnvelopeMediaType;
  readonly envelope: Uint8Array;
  readonly signerInfo: SignerInfo;
  /** The plugin's annotations for the signature manifest. */
  readonly annotations: Readonly<Record<string, string>>;
}

export type NotationPlugin =
  | { readonly capability: typeof CAPABILITY_RAW; readonly description: string; readonly signer: KeySigner }
  | {
      readonly capability: typeof CAPABILITY_ENVELOPE;
      readonly description: string;
      generateEnvelope(format: EnvelopeMediaType, payload: Payload, expiryDurationInSeconds?: number): Promise<GeneratedEnvelope>;
    };

/** Opens plugin `name` for key `keyId`. Throws KeyError PLUGIN_* (configuration or run time, see errors.ts). */
export async function openNotationPlugin(o: PluginOptions): Promise<NotationPlugin> {
  const path = locatePlugin(o.name, o.pluginDir);
  const run = (command: string, request: unknown) => runPlugin(command, request, { path, name: o.name, timeoutMs: o.timeoutMs, env: o.env });
  const config = o.pluginConfig && Object.keys(o.pluginConfig).length > 0 ? { pluginConfig: { ...o.pluginConfig } } : {};
  const metadata = parseMetadata(o.name, await run('get-plugin-metadata', { ...config }));
  if (metadata.name !== o.name) {
    throw new KeyError('PLUGIN_CAPABILITY_MISSING', `plugin at ${path} calls itself ${JSON.stringify(metadata.name)}, not ${o.name}; reinstall it under its own name`);
  }
  if (!metadata.supportedContractVersions.includes(CONTRACT_VERSION)) {
    throw new KeyError(
      'PLUGIN_CAPABILITY_MISSING',
      `plugin ${o.name} ${metadata.version} supports contract versions ${metadata.supportedContractVersions.join(', ')}, not ${CONTRACT_VERSION}; install a plugin version for contract ${CONTRACT_VERSION}`,
    );
  }
  const description = `plugin ${o.name} (key ${JSON.stringify(o.keyId)})`;
  const base = { contractVersion: CONTRACT_VERSION, keyId: o.keyId, ...config };
  if (metadata.capabilities.includes(CAPABILITY_RAW)) {
    const key = parseDescribeKey(o.name, await run('describe-key', base));
    if (key.keyId !== o.keyId) throw new KeyError('PLUGIN_RESPONSE_REJECTED', `${description} described key ${JSON.stringify(key.keyId)} instead`);
    const algorithm = algorithmForKeySpec(key.keySpec);
    if (!algorithm) throw new KeyError('PLUGIN_RESPONSE_REJECTED', `${description} has key spec ${key.keySpec}, which Notary Project signatures do not allow`);
    const signer: KeySigner = {
      description,
      keySpec: key.keySpec,
      async sign(data) {
        const request = { ...base, keySpec: key.keySpec, hashAlgorithm: hashAlgorithmName(algorithm), payload: Buffer.from(data).toString('base64') };
        const answer = parseGenerateSignature(o.name, await run('generate-signature', request));
        if (answer.keyId !== o.keyId) throw new KeyError('PLUGIN_RESPONSE_REJECTED', `${description} signed with key ${JSON.stringify(answer.keyId)} instead; nothing was signed`);
        checkSigningAlgorithm(description, answer.signingAlgorithm, algorithm);
        checkCertificateChain(description, answer.certificateChain, 'PLUGIN_RESPONSE_REJECTED');
        return { signature: answer.signature, certificateChain: answer.certificateChain };
      },
    };
    return { capability: CAPABILITY_RAW, description, signer };
  }
  if (metadata.capabilities.includes(CAPABILITY_ENVELOPE)) {
    return {
      capability: CAPABILITY_ENVELOPE,
      description,
      async generateEnvelope(format, payload, expiryDurationInSeconds) {
        const request = {
          ...base,
          payload: Buffer.from(serializePayload(payload)).toString('base64'),
          payloadType: MEDIA_TYPE_PAYLOAD,
          signatureEnvelopeType: format,
          ...(expiryDurationInSeconds !== undefined ? { expiryDurationInSeconds } : {}),
        };
        const answer = parseGenerateEnvelope(o.name, await run('generate-envelope', request));
        if (answer.signatureEnvelopeType !== format) {
          throw new KeyError('PLUGIN_RESPONSE_REJECTED', `${description} returned a ${JSON.stringify(answer.signatureEnvelopeType)} envelope, not the ${format} that was asked for`);
        }
        const signerInfo = checkGeneratedEnvelope(description, format, answer.signatureEnvelope, payload.targetArtifact);
        return { mediaType: format, envelope: answer.signatureEnvelope, signerInfo, annotations: answer.annotations };
      },
    };
  }
  throw new KeyError(
    'PLUGIN_CAPABILITY_MISSING',
    `plugin ${o.name} offers ${metadata.capabilities.join(', ')}, neither ${CAPABILITY_RAW} nor ${CAPABILITY_ENVELOPE}; it cannot sign — pick a signing plugin`,
  );
}
