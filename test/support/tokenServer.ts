/**
 * A token server for docker-registry's `auth: token` mode (the distribution token authentication spec): GET
 * /token?service=..&scope=.. with optional Basic credentials answers {"token","expires_in"}, a JWT signed ES256 with
 * an x5c chain that the registry verifies against its rootcertbundle. Written for the tests; tokens use the real
 * clock because the registry checks exp/nbf against it.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { createKeyPair, issueCertificate, YEAR_MS, type IssuedCertificate, type KeyPair } from './pki.js';

export interface TokenServer {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the root the registry trusts for token signatures. */
  readonly rootCertBundlePem: string;
  /** Token requests served so far (including refused ones). */
  requests: number;
  /** The Authorization header of each token request, in order (undefined: none was sent). */
  readonly authorizations: readonly (string | undefined)[];
  /** The refresh_token of each OAuth2 refresh_token grant (an identity token exchanged), in order. */
  readonly refreshTokens: readonly string[];
  stop(): Promise<void>;
}

/** `host`: the loopback address to listen on (default 127.0.0.1; e.g. 127.0.0.2 for a realm on another host). */
export async function startTokenServer(options: { username?: string; password?: string; tokenSeconds?: number; host?: string } = {}): Promise<TokenServer> {
  const now = new Date();
  const rootKey = await createKeyPair('ec-p256');
  const root = await issueCertificate({
    subject: 'CN=signgate test token root',
    key: rootKey,
    notBefore: new Date(now.getTime() - YEAR_MS),
    notAfter: new Date(now.getTime() + YEAR_MS),
    basicConstraints: { ca: true, critical: true },
    keyUsages: ['keyCertSign'],
  });
  const signer: KeyPair = await createKeyPair('ec-p256');
  // no extKeyUsage: Go's chain check defaults to serverAuth, which an absent EKU satisfies
  const leaf: IssuedCertificate = await issueCertificate({
    subject: 'CN=signgate test token signer',
    key: signer,
    issuer: root,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + YEAR_MS),
    keyUsages: ['digitalSignature'],
  });
  const x5c = [Buffer.from(leaf.der).toString('base64')];
  const service = 'signgate-test-registry';
  const issuer = 'signgate-test-token-issuer';
  const state = { requests: 0 };
  const authorizations: (string | undefined)[] = [];

  const refreshTokens: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  const answer = (req: http.IncomingMessage, res: http.ServerResponse, body: string): void => {
    state.requests++;
    authorizations.push(req.headers.authorization);
    const url = new URL(req.url ?? '/', 'http://token');
    // GET: scope query parameters; POST (the OAuth2 refresh_token grant of an identity token): a form with one
    // space-separated scope
    const form = req.method === 'POST' ? new URLSearchParams(body) : undefined;
    const refreshToken = form?.get('grant_type') === 'refresh_token' ? form.get('refresh_token') : null;
    if (refreshToken !== null) refreshTokens.push(refreshToken);
    const scopes = form !== undefined ? (form.get('scope') ?? '').split(' ').filter((s) => s !== '') : url.searchParams.getAll('scope');
    if (options.username !== undefined) {
      const want = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
      if (req.headers.authorization !== want) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return void res.end('{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}');
      }
    }
    const access = scopes.flatMap((scope) => {
      const m = /^repository:([^:]+):(.+)$/.exec(scope);
      return m ? [{ type: 'repository', name: m[1], actions: (m[2] ?? '').split(',') }] : [];
    });
    const seconds = options.tokenSeconds ?? 300;
    const iat = Math.floor(Date.now() / 1000);
    void new SignJWT({ access })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c })
      .setIssuer(issuer)
      .setSubject(options.username ?? 'anonymous')
      .setAudience(service)
      .setIssuedAt(iat)
      .setNotBefore(iat - 5)
      .setExpirationTime(iat + seconds)
      .setJti(randomUUID())
      .sign(signer.privateKey)
      .then((token) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token, expires_in: seconds }));
      });
  };
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://${host}:${port}/token`,
    service,
    issuer,
    rootCertBundlePem: root.pem,
    get requests() {
      return state.requests;
    },
    set requests(n: number) {
      state.requests = n;
    },
    authorizations,
    refreshTokens,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
