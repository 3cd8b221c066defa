// A throw-away CA and a serving certificate for the loopback API server, made in-process (no openssl CLI):
// RSA keys from node:crypto, X.509 encoding and signing with node-forge.
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface ServingPki { caPem: string; certPem: string; keyPem: string }

const generate = promisify(generateKeyPair);

/** RSA keys come from node:crypto on the thread pool (node-forge's pure-JS generation would take seconds). */
async function keyPair(): Promise<{ privatePem: string; publicPem: string }> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function certificate(subjectCn: string, publicPem: string, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + days * 24 * 60 * 60 * 1000);
  cert.setSubject([{ name: 'commonName', value: subjectCn }]);
  return cert;
}

export async function createServingPki(hosts: readonly string[]): Promise<ServingPki> {
  const [caKeys, servingKeys] = await Promise.all([keyPair(), keyPair()]);
  const caKey = forge.pki.privateKeyFromPem(caKeys.privatePem);
  const ca = certificate('flatdeck-sim-ca', caKeys.publicPem, 3650);
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKey, forge.md.sha256.create());

  const serving = certificate('kube-apiserver', servingKeys.publicPem, 365);
  serving.setIssuer(ca.subject.attributes);
  const altNames = [...new Set(['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', ...hosts])].map((h) =>
    /^\d+\.\d+\.\d+\.\d+$/.test(h) ? { type: 7, ip: h } : { type: 2, value: h });
  serving.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames },
  ]);
  serving.sign(caKey, forge.md.sha256.create());

  return { caPem: forge.pki.certificateToPem(ca), certPem: forge.pki.certificateToPem(serving), keyPem: servingKeys.privatePem };
}
