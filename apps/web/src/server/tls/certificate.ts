import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { networkInterfaces, hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { type CertPin, certPinOfDigest } from '@flock/protocol';
import { log } from '../log';
import type { TlsFiles } from './transport';

export interface ConsoleCertificate {
  cert: string;
  key: string;
  /** What agents pin: the SHA-256 of the certificate's SubjectPublicKeyInfo, `sha256//<base64>`. */
  pin: CertPin;
  /** The certificate file, for the log. */
  certFile: string;
  /** Made by the console (first start) or given by the operator. */
  origin: 'generated' | 'operator';
}

/** A certificate that cannot be used: unreadable, not PEM, or a key that does not belong to it. */
export class CertificateError extends Error {
  override readonly name = 'CertificateError';
}

/** The console's self-made certificate is valid this long; agents pin its key, not its dates. */
const GENERATED_VALIDITY_DAYS = 3650;

/** The pin of a PEM certificate (the first one of a chain: the console's own). */
export function certificatePin(certPem: string): CertPin {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return certPinOfDigest(createHash('sha256').update(spki).digest('base64'));
}

/**
 * The operator's certificate and key, or the console's own from `<dataDir>/tls/` (made on first start:
 * `cert.pem`, `key.pem` mode 0600, in a 0700 directory). The same files are used on every start, so the
 * pin agents hold stays valid.
 */
export async function loadCertificate(
  dataDir: string,
  files: TlsFiles | undefined,
  names: { host?: string; publicOrigins?: readonly string[] } = {},
): Promise<ConsoleCertificate> {
  if (files) return readCertificate(files, 'operator');
  const dir = join(dataDir, 'tls');
  const own = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  if (await exists(own.certFile)) {
    await keepPrivate(own.keyFile);
    return readCertificate(own, 'generated');
  }
  await generateCertificate(dir, own, subjectAltNames(names));
  return readCertificate(own, 'generated');
}

async function readCertificate(
  files: TlsFiles,
  origin: ConsoleCertificate['origin'],
): Promise<ConsoleCertificate> {
  const read = (file: string, what: string) =>
    readFile(file, 'utf8').catch((error: Error) => {
      throw new CertificateError(`cannot read the TLS ${what} ${file}: ${error.message}`);
    });
  const [cert, key] = await Promise.all([read(files.certFile, 'certificate'), read(files.keyFile, 'key')]);
  let pin: CertPin;
  try {
    pin = certificatePin(cert);
    createPrivateKey(key);
    // OpenSSL checks here that the key belongs to the certificate.
    createSecureContext({ cert, key });
  } catch (error) {
    throw new CertificateError(
      `the TLS certificate ${files.certFile} and key ${files.keyFile} cannot be used: ${(error as Error).message}`,
    );
  }
  return { cert, key, pin, certFile: files.certFile, origin };
}

/** This machine's names and addresses, localhost, the host the console listens on and its public URLs. */
export function subjectAltNames(names: { host?: string; publicOrigins?: readonly string[] }): string[] {
  const all = new Set<string>(['localhost', osHostname()]);
  for (const addresses of Object.values(networkInterfaces()))
    for (const address of addresses ?? []) all.add(address.address.replace(/%.*$/, ''));
  if (names.host && names.host !== '0.0.0.0' && names.host !== '::') all.add(names.host);
  for (const origin of names.publicOrigins ?? []) all.add(new URL(origin).hostname.replace(/^\[|\]$/g, ''));
  return [...all].filter((name) => name.length > 0);
}

async function generateCertificate(dir: string, files: TlsFiles, names: string[]): Promise<void> {
  // Loaded only when a certificate is made: it brings a global Reflect polyfill with it.
  const { generate } = await import('selfsigned');
  const notBefore = new Date();
  const notAfter = new Date(notBefore.getTime() + GENERATED_VALIDITY_DAYS * 86_400_000);
  const made = await generate([{ name: 'commonName', value: `Flock console on ${osHostname()}` }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((name) => (isIpLiteral(name) ? { type: 7, ip: name } : { type: 2, value: name })),
      },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Written aside and renamed, the key first: a crash never leaves a certificate without its key.
  await writePrivate(files.keyFile, made.private);
  await writePrivate(files.certFile, made.cert, 0o644);
  log('info', `console: made a TLS certificate for ${names.join(', ')} in ${dir}`);
}

const isIpLiteral = (name: string) => /^[\d.]+$/.test(name) || name.includes(':');

async function writePrivate(file: string, content: string, mode = 0o600): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, content, { mode });
  await chmod(partial, mode);
  await rename(partial, file);
}

/** A key file others can read is tightened to 0600, with a line in the log. */
async function keepPrivate(keyFile: string): Promise<void> {
  const info = await stat(keyFile).catch(() => undefined);
  if (!info || (info.mode & 0o077) === 0) return;
  await chmod(keyFile, 0o600);
  log('warn', `console: ${keyFile} was readable by others; its mode is now 0600`);
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );
