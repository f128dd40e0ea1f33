// `signgate signer --help`, importable without loading the signer (main.ts answers --help from here).
import { wrapHelp } from './help.js';

export const SIGNER_HELP = wrapHelp(`usage: signgate signer serve --config PATH... --token-file FILE [--state-dir DIR]
           [--listen ADDR --tls-cert F --tls-key F | --insecure-listen 127.0.0.1:PORT]
           [--resync-interval D] [--concurrency N] [--log-level LEVEL]
           [--headers-timeout D] [--request-timeout D] [--keep-alive-timeout D]
           [--max-connections N] [--max-concurrent-requests N]
           [--plugin-dir DIR] [--plugin-env NAME...]
       signgate signer serve --kubernetes [--namespace NS] [--lease-name NAME] --token-file FILE ...
       signgate signer backfill RULE --config PATH... [--state-dir DIR] [--dry-run]
       signgate signer status REGISTRY/NAMESPACE[/REPO] --config PATH... [--output json]

Signs, with the key of a SigningRule, every tag pushed into the registry namespace the rule covers.
serve receives push notifications at POST /v1/registry-events (docker-registry's notifications
endpoint or a Harbor webhook, with "Authorization: Bearer <the token of --token-file>"), re-reads
each pushed tag from the registry and signs it unless a signature of the rule already covers it. It
lists the rules' repositories and tags at start and every --resync-interval (default 10m), so a lost
notification is signed late, never not at all. Tags present when a rule is first seen are its
baseline: signed only by backfill.

  --config PATH          SigningRule files or folders (repeatable)
  --kubernetes           SigningRules are custom resources (status, finalizers written back),
                         baselines ConfigMaps, key files Secrets (spec.key.file.secretName); the
                         replicas elect a leader on a Lease: only it signs, resyncs and takes
                         events (a standby answers 503), and its Pod gets the label
                         signgate.dev/signer-leader=true
  --namespace NS         the signer's namespace (Lease, ConfigMaps, key Secrets); default
                         $POD_NAMESPACE
  --lease-name NAME      the Lease the replicas share (default signgate-signer)
  --token-file FILE      the bearer token registries send (re-read when it changes)
  --state-dir DIR        where baselines are kept (default $XDG_STATE_HOME/signgate or
                         ~/.local/state/signgate)
  --listen ADDR          HTTPS address (default 0.0.0.0:6443); --tls-cert/--tls-key, else a
                         generated development certificate
  --insecure-listen ADDR plain HTTP on a loopback address only (a registry on the same host),
                         with the same bounds as HTTPS
  --headers-timeout D    TLS handshake, then request headers, each within this, else closed
                         (408 after the handshake) (default 10s)
  --request-timeout D    a whole request within this, else 408 and closed; an answer the
                         client stops reading for this long is cut (default 30s)
  --keep-alive-timeout D an idle keep-alive connection is closed after this (default 120s,
                         above the 90s idle timeout of the registries' Go clients)
  --max-connections N    open connections at most; more are closed as they arrive (default 4096)
  --max-concurrent-requests N
                         event and status requests read or answered at once at most; more get
                         503 with Retry-After: 1 (default 64); /healthz, /readyz, /metrics are
                         outside the bound
  --resync-interval D    e.g. 10m (default), 30s
  --concurrency N        tags signed at once (default 4)
  --plugin-dir DIR       Notation plugin folder for rules with a plugin key (default
                         $XDG_CONFIG_HOME/notation/plugins, else ~/.config/notation/plugins)
  --plugin-env NAME      pass the environment variable NAME to plugins (repeatable); they get only
                         PATH, HOME, TMPDIR, LANG and these
  --dry-run              backfill: list what would be signed, sign nothing
  --output json          status: JSON instead of a table

exit codes: 0 done, 1 backfill left tags unsigned, 2 usage or configuration error, 3 registry error
`);
