/**
 * Real revocation services on loopback for tests: certificate authorities run by `openssl ca` (index, serials,
 * `-revoke`, `-gencrl`), real OCSP responders (`openssl ocsp -index ... -port 0`), and one tiny HTTP server that
 * serves the CRLs and forwards OCSP requests to the responders. Certificates name that server in their
 * authorityInfoAccess and cRLDistributionPoints extensions. Everything is minted per run in a temporary folder.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function openssl(args: readonly string[], cwd?: string): Promise<string> {
  const { stdout } = await run('openssl', [...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

const pemToDer = (pem: string): Uint8Array => {
  const body = pem.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
};

/** Which endpoints a certificate names. */
export interface Endpoints {
  readonly ocsp?: boolean;
  readonly crl?: boolean;
}

export interface IssuedCert {
  readonly name: string;
  readonly pemPath: string;
  readonly pem: string;
  readonly der: Uint8Array;
  readonly keyPath: string;
  readonly privateKey: KeyObject;
}

/** An `openssl ca` certificate authority in its own folder. */
export class OpensslCa {
  readonly cert: IssuedCert;
  private constructor(
    readonly name: string,
    readonly dir: string,
    cert: IssuedCert,
  ) {
    this.cert = cert;
  }

  static async create(root: string, name: string, subject: string, issuer: OpensslCa | undefined, endpoints: string): Promise<OpensslCa> {
    const dir = join(root, name);
    await mkdir(join(dir, 'newcerts'), { recursive: true });
    await writeFile(join(dir, 'index.txt'), '');
    await writeFile(join(dir, 'index.txt.attr'), 'unique_subject = no\n');
    // Serial numbers unique across CAs (so a CRL of one never lists another's certificate by accident), top bit clear.
    await writeFile(join(dir, 'serial'), `${(0x10 + randomInt(0x60)).toString(16)}${randomBytes(7).toString('hex')}\n`);
    await writeFile(join(dir, 'crlnumber'), '1000\n');
    await writeFile(join(dir, 'ca.cnf'), caConfig(dir, endpoints));
    const keyPath = join(dir, 'ca.key');
    const pemPath = join(dir, 'ca.pem');
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
    const csr = join(dir, 'ca.csr');
    await openssl(['req', '-new', '-key', keyPath, '-out', csr, '-subj', subject, '-config', join(dir, 'ca.cnf')]);
    if (issuer === undefined) {
      await openssl(['ca', '-batch', '-selfsign', '-config', join(dir, 'ca.cnf'), '-keyfile', keyPath, '-in', csr, '-out', pemPath, '-extensions', 'root_ext', '-startdate', START, '-days', '730', '-notext']);
    } else {
      await issuer.sign(csr, pemPath, 'ca_ext_ocsp_crl', 700);
    }
    return new OpensslCa(name, dir, await loadIssued(name, pemPath, keyPath));
  }

  /** Signs a CSR with this CA (recorded in its index, so its OCSP responder and CRLs know it). */
  async sign(csr: string, out: string, extensions: string, days: number): Promise<void> {
    await openssl(['ca', '-batch', '-config', join(this.dir, 'ca.cnf'), '-in', csr, '-out', out, '-extensions', extensions, '-startdate', START, '-days', String(days), '-notext']);
  }

  /** A new certificate issued by this CA: a code signing leaf, an intermediate CA, a TSA, or an OCSP responder. */
  async issue(name: string, subject: string, kind: 'leaf' | 'ca' | 'tsa' | 'ocsp', endpoints: Endpoints = { ocsp: true, crl: true }): Promise<IssuedCert> {
    const keyPath = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const pemPath = join(this.dir, `${name}.pem`);
    await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath]);
    await openssl(['req', '-new', '-key', keyPath, '-out', csr, '-subj', subject, '-config', join(this.dir, 'ca.cnf')]);
    const section = kind === 'ocsp' ? 'ocsp_ext' : `${kind}_ext${endpoints.ocsp ? '_ocsp' : ''}${endpoints.crl ? '_crl' : ''}`;
    await this.sign(csr, pemPath, section, 365);
    return loadIssued(name, pemPath, keyPath);
  }

  /** Drops a certificate from the CA's index, so that its OCSP responder answers "unknown" for it. */
  async forget(cert: IssuedCert): Promise<void> {
    const serial = (await openssl(['x509', '-in', cert.pemPath, '-noout', '-serial'])).trim().split('=')[1] ?? '';
    const index = join(this.dir, 'index.txt');
    const lines = (await readFile(index, 'utf8')).split('\n').filter((l) => l !== '' && l.split('\t')[3] !== serial);
    await writeFile(index, lines.map((l) => `${l}\n`).join(''));
  }

  /** `openssl ca -revoke`: with a reason, or keyCompromise with an invalidity (compromise) time. */
  async revoke(cert: IssuedCert, o: { reason?: string; compromiseTime?: Date } = {}): Promise<void> {
    const args = ['ca', '-config', join(this.dir, 'ca.cnf'), '-revoke', cert.pemPath];
    if (o.compromiseTime) args.push('-crl_compromise', generalizedTime(o.compromiseTime));
    else if (o.reason) args.push('-crl_reason', o.reason);
    await openssl(args);
  }

  /** `openssl ca -gencrl`: a DER CRL valid for `hours` from now (or signed by another key, to test rejection). */
  async crl(o: { hours?: number; signer?: OpensslCa } = {}): Promise<Uint8Array> {
    const out = join(this.dir, `crl-${Date.now()}-${Math.random()}.pem`);
    const args = ['ca', '-config', join(this.dir, 'ca.cnf'), '-gencrl', '-out', out, '-crlhours', String(o.hours ?? 24)];
    if (o.signer) args.push('-keyfile', o.signer.cert.keyPath, '-cert', o.signer.cert.pemPath);
    await openssl(args);
    return pemToDer(await readFile(out, 'utf8'));
  }
}

/** Every certificate is valid from a day ago, so that signing times in the recent past lie inside its validity. */
const START = generalizedTime(new Date(Date.now() - 24 * 3600_000));

function generalizedTime(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

async function loadIssued(name: string, pemPath: string, keyPath: string): Promise<IssuedCert> {
  const pem = await readFile(pemPath, 'utf8');
  const begin = pem.indexOf('-----BEGIN CERTIFICATE-----');
  const certPem = pem.slice(begin);
  return { name, pemPath, pem: certPem, der: pemToDer(certPem), keyPath, privateKey: createPrivateKey(await readFile(keyPath, 'utf8')) };
}

function caConfig(dir: string, endpoints: string): string {
  const name = dir.split('/').pop() ?? 'ca';
  const aia = `authorityInfoAccess = OCSP;URI:${endpoints}/ocsp/${name}\n`;
  const cdp = `crlDistributionPoints = URI:${endpoints}/crl/${name}.crl\n`;
  const leaf = 'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = codeSigning\nsubjectKeyIdentifier = hash\n';
  const ca = 'basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\n';
  const sections: string[] = [];
  const tsa = 'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = critical,timeStamping\n';
  for (const kind of ['leaf', 'ca', 'tsa'] as const) {
    const body = kind === 'leaf' ? leaf : kind === 'ca' ? ca : tsa;
    sections.push(`[ ${kind}_ext ]\n${body}`);
    sections.push(`[ ${kind}_ext_ocsp ]\n${body}${aia}`);
    sections.push(`[ ${kind}_ext_crl ]\n${body}${cdp}`);
    sections.push(`[ ${kind}_ext_ocsp_crl ]\n${body}${aia}${cdp}`);
  }
  return `[ ca ]
default_ca = CA_default
[ CA_default ]
dir = ${dir}
database = $dir/index.txt
new_certs_dir = $dir/newcerts
certificate = $dir/ca.pem
private_key = $dir/ca.key
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
crl_extensions = crl_ext
[ policy_any ]
commonName = supplied
organizationName = optional
stateOrProvinceName = optional
countryName = optional
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused
[ root_ext ]
${ca}
[ ocsp_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
[ crl_ext ]
authorityKeyIdentifier = keyid
${sections.join('\n')}
`;
}

/** A running `openssl ocsp` responder for one CA. */
export interface OcspResponder {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts `openssl ocsp` on a free port (the port it reports), answering from the CA's index, signed by `signer`. */
export async function startOcspResponder(ca: OpensslCa, signer: IssuedCert = ca.cert): Promise<OcspResponder> {
  const child: ChildProcess = spawn(
    'openssl',
    ['ocsp', '-port', '0', '-index', join(ca.dir, 'index.txt'), '-CA', ca.cert.pemPath, '-rsigner', signer.pemPath, '-rkey', signer.keyPath, '-nmin', '60'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const m = /ACCEPT .*:(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`openssl ocsp exited (${String(code)}): ${text}`)));
  });
  return {
    port,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** The loopback HTTP server certificates point at: `/crl/<ca>.crl` and `/ocsp/<ca>` (forwarded to a responder). */
export class RevocationServer {
  readonly crls = new Map<string, Uint8Array>();
  readonly responders = new Map<string, number>();
  /** Requests served, by path prefix ("crl" / "ocsp"). */
  readonly hits = { crl: 0, ocsp: 0 };
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<RevocationServer> {
    const holder: { self?: RevocationServer } = {};
    const server = createServer((req, res) => {
      const s = holder.self as RevocationServer;
      const path = req.url ?? '/';
      const crl = /^\/crl\/([\w.-]+)\.crl$/.exec(path);
      if (crl && req.method === 'GET') {
        s.hits.crl++;
        const body = s.crls.get(crl[1] ?? '');
        if (!body) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/pkix-crl', 'content-length': body.byteLength }).end(Buffer.from(body));
        return;
      }
      const ocsp = /^\/ocsp\/([\w.-]+)/.exec(path);
      if (ocsp) {
        s.hits.ocsp++;
        const port = s.responders.get(ocsp[1] ?? '');
        if (port === undefined) {
          res.writeHead(503).end();
          return;
        }
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          const forward = httpRequest(
            { host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-type': 'application/ocsp-request', 'content-length': body.byteLength } },
            (answer) => {
              res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/ocsp-response' });
              answer.pipe(res);
            },
          );
          forward.on('error', () => res.writeHead(502).end());
          forward.end(body);
        });
        return;
      }
      res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    holder.self = new RevocationServer(server, `http://127.0.0.1:${port}`);
    return holder.self;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * root -> intermediate -> leaves, all made by `openssl ca`, with a running HTTP server and OCSP responders for both
 * CAs. The intermediate names the root's OCSP responder and CRL; leaves name the intermediate's.
 */
export interface RevocationPki {
  readonly dir: string;
  readonly server: RevocationServer;
  readonly root: OpensslCa;
  readonly intermediate: OpensslCa;
  /** An intermediate with the same name as `intermediate` but another key: signs CRLs / OCSP answers it must not. */
  readonly impostor: OpensslCa;
  /** Leaf, intermediate, root (DER), as an envelope carries them. */
  chainFor(leaf: IssuedCert): Uint8Array[];
  /** Publishes fresh CRLs of both CAs on the server. */
  publishCrls(o?: { hours?: number }): Promise<void>;
  /** (Re)starts the OCSP responders (openssl reads the CA index when it starts); `signers` picks another signing certificate. */
  startResponders(signers?: { readonly root?: IssuedCert; readonly intermediate?: IssuedCert }): Promise<void>;
  stopResponders(): Promise<void>;
  close(): Promise<void>;
}

export async function createRevocationPki(): Promise<RevocationPki> {
  const dir = await mkdtemp(join(tmpdir(), 'signgate-revocation-'));
  const server = await RevocationServer.start();
  const root = await OpensslCa.create(dir, 'root', '/C=US/ST=WA/O=signgate/CN=revocation test root', undefined, server.url);
  const intermediate = await OpensslCa.create(dir, 'intermediate', '/C=US/ST=WA/O=signgate/CN=revocation test intermediate', root, server.url);
  // The impostor has the intermediate's name but its own key (certified by the root, so its name is encoded alike).
  const impostor = await OpensslCa.create(dir, 'impostor', '/C=US/ST=WA/O=signgate/CN=revocation test intermediate', root, server.url);
  const responders: OcspResponder[] = [];
  const pki: RevocationPki = {
    dir,
    server,
    root,
    intermediate,
    impostor,
    chainFor: (leaf) => [leaf.der, intermediate.cert.der, root.cert.der],
    async publishCrls(o = {}) {
      server.crls.set('root', await root.crl(o));
      server.crls.set('intermediate', await intermediate.crl(o));
    },
    async startResponders(signers = {}) {
      await pki.stopResponders();
      for (const ca of [root, intermediate]) {
        const r = await startOcspResponder(ca, ca === root ? signers.root : signers.intermediate);
        responders.push(r);
        server.responders.set(ca.name, r.port);
      }
    },
    async stopResponders() {
      await Promise.all(responders.splice(0).map((r) => r.stop()));
      server.responders.clear();
    },
    async close() {
      await pki.stopResponders();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return pki;
}
