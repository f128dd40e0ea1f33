/**
 * A Verifier's `spec.parameters.revocation.crlFiles`: CRL files (PEM "X509 CRL" or DER) or folders of them, read
 * through the input tracker so that a changed, added or removed file reloads the configuration (a new generation:
 * cached verdicts that relied on the old CRLs become unreachable at once). Parsed here; each CRL's issuer, signature
 * and validity window are checked when a certificate is checked against it.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { MAX_CRL_BYTES, parseCrlFile, type Crl } from '../notation/index.js';
import type { IssueList } from './errors.js';
import { InputTooLargeError, type InputTracker } from './inputs.js';
import type { ConfigResource } from './kinds.js';

export const MAX_CRL_FILES_PER_FOLDER = 1000;
const CRL_EXTENSIONS = ['.crl', '.pem', '.der'];

type VerifierResource = Extract<ConfigResource, { kind: 'Verifier' }>;

export async function readCrlFiles(resource: VerifierResource, tracker: InputTracker, issues: IssueList): Promise<Crl[]> {
  const crls: Crl[] = [];
  const paths = resource.spec.parameters.revocation?.crlFiles ?? [];
  for (const [i, path] of paths.entries()) {
    const at = ['spec', 'parameters', 'revocation', 'crlFiles', i];
    const abs = isAbsolute(path) ? path : resource.baseDir === undefined ? undefined : resolve(resource.baseDir, path);
    if (abs === undefined) {
      issues.add('CONFIG_INVALID', resource.origin, at, 'must be an absolute path (this resource does not come from a file)');
      continue;
    }
    try {
      const kind = await tracker.kindOf(abs);
      if (kind === 'missing') {
        issues.add('CONFIG_UNREADABLE', resource.origin, at, `does not exist (${abs}); create it or correct the path`);
        continue;
      }
      let files = [abs];
      if (kind === 'directory') {
        const names = (await tracker.listDirectory(abs)).filter((n) => !n.startsWith('.') && CRL_EXTENSIONS.some((e) => n.toLowerCase().endsWith(e)));
        if (names.length > MAX_CRL_FILES_PER_FOLDER) {
          issues.add('CONFIG_LIMIT', resource.origin, at, `holds ${names.length} CRL files, more than ${MAX_CRL_FILES_PER_FOLDER}`);
          continue;
        }
        files = names.map((n) => join(abs, n));
      }
      for (const file of files) {
        if ((await tracker.kindOf(file)) !== 'file') continue;
        crls.push(...parseCrlFile(await tracker.readFile(file, MAX_CRL_BYTES), file));
      }
    } catch (err) {
      if (err instanceof InputTooLargeError) issues.add('CONFIG_LIMIT', resource.origin, at, `${abs} ${err.message}`);
      else issues.add('CONFIG_CERTIFICATE', resource.origin, at, err instanceof Error ? err.message : String(err));
    }
  }
  return crls;
}
