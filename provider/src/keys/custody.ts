/**
 * One signer for every door: `openSigner(source)` turns a key file, a PKCS#11 URI or a Notation plugin into an
 * EnvelopeSigner — `sign(request)` returns a checked envelope and the signature manifest annotations — so `cli/` and
 * the signing service never care where the key lives. A failed check of a custody key's answer becomes a KeyError
 * of its door (CERTIFICATE_KEY_MISMATCH for a token, PLUGIN_RESPONSE_REJECTED for a plugin); nothing unchecked is
 * returned.
 */
import type { KeyObject } from 'node:crypto';
import {
  NotationError,
  privateKeySigner,
  signEnvelope,
  type EnvelopeMediaType,
  type KeySigner,
  type Payload,
  type SigningScheme,
} from '../notation/index.js';
import { KeyError, type KeyErrorCode } from './errors.js';
import type { Pkcs11Options } from './pkcs11/signer.js';
import { openNotationPlugin, type PluginOptions } from './plugin/signer.js';

export type KeySource =
  | { readonly kind: 'file'; readonly privateKey: KeyObject; readonly certificateChain: readonly Uint8Array[]; readonly description: string }
  | ({ readonly kind: 'pkcs11'; readonly uri: string } & Pkcs11Options)
  | ({ readonly kind: 'plugin' } & PluginOptions);

export interface EnvelopeRequest {
  readonly format: 'jws' | 'cose';
  readonly payload: Payload;
  readonly signingScheme: SigningScheme;
  readonly signingTime: Date;
  readonly expiry?: Date;
  readonly timestamper?: (signature: Uint8Array) => Promise<Uint8Array>;
}

export interface SignedEnvelope {
  readonly mediaType: EnvelopeMediaType;
  readonly envelope: Uint8Array;
  /** The chain the envelope carries, leaf first (for the manifest's thumbprint annotation). */
  readonly certificateChain: readonly Uint8Array[];
  /** Extra signature manifest annotations (a SIGNATURE_GENERATOR.ENVELOPE plugin's). */
  readonly annotations: Readonly<Record<string, string>>;
}

export interface EnvelopeSigner {
  /** The key in words for messages (file path, redacted PKCS#11 URI, plugin and key id). */
  readonly description: string;
  sign(request: EnvelopeRequest): Promise<SignedEnvelope>;
  /** Releases the key (logs out of the token); idempotent. */
  close(): Promise<void>;
}

const MEDIA_TYPE: Readonly<Record<EnvelopeRequest['format'], EnvelopeMediaType>> = { jws: 'application/jose+json', cose: 'application/cose' };

/** The seam's checks of a key signer's answer (signature, key spec vs leaf key); other errors are the request's. */
const ANSWER_CHECKS = new Set(['SIGNATURE_INVALID', 'ALGORITHM_MISMATCH', 'ALGORITHM_UNSUPPORTED']);

/** A NotationError from checking an answer becomes this door's KeyError (`every`: any NotationError is the answer's). */
function rethrowAs(code: KeyErrorCode | undefined, err: unknown, every = false): never {
  if (code !== undefined && err instanceof NotationError && (every || ANSWER_CHECKS.has(err.code))) throw new KeyError(code, err.message, { cause: err });
  throw err;
}

function keySignerEnvelopes(signer: KeySigner, answerCode: KeyErrorCode | undefined, close: () => Promise<void>): EnvelopeSigner {
  return {
    description: signer.description,
    async sign(request) {
      let certificateChain: readonly Uint8Array[] = [];
      const recording: KeySigner = {
        description: signer.description,
        keySpec: signer.keySpec,
        sign: async (data) => {
          const answer = await signer.sign(data);
          certificateChain = answer.certificateChain;
          return answer;
        },
      };
      const signed = await signEnvelope({ ...request, signer: recording }).catch((err: unknown) => rethrowAs(answerCode, err));
      return { ...signed, certificateChain, annotations: {} };
    },
    close,
  };
}

/** Opens the key a source names. Throws KeyError (or NotationError for a key file) when it cannot sign. */
export async function openSigner(source: KeySource): Promise<EnvelopeSigner> {
  if (source.kind === 'file') {
    return keySignerEnvelopes(privateKeySigner(source.privateKey, source.certificateChain, source.description), undefined, async () => undefined);
  }
  if (source.kind === 'pkcs11') {
    // loaded on use: the native binding is not needed (nor loaded) for key files and plugins
    const { openPkcs11Signer } = await import('./pkcs11/signer.js').catch((cause: unknown) => {
      throw new KeyError(
        'PKCS11_MODULE_INVALID',
        'the PKCS#11 binding (the pkcs11js native addon) is not built, so PKCS#11 keys cannot be used here: run npm rebuild pkcs11js (needs g++, make and python3)',
        { cause },
      );
    });
    const signer = openPkcs11Signer(source.uri, source);
    return keySignerEnvelopes(signer, 'CERTIFICATE_KEY_MISMATCH', () => signer.close());
  }
  const plugin = await openNotationPlugin(source);
  if (plugin.capability === 'SIGNATURE_GENERATOR.RAW') return keySignerEnvelopes(plugin.signer, 'PLUGIN_RESPONSE_REJECTED', async () => undefined);
  return {
    description: plugin.description,
    async sign(request) {
      if (request.timestamper) {
        throw new KeyError('PLUGIN_CAPABILITY_MISSING', `${plugin.description} generates whole envelopes, so signgate cannot add a timestamp; the plugin must timestamp itself`);
      }
      const expirySeconds = request.expiry ? Math.floor((request.expiry.getTime() - request.signingTime.getTime()) / 1000) : undefined;
      const generated = await plugin
        .generateEnvelope(MEDIA_TYPE[request.format], request.payload, expirySeconds)
        .catch((err: unknown) => rethrowAs('PLUGIN_RESPONSE_REJECTED', err, true));
      return {
        mediaType: generated.mediaType,
        envelope: generated.envelope,
        certificateChain: generated.signerInfo.certificateChain,
        annotations: generated.annotations,
      };
    },
    close: async () => undefined,
  };
}
