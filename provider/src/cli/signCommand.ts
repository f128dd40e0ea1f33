import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { KeyError, openSigner } from '../keys/index.js';
import { formatReference, parseReference } from '../oci/index.js';
import { NotationError, type SigningScheme } from '../notation/index.js';
import { UsageError, type CommandIO } from './io.js';
import { KEY_HELP, KEY_OPTIONS, keySourceFromArgs } from './keyArgs.js';
import { exitCodeFor } from './failure.js';
import { wrapHelp } from './help.js';
import { REGISTRY_HELP, REGISTRY_OPTIONS, parseDuration, registryFromArgs } from './registryArgs.js';

const HELP = wrapHelp(`usage: signgate sign REF (--key KEY.pem --cert CHAIN.pem | --key 'pkcs11:...' [--cert CHAIN.pem]
                     | --plugin NAME --id KEY_ID [--plugin-config K=V]...) [--envelope jws|cose]
                     [--expiry DURATION] [--signing-scheme notary.x509|notary.x509.signingAuthority]
                     [--user-metadata KEY=VALUE]... [registry options]

Signs the manifest REF resolves to with a Notation signature and pushes it to the same repository
(OCI 1.0 signature manifest with a subject, as notation lays it out; the referrers tag schema is
updated where the registry lacks the referrers API). Prints the signed host/repo@sha256:<hex>.

  --envelope jws|cose    signature envelope format (default jws)
  --expiry DURATION      signature lifetime, e.g. 24h or 30d (default: none)
  --signing-scheme S     notary.x509 (default) or notary.x509.signingAuthority
  --user-metadata K=V    metadata put into the signed payload (repeatable); verifiers can require it

${KEY_HELP}
${REGISTRY_HELP}
exit codes: 0 signed, 2 usage or configuration error (flags, key or certificate files, PKCS#11 URI, PIN,
token, plugin not found or not able to sign), 3 registry error or a plugin or token failing at run time
(nothing is pushed then)
`);

/** `signgate sign REF`: resolve, sign the digest, push the signature. */
export async function signCommand(argv: readonly string[], io: CommandIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        ...REGISTRY_OPTIONS,
        ...KEY_OPTIONS,
        envelope: { type: 'string', default: 'jws' },
        expiry: { type: 'string' },
        'signing-scheme': { type: 'string', default: 'notary.x509' },
        'user-metadata': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
    if (values.help) {
      io.stdout.write(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one image reference, e.g. signgate sign localhost:5000/app:v1 --key k.pem --cert c.pem');
    const format = values.envelope;
    if (format !== 'jws' && format !== 'cose') throw new UsageError(`--envelope must be jws or cose, not "${format}"`);
    const scheme = values['signing-scheme'];
    if (scheme !== 'notary.x509' && scheme !== 'notary.x509.signingAuthority') {
      throw new UsageError(`--signing-scheme must be notary.x509 or notary.x509.signingAuthority, not "${scheme}"`);
    }
    const expiryMs = values.expiry === undefined ? undefined : parseDuration(values.expiry);
    if (values.expiry !== undefined && expiryMs === undefined) throw new UsageError(`--expiry "${values.expiry}" is not a duration such as 24h or 30d`);
    const annotations: Record<string, string> = {};
    for (const kv of values['user-metadata'] ?? []) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new UsageError(`--user-metadata "${kv}" must be KEY=VALUE`);
      annotations[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const ref = parseReference(positionals[0] as string);
    const clock = (): Date => new Date();
    const { registry, timeoutMs } = await registryFromArgs(values, clock, env);
    let signer: Awaited<ReturnType<typeof openSigner>> | undefined;
    try {
      signer = await openSigner(await keySourceFromArgs(values, env, timeoutMs));
      const signal = AbortSignal.timeout(timeoutMs);
      const repo = registry.repository(ref);
      const subject = await repo.resolve(undefined, { signal });
      const now = clock();
      const signed = await signer.sign({
        format,
        payload: {
          targetArtifact: {
            mediaType: subject.mediaType,
            digest: subject.digest,
            size: subject.size,
            ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
          },
        },
        signingScheme: scheme as SigningScheme,
        signingTime: now,
        ...(expiryMs !== undefined ? { expiry: new Date(now.getTime() + expiryMs) } : {}),
      });
      const thumbprints = signed.certificateChain.map((der) => createHash('sha256').update(der).digest('hex'));
      const manifestAnnotations = { ...signed.annotations, 'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify(thumbprints) };
      await repo.pushSignature(
        { subject, envelope: signed.envelope, envelopeMediaType: signed.mediaType, annotations: manifestAnnotations },
        { signal },
      );
      io.stdout.write(`${formatReference({ registry: ref.registry, repository: ref.repository, digest: subject.digest })}\n`);
      return 0;
    } catch (err) {
      throw err instanceof NotationError && signer !== undefined ? new UsageError(`cannot sign with ${signer.description}: ${err.message}`, { cause: err }) : err;
    } finally {
      await signer?.close();
      registry.close();
    }
  } catch (err) {
    io.stderr.write(`signgate sign: ${(err as Error).message}\n`);
    return err instanceof KeyError ? (err.isConfiguration ? 2 : 3) : exitCodeFor(err);
  }
}
