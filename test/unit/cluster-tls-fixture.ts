// Certificates and a tiny HTTPS "API server" for the connection/error tests: real TLS, real HTTP, real sockets.
import { generateKeyPairSync } from 'node:crypto';
import type { RequestListener } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';
import type { ClusterConnection } from '../../app/cluster/connection.ts';

export interface Pem {
  cert: string;
  key: string;
}

function keyPair(): { forgeKey: forge.pki.rsa.PrivateKey; forgePub: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(pem);
  return { forgeKey, forgePub: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem };
}

let serial = 1;
function certificate(
  subjectCN: string,
  pub: forge.pki.rsa.PublicKey,
  signer: { key: forge.pki.rsa.PrivateKey; cert: forge.pki.Certificate | null },
  opts: { ca?: boolean; altNames?: Array<{ type: 2; value: string } | { type: 7; ip: string }>; notBefore?: Date; notAfter?: Date; clientAuth?: boolean },
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  cert.validity.notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  cert.validity.notAfter = opts.notAfter ?? new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: subjectCN }]);
  cert.setIssuer(signer.cert ? signer.cert.subject.attributes : [{ name: 'commonName', value: subjectCN }]);
  const extensions: object[] = [{ name: 'basicConstraints', cA: opts.ca === true }];
  if (opts.ca) extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true });
  if (opts.altNames) extensions.push({ name: 'subjectAltName', altNames: opts.altNames });
  if (opts.clientAuth) extensions.push({ name: 'extKeyUsage', clientAuth: true });
  cert.setExtensions(extensions);
  cert.sign(signer.key, forge.md.sha256.create());
  return cert;
}

export interface Pki {
  ca: Pem;
  otherCa: Pem;
  /** Valid for 127.0.0.1 and localhost, signed by `ca`. */
  server: Pem;
  /** Signed by `ca` but only for other.example. */
  wrongHost: Pem;
  /** A client certificate that expired yesterday. */
  expiredClient: Pem;
}

export function makePki(): Pki {
  const caKeys = keyPair();
  const caCert = certificate('test-ca', caKeys.forgePub, { key: caKeys.forgeKey, cert: null }, { ca: true });
  const otherKeys = keyPair();
  const otherCert = certificate('other-ca', otherKeys.forgePub, { key: otherKeys.forgeKey, cert: null }, { ca: true });
  const signer = { key: caKeys.forgeKey, cert: caCert };
  const leaf = (cn: string, opts: Parameters<typeof certificate>[3]): Pem => {
    const k = keyPair();
    return { cert: forge.pki.certificateToPem(certificate(cn, k.forgePub, signer, opts)), key: k.pem };
  };
  return {
    ca: { cert: forge.pki.certificateToPem(caCert), key: caKeys.pem },
    otherCa: { cert: forge.pki.certificateToPem(otherCert), key: otherKeys.pem },
    server: leaf('apiserver', { altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }),
    wrongHost: leaf('other', { altNames: [{ type: 2, value: 'other.example' }] }),
    expiredClient: leaf('operator', {
      clientAuth: true,
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    }),
  };
}

export interface FakeApiServer {
  url: string;
  stop(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1:0 whose handler decides per request (by Authorization header and path). */
export async function startHttps(pem: Pem, handler: RequestListener): Promise<FakeApiServer> {
  const server = https.createServer({ cert: pem.cert, key: pem.key }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/** A kubeconfig context entry in YAML for one server/user combination. */
export function kubeconfigYaml(opts: { server: string; caPem: string; user: Record<string, unknown> }): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'test',
    clusters: [{ name: 'test', cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caPem).toString('base64') } }],
    users: [{ name: 'operator', user: opts.user }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'operator' } }],
  });
}

/** The cheapest request that checks reachability, TLS, credentials and the right to list nodes. */
export async function listOneNode(conn: ClusterConnection): Promise<void> {
  try {
    await conn.getJson('/api/v1/nodes?limit=1', { timeoutMs: 15_000 });
  } catch (err) {
    throw conn.classify(err, 'list', 'nodes');
  }
}
