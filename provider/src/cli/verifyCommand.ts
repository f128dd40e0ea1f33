import { randomUUID } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_POLICY, type VerificationPolicyMode } from '../config/index.js';
import { readFile } from 'node:fs/promises';
import { ARTIFACT_TYPE_SIGNATURE, MAX_CRL_BYTES, NotationError, parseCrlFile, type Crl } from '../notation/index.js';
import { OciError, formatReference, formatRepository, openOciLayout, parseReference, parseRepositoryName, type Descriptor } from '../oci/index.js';
import { bindTag, policyFor, requestedTag, toVerdict, verifyArtifact, type SignatureSource, type Verdict } from '../verify/index.js';
import { reportFailure, toUsageError, wantsJson } from './failure.js';
import { VERIFY_HELP as HELP } from './help.js';
import { UsageError, type CommandIO } from './io.js';
import { REGISTRY_OPTIONS, registryFromArgs, timeoutFromArgs, type RegistryArgs } from './registryArgs.js';
import { createCliRevocationChecker, type RevocationSettings } from './revocation.js';
import { checkApplicableTrust, checkTrustArgs, loadTrust, type TrustArgs } from './trustArgs.js';
import { formatVerdictText } from './verdictText.js';

/** The provider's built-in mode for Notation signatures (config's DEFAULT_POLICY), so both decide alike by default. */
const DEFAULT_VERIFICATION_POLICY = policyFor(DEFAULT_POLICY, ARTIFACT_TYPE_SIGNATURE);

type Target =
  | { readonly kind: 'layout'; readonly dir: string; readonly ref: string; readonly scope?: string }
  | { readonly kind: 'registry'; readonly reference: string; readonly registryArgs: RegistryArgs };

interface VerifyOptions {
  readonly target: Target;
  readonly trust: TrustArgs;
  readonly userMetadata: Readonly<Record<string, string>>;
  readonly at?: Date;
  readonly output: 'text' | 'json';
  readonly verificationPolicy: VerificationPolicyMode;
  readonly crlFiles: readonly string[];
  readonly revocation: RevocationSettings;
  readonly verifyTag: boolean;
}

function parseTarget(layoutArg: string | undefined, positionals: readonly string[], scope: string | undefined, registryArgs: RegistryArgs): Target {
  if (layoutArg !== undefined) {
    if (positionals.length > 0) throw new UsageError('give either REF or --oci-layout DIR:REF, not both');
    const layout = /^(.+?)[@:](sha256:[a-f0-9]{64}|[A-Za-z0-9_][A-Za-z0-9._-]{0,127})$/.exec(layoutArg);
    if (!layout) throw new UsageError('--oci-layout needs DIR:REF, e.g. --oci-layout ./layout:v1 or ./layout@sha256:<hex>');
    return { kind: 'layout', dir: layout[1] as string, ref: layout[2] as string, ...(scope ? { scope } : {}) };
  }
  if (positionals.length !== 1) {
    throw new UsageError('an image reference REF (e.g. localhost:5000/app:v1) or --oci-layout DIR:REF is required');
  }
  if (scope) throw new UsageError('--scope applies to --oci-layout only; a registry reference names its own repository');
  return { kind: 'registry', reference: positionals[0] as string, registryArgs };
}

function parseVerifyArgs(argv: readonly string[]): VerifyOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      ...REGISTRY_OPTIONS,
      'oci-layout': { type: 'string' },
      cert: { type: 'string' },
      'trust-policy': { type: 'string' },
      'trust-store': { type: 'string' },
      scope: { type: 'string' },
      'user-metadata': { type: 'string', multiple: true },
      at: { type: 'string' },
      output: { type: 'string', default: 'text' },
      'verification-policy': { type: 'string', default: DEFAULT_VERIFICATION_POLICY },
      crl: { type: 'string', multiple: true },
      'crl-file': { type: 'string', multiple: true },
      'crl-cache-dir': { type: 'string' },
      'revocation-offline': { type: 'boolean' },
      'verify-tag': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) return 'help';
  const target = parseTarget(values['oci-layout'], positionals, values.scope, values);
  checkTrustArgs(values);
  if (target.kind === 'registry') timeoutFromArgs(values);
  if (values.output !== 'text' && values.output !== 'json') throw new UsageError(`--output must be text or json, not "${values.output}"`);
  const verificationPolicy = values['verification-policy'];
  if (verificationPolicy !== 'any' && verificationPolicy !== 'all') {
    throw new UsageError(`--verification-policy must be any or all, not "${verificationPolicy}"`);
  }
  let at: Date | undefined;
  if (values.at !== undefined) {
    at = new Date(values.at);
    if (Number.isNaN(at.getTime()) || !/^\d{4}-\d\d-\d\dT/.test(values.at)) {
      throw new UsageError(`--at "${values.at}" is not an RFC 3339 time such as 2025-11-01T00:00:00Z`);
    }
  }
  const userMetadata: Record<string, string> = {};
  for (const kv of values['user-metadata'] ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--user-metadata "${kv}" must be KEY=VALUE`);
    userMetadata[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    target,
    trust: { cert: values.cert, 'trust-policy': values['trust-policy'], 'trust-store': values['trust-store'] },
    userMetadata,
    ...(at ? { at } : {}),
    output: values.output,
    verificationPolicy,
    crlFiles: [...(values.crl ?? []), ...(values['crl-file'] ?? [])],
    revocation: {
      offline: values['revocation-offline'] === true,
      ...(values['crl-cache-dir'] !== undefined ? { crlCacheDir: values['crl-cache-dir'] } : {}),
    },
    verifyTag: values['verify-tag'] === true,
  };
}

/** The --crl-file CRLs (PEM or DER); a missing or broken file is a usage error naming it. */
async function readCrls(files: readonly string[]): Promise<Crl[]> {
  const crls: Crl[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (err) {
      throw new UsageError(`--crl-file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); give a CRL file (PEM or DER)`);
    }
    if (bytes.byteLength > MAX_CRL_BYTES) throw new UsageError(`--crl-file ${file} is ${bytes.byteLength} bytes, more than the ${MAX_CRL_BYTES}-byte limit`);
    try {
      crls.push(...parseCrlFile(bytes, file));
    } catch (err) {
      asUsage(err);
    }
  }
  return crls;
}

/** Errors naming the user's own input (layout folder, reference, policy scope) are usage errors. */
function asUsage(err: unknown): never {
  if (err instanceof OciError || err instanceof NotationError) throw new UsageError(err.message, { code: err.code, cause: err });
  throw err;
}

interface OpenedArtifact {
  readonly source: SignatureSource;
  readonly subject: Descriptor;
  readonly artifactReference: string;
  /** The tag REF asks for (--verify-tag): none for a reference by digest only. */
  readonly tag: string | undefined;
  close(): void;
}

/** The subject and where its signatures are: an OCI layout on disk, or a registry repository under a deadline. */
async function openArtifact(target: Target, clock: () => Date): Promise<OpenedArtifact> {
  if (target.kind === 'layout') {
    const layout = await openOciLayout(target.dir).catch(asUsage);
    const subject = await layout.resolve(target.ref).catch(asUsage);
    const written = target.scope ?? `local/${basename(resolve(target.dir)).toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`;
    const name = (() => {
      try {
        return formatRepository(parseRepositoryName(written));
      } catch (err) {
        return asUsage(err);
      }
    })();
    const tag = target.ref.startsWith('sha256:') ? undefined : target.ref;
    return { source: layout, subject, artifactReference: `${name}@${subject.digest}`, tag, close: () => undefined };
  }
  const ref = (() => {
    try {
      return parseReference(target.reference);
    } catch (err) {
      return asUsage(err);
    }
  })();
  const { registry, timeoutMs } = await registryFromArgs(target.registryArgs, clock, process.env).catch(asUsage);
  const signal = AbortSignal.timeout(timeoutMs);
  const repo = registry.repository(ref);
  try {
    const subject = await repo.resolve(undefined, { signal });
    const source: SignatureSource = {
      signatureManifests: (s) => repo.signatureManifests(s, { signal }),
      fetchBlob: (d, max) => repo.fetchBlob(d, max, { signal }),
    };
    const artifactReference = formatReference({ registry: ref.registry, repository: ref.repository, digest: subject.digest });
    return { source, subject, artifactReference, tag: requestedTag(ref), close: () => registry.close() };
  } catch (err) {
    registry.close();
    throw err;
  }
}

/** `signgate verify`: verify the signatures of an image in an OCI image layout. */
export async function verifyCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  let options: VerifyOptions | 'help';
  try {
    options = parseVerifyArgs(argv);
  } catch (err) {
    return reportFailure(io, 'verify', toUsageError(err), { json: wantsJson(argv), help: HELP });
  }
  if (options === 'help') {
    io.stdout.write(HELP);
    return 0;
  }
  const at = options.at;
  const clock = (): Date => at ?? new Date();
  let verdict: Verdict;
  try {
    const { trustPolicy, trustStore } = await loadTrust(options.trust);
    const crls = await readCrls(options.crlFiles);
    const checker = createCliRevocationChecker(options.revocation, clock);
    const artifact = await openArtifact(options.target, clock);
    try {
      await checkApplicableTrust({ trustPolicy, trustStore }, artifact.artifactReference);
      const result = await verifyArtifact({
        source: artifact.source,
        subject: artifact.subject,
        artifactReference: artifact.artifactReference,
        trustPolicy,
        trustStore,
        clock,
        userMetadata: options.userMetadata,
        policy: options.verificationPolicy,
        revocation: { checker, ...(crls.length > 0 ? { crls } : {}) },
      }).catch((err: unknown) => {
        if (err instanceof NotationError && err.code === 'TRUST_POLICY_NOT_APPLICABLE') asUsage(err);
        throw err;
      });
      const ctx = { subject: artifact.artifactReference, traceID: randomUUID(), now: clock(), verificationPolicy: options.verificationPolicy };
      verdict = toVerdict(result, ctx);
      if (options.verifyTag && artifact.tag !== undefined) verdict = bindTag(verdict, result, artifact.tag, ctx);
    } finally {
      artifact.close();
    }
  } catch (err) {
    return reportFailure(io, 'verify', err, { json: options.output === 'json' });
  }
  io.stdout.write(options.output === 'json' ? `${JSON.stringify(verdict, null, 2)}\n` : formatVerdictText(verdict));
  return verdict.isSuccess ? 0 : 1;
}
