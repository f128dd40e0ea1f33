import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatReference, parseReference } from '../oci/index.js';
import { NotationError, signEnvelope, type SigningScheme } from '../notation/index.js';
import { UsageError, type CommandIO } from './io.js';
import { exitCodeFor } from './failure.js';
import { wrapHelp } from './help.js';
import { REGISTRY_HELP, REGISTRY_OPTIONS, parseDuration, registryFromArgs } from './registryArgs.js';

const HELP = wrapHelp(`usage: signgate sign REF --key KEY.pem --cert CHAIN.pem [--envelope jws|cose] [--expiry DURATION]
                     [--signing-scheme notary.x509|notary.x509.signingAuthority]
                     [--user-metadata KEY=VALUE]... [registry options]

Signs the manifest REF resolves to with a Notation signature and pushes it to the same repository
(OCI 1.0 signature manifest with a subject, as notation lays it out; the referrers tag schema is
updated where the registry lacks the referrers API). Prints the signed host/repo@sha256:<hex>.

  --key FILE             PEM private key (RSA 2048/3072/4096 or EC P-256/384/521)
  --cert FILE            PEM certificate chain, leaf first (the leaf must hold --key's public key)
  --envelope jws|cose    signature envelope format (default jws)
  --expiry DURATION      signature lifetime, e.g. 24h or 30d (default: none)
  --signing-scheme S     notary.x509 (default) or notary.x509.signingAuthority
  --user-metadata K=V    metadata put into the signed payload (repeatable); verifiers can require it

${REGISTRY_HELP}
exit codes: 0 signed, 2 usage error (flags, key or certificate files), 3 registry error
`);

function readPemCertificates(text: string, file: string): Uint8Array[] {
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) throw new UsageError(`${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((m) => new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
}

async function readInput(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** Why a --key file holds no usable private key, in plain words (OpenSSL's decoder codes say nothing to people). */
function keyProblem(pem: string): string {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    return 'holds a passphrase-protected key; signgate reads unencrypted keys: write one with openssl pkey -in KEY -out plain.key';
  }
  if (/-----BEGIN CERTIFICATE-----/.test(pem) && !/PRIVATE KEY-----/.test(pem)) {
    return 'holds a certificate, not a private key; give the key with --key and the certificate chain with --cert';
  }
  if (/-----BEGIN PUBLIC KEY-----/.test(pem)) return 'holds a public key; --key needs the private key it belongs to';
  if (/PRIVATE KEY-----/.test(pem)) return 'holds a private key block that cannot be read (damaged, or not RSA or EC)';
  return 'holds no PEM private key (a -----BEGIN PRIVATE KEY----- block, RSA or EC)';
}

function loadKey(pem: string, file: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new UsageError(`--key ${file} ${keyProblem(pem)}`, { cause: err });
  }
}

/** `signgate sign REF`: resolve, sign the digest, push the signature. */
export async function signCommand(argv: readonly string[], io: CommandIO, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        ...REGISTRY_OPTIONS,
        key: { type: 'string' },
        cert: { type: 'string' },
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
    if (!values.key || !values.cert) throw new UsageError('--key KEY.pem and --cert CHAIN.pem are required');
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
    const privateKey = loadKey(await readInput(values.key, 'key'), values.key);
    const chain = readPemCertificates(await readInput(values.cert, 'certificate chain'), values.cert);
    const ref = parseReference(positionals[0] as string);
    const clock = (): Date => new Date();
    const { registry, timeoutMs } = await registryFromArgs(values, clock, env);
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      const repo = registry.repository(ref);
      const subject = await repo.resolve(undefined, { signal });
      const now = clock();
      const { mediaType, envelope } = await signEnvelope({
        format,
        payload: {
          targetArtifact: {
            mediaType: subject.mediaType,
            digest: subject.digest,
            size: subject.size,
            ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
          },
        },
        privateKey,
        certificateChain: chain,
        signingScheme: scheme as SigningScheme,
        signingTime: now,
        ...(expiryMs !== undefined ? { expiry: new Date(now.getTime() + expiryMs) } : {}),
      }).catch((err: unknown) => {
        throw err instanceof NotationError ? new UsageError(`cannot sign with ${values.key} and ${values.cert}: ${err.message}`) : err;
      });
      const thumbprints = chain.map((der) => createHash('sha256').update(der).digest('hex'));
      await repo.pushSignature(
        { subject, envelope, envelopeMediaType: mediaType, annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': JSON.stringify(thumbprints) } },
        { signal },
      );
      io.stdout.write(`${formatReference({ registry: ref.registry, repository: ref.repository, digest: subject.digest })}\n`);
      return 0;
    } finally {
      registry.close();
    }
  } catch (err) {
    io.stderr.write(`signgate sign: ${(err as Error).message}\n`);
    return exitCodeFor(err);
  }
}
