/**
 * The trust material of `signgate verify`: Notation's trust policy document and trust store folder
 * (`--trust-policy FILE --trust-store DIR`), or one root certificate file trusted for every repository at level
 * strict (`--cert FILE`, the quick way in). Every problem with them is a usage error (exit 2) that names the file and
 * what to do, found before any signature is looked at: an unreadable or invalid file, and, for the statement that
 * applies to the image, a trust store that is missing, empty or holds something other than certificates.
 */
import { readFile, stat } from 'node:fs/promises';
import { jsonSyntaxProblem } from '../jsonText.js';
import {
  NotationError,
  createMemoryTrustStore,
  openTrustStore,
  parseTrustPolicyDocument,
  readTrustedCertificates,
  selectStatement,
  type TrustPolicyDocument,
  type TrustStore,
} from '../notation/index.js';
import { UsageError } from './io.js';

export interface TrustArgs {
  readonly cert?: string | undefined;
  readonly 'trust-policy'?: string | undefined;
  readonly 'trust-store'?: string | undefined;
}

export interface TrustMaterial {
  readonly trustPolicy: TrustPolicyDocument;
  readonly trustStore: TrustStore;
}

/** Bounds on the files read here (a trust policy document, a certificate file). */
export const MAX_TRUST_FILE_BYTES = 1024 * 1024;

/** The named store and statement `--cert` creates; they appear in messages and in the verdict. */
const CERT_STORE = 'cli-cert';

/** Exactly one of `--cert FILE` or `--trust-policy FILE --trust-store DIR`. */
export function checkTrustArgs(args: TrustArgs): void {
  const policy = args['trust-policy'];
  const store = args['trust-store'];
  if (args.cert !== undefined) {
    if (policy !== undefined || store !== undefined) {
      throw new UsageError('give either --cert FILE or --trust-policy FILE --trust-store DIR, not both');
    }
    return;
  }
  if (policy === undefined && store === undefined) {
    throw new UsageError(
      'no trust material: give --cert ROOT.pem (trust one root certificate for every repository) or ' +
        '--trust-policy FILE --trust-store DIR (a Notation trustpolicy.json and the folder that holds x509/)',
    );
  }
  if (policy === undefined) throw new UsageError('--trust-policy FILE is required with --trust-store (a Notation trustpolicy.json)');
  if (store === undefined) throw new UsageError('--trust-store DIR is required with --trust-policy (the folder that holds x509/)');
}

async function readBounded(file: string, what: string): Promise<Buffer> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError(`${what} ${file} is not a file`);
    if (info.size > MAX_TRUST_FILE_BYTES) throw new UsageError(`${what} ${file} is ${info.size} bytes, more than the ${MAX_TRUST_FILE_BYTES} allowed`);
    return await readFile(file);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(err as Error).message})`;
    throw new UsageError(`${what} ${file} ${reason}; check the path`, { cause: err });
  }
}

/** A layer error about the user's files as a usage error that keeps its code and says which file. */
function usage(err: unknown, prefix: string): never {
  if (err instanceof NotationError) throw new UsageError(`${prefix}: ${err.message}`, { code: err.code, cause: err });
  throw err;
}

async function loadTrustPolicy(file: string): Promise<TrustPolicyDocument> {
  const text = (await readBounded(file, 'trust policy')).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`trust policy ${file} is not valid JSON: ${jsonSyntaxProblem(text, err)}`, { code: 'TRUST_POLICY_INVALID', cause: err });
  }
  try {
    return parseTrustPolicyDocument(json);
  } catch (err) {
    return usage(err, `trust policy ${file}`);
  }
}

async function openStoreFolder(dir: string): Promise<TrustStore> {
  const info = await stat(dir).catch((err: unknown) => {
    throw new UsageError(`trust store ${dir} does not exist or cannot be read; give the folder that holds x509/`, { cause: err });
  });
  if (!info.isDirectory()) throw new UsageError(`trust store ${dir} is not a folder; give the folder that holds x509/{ca,signingAuthority,tsa}/`);
  return openTrustStore(dir);
}

/** `--cert FILE`: its certificates in one `ca` store, trusted for every repository at level strict, any signer identity. */
async function loadCertificateTrust(file: string): Promise<TrustMaterial> {
  const bytes = new Uint8Array(await readBounded(file, '--cert'));
  let trustStore: TrustStore;
  try {
    trustStore = createMemoryTrustStore([{ type: 'ca', name: CERT_STORE, certificates: readTrustedCertificates(bytes, file) }]);
  } catch (err) {
    return usage(err, `--cert ${file} must hold the root certificate(s) that signing chains end in (PEM or DER)`);
  }
  const trustPolicy = parseTrustPolicyDocument({
    version: '1.0',
    trustPolicies: [
      {
        name: CERT_STORE,
        registryScopes: ['*'],
        signatureVerification: { level: 'strict' },
        trustStores: [`ca:${CERT_STORE}`],
        trustedIdentities: ['*'],
      },
    ],
  });
  return { trustPolicy, trustStore };
}

/** Reads and checks the trust material the arguments name (checkTrustArgs has accepted them). */
export async function loadTrust(args: TrustArgs): Promise<TrustMaterial> {
  if (args.cert !== undefined) return loadCertificateTrust(args.cert);
  checkTrustArgs(args);
  const [trustPolicy, trustStore] = await Promise.all([
    loadTrustPolicy(args['trust-policy'] as string),
    openStoreFolder(args['trust-store'] as string),
  ]);
  return { trustPolicy, trustStore };
}

/**
 * The statement that applies to `artifactReference` exists, and every trust store it names can be read and holds
 * certificates: a configuration problem (exit 2) rather than a failed verification of each signature (exit 1).
 */
export async function checkApplicableTrust(material: TrustMaterial, artifactReference: string): Promise<void> {
  let statement;
  try {
    statement = selectStatement(material.trustPolicy, artifactReference);
  } catch (err) {
    return usage(err, 'trust policy');
  }
  for (const store of statement.trustStores) {
    await material.trustStore.getCertificates(store.type, store.name).catch((err: unknown) =>
      usage(err, `trust policy statement "${statement.name}" names trust store "${store.type}:${store.name}"`),
    );
  }
}
