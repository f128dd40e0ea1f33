/**
 * The help texts of `signgate` and of the commands whose `--help` must answer without loading anything else
 * (main.ts prints them before it imports a command). Every line fits 100 columns.
 */
import { REGISTRY_HELP } from './registryArgs.js';

/** Help texts fit this many columns. */
export const HELP_WIDTH = 100;

/** Where the continuation of a wrapped line starts: under an option's description, else under the line's own text. */
function continuationIndent(line: string): number {
  const option = /^(\s+\S+(?: \S+)*?\s{2,})\S/.exec(line);
  return option ? (option[1] as string).length : line.length - line.trimStart().length;
}

/** Breaks every line longer than `width` at spaces, continuing in the column continuationIndent says. */
export function wrapHelp(text: string, width = HELP_WIDTH): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let rest = line;
    const indent = ' '.repeat(continuationIndent(line));
    while (rest.length > width) {
      const cut = rest.lastIndexOf(' ', width);
      if (cut <= indent.length || rest.slice(0, cut).trim() === '') break;
      out.push(rest.slice(0, cut).trimEnd());
      rest = indent + rest.slice(cut + 1).trimStart();
    }
    out.push(rest);
  }
  return out.join('\n');
}

export const EXIT_CODES_HELP = wrapHelp(`exit codes: 0 verified / passed, 1 not verified / failed, 2 usage or configuration error,
            3 could not decide (registry unreachable, timed out, content not matching its digest)
`);

export const MAIN_HELP = wrapHelp(`usage: signgate <command> [options]        (signgate <command> --help describes a command)

commands:
  verify REF --cert ROOT.pem               verify the Notation signatures of an image in a registry,
                                           trusting one root certificate for every repository
  verify REF --trust-policy FILE --trust-store DIR
                                           the same under Notation's trust policy and trust store
  verify --oci-layout DIR:REF ...          verify an image in an OCI image layout on disk
  resolve REF                              print the digest reference (host/repo@sha256:...) of a tag
  sign REF --key KEY.pem --cert CHAIN.pem  sign an image's digest and push the signature
  serve [--config PATH] ...                serve the Gatekeeper external data provider over HTTPS
  signer serve|backfill|status ...         sign every tag pushed into a SigningRule's namespace
  policy test PATH...                      run gator Suite files (with external data) offline

${EXIT_CODES_HELP}`);

export const VERIFY_HELP = wrapHelp(`usage: signgate verify REF (--cert FILE | --trust-policy FILE --trust-store DIR) [options]
       signgate verify --oci-layout DIR:REF (--cert FILE | --trust-policy FILE --trust-store DIR)
                       [options]

Verifies the Notation signatures of an image in a registry (REF) or in an OCI image layout.

  REF                    an image reference (tag or digest) in a registry, e.g. localhost:5000/app:v1
  --oci-layout DIR:REF   an OCI image layout folder and a tag or sha256:<hex> digest in it
  --cert FILE            trust the root certificates in FILE (PEM or DER) for every repository at
                         level strict, whoever the signer is: the quick way in, instead of the next
                         two options
  --trust-policy FILE    a Notation trust policy document (trustpolicy.json, version 1.0)
  --trust-store DIR      a Notation trust store root: the folder that holds
                         x509/{ca,signingAuthority,tsa}/<name>/
  --scope HOST/REPO      (layouts) the repository name the trust policy's registryScopes are matched
                         against (default: local/<layout folder name>, which only a "*" statement
                         covers)
  --user-metadata K=V    require this metadata in the signature (repeatable)
  --at RFC3339           verify as of this time instead of now
  --verification-policy any|all
                         any: one signature that verifies admits the image (notation verify's
                         rule); all: every signature found must verify. Default any, the provider's
                         default for Notation signatures. Every signature found is verified and
                         listed with its own outcome.
  --verify-tag           require a verified signature that binds the tag REF names (payload annotation
                         org.opencontainers.image.ref.name, as Default signatures carry); a REF by digest
                         only names no tag and is not bound. Fails with TAG_NOT_SIGNED otherwise
  --output text|json     text for people (default), json for the verdict object, or {"error": {...}}
                         when no verdict could be given
  --crl FILE             a CRL (PEM or DER) to check certificates of its issuer against before any
                         OCSP or CRL fetch (repeatable; also --crl-file); air-gapped: with --revocation-offline
  --crl-cache-dir DIR    also keep downloaded CRLs here (verified again when read back)
  --revocation-offline   never contact OCSP responders or CRL distribution points; certificates that
                         name them and no --crl-file covers have an undeterminable revocation status

${REGISTRY_HELP}
exit codes: 0 verified, 1 not verified (including "no signatures found"), 2 usage or configuration
            error (flags, trust policy, trust store, certificate file), 3 could not decide
            (registry unreachable, timed out, content not matching its digest)
`);

export const RESOLVE_HELP = wrapHelp(`usage: signgate resolve REF [registry options]

Resolves REF (a tag or digest reference) to host/repo@sha256:<hex> and prints it.

${REGISTRY_HELP}
exit codes: 0 resolved, 2 usage error (bad reference or flags), 3 could not resolve (registry unreachable,
            unknown tag)
`);

export const POLICY_HELP = wrapHelp(`usage: signgate policy test PATH... [options]

commands:
  test PATH...   run gator Suite files (kind: Suite) offline, with external data fixtures or a live
                 provider (signgate policy test --help lists the options)
`);

export const POLICY_TEST_HELP = wrapHelp(`usage: signgate policy test PATH... [options]

Runs gator Suite files with gator's semantics plus external data; prints one line per case, then
"N passed, M failed" (and the skipped cases with their reasons).

  PATH                       Suite files, or folders searched recursively for Suite files
  --run REGEX                run only tests/cases whose name (or test/case) matches REGEX
  --engine builtin|wasm      builtin Rego evaluator (default) or OPA wasm (needs opa on PATH)
  --provider NAME=URL        answer external_data for provider NAME from a live provider (https)
  --provider-ca FILE         PEM CA bundle trusted for --provider URLs

exit codes: 0 no case failed, 1 a case failed (a suite file that cannot be read counts as one), 2 usage
            error (flags, no PATH)
`);
