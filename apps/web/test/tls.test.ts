// HTTPS off loopback: the console's own certificate (or the operator's), its pin in "Add machine", the
// agent pinning it at pairing and on every link connection, and refusing a console with another key
// before it sends anything.
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { LinkClient, loadLinkCredentials, pair } from 'flock-agent';
import { SimulatedAgent } from 'flock-agent/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import { loadCertificate } from '../src/server/tls/certificate';
import { chooseTransport, isLoopbackHost, linkIsPrivate } from '../src/server/tls/transport';
import { addMachine, call, login, startTestConsole, tempDir } from './support/console';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

/** The pin as curl computes it for --pinnedpubkey: SHA-256 of the certificate's public key (DER). */
function pinOf(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256//${createHash('sha256').update(spki).digest('base64')}`;
}

async function httpsConsole(options: Parameters<typeof startTestConsole>[0] = {}): Promise<RunningConsole> {
  const running = await startTestConsole({ transport: 'https', ...options });
  stops.push(() => running.stop());
  return running;
}

function linkClient(consoleDir: string, logs: string[]) {
  return (async () => {
    const credentials = await loadLinkCredentials(consoleDir);
    if (!credentials) throw new Error('not paired');
    const client = new LinkClient({
      ...credentials,
      agent: new SimulatedAgent({ hostname: 'tls-01' }),
      agentVersion: 'tls-test',
      backoff: { initialMs: 50, maxMs: 200 },
      log: (level, message) => logs.push(`${level} ${message}`),
    });
    client.start();
    stops.push(() => client.stop());
    return { client, machineId: credentials.machineId };
  })();
}

describe('the transport the flags ask for', () => {
  it('is plain HTTP on loopback, HTTPS elsewhere, plain off loopback only when declared insecure', () => {
    expect(chooseTransport({ host: '127.0.0.1' })).toEqual({ transport: 'http-loopback' });
    expect(chooseTransport({ host: '::1' })).toEqual({ transport: 'http-loopback' });
    expect(chooseTransport({ host: 'localhost' })).toEqual({ transport: 'http-loopback' });
    expect(chooseTransport({ host: '0.0.0.0' })).toEqual({ transport: 'https' });
    expect(chooseTransport({ host: '192.168.1.10' })).toEqual({ transport: 'https' });
    expect(chooseTransport({ host: '0.0.0.0', insecureHttp: true })).toEqual({ transport: 'http-insecure' });
    expect(chooseTransport({ host: '127.0.0.1', insecureHttp: true })).toEqual({
      transport: 'http-insecure',
    });
    expect(chooseTransport({ host: '127.0.0.1', tlsCert: 'c.pem', tlsKey: 'k.pem' })).toEqual({
      transport: 'https',
      tlsFiles: { certFile: 'c.pem', keyFile: 'k.pem' },
    });
    expect(chooseTransport({ host: '0.0.0.0', tlsCert: 'c.pem' })).toEqual({
      error: expect.stringContaining('go together'),
    });
    expect(chooseTransport({ host: '0.0.0.0', tlsCert: 'c', tlsKey: 'k', insecureHttp: true })).toEqual({
      error: expect.stringContaining('contradict'),
    });
    expect(isLoopbackHost('127.8.9.10')).toBe(true);
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('128.0.0.1')).toBe(false);
  });

  it('counts a link as private only over TLS, or on loopback to a loopback console', () => {
    expect(linkIsPrivate('https', { encrypted: true, remoteAddress: '192.0.2.1' })).toBe(true);
    expect(linkIsPrivate('https', { remoteAddress: '127.0.0.1' })).toBe(false);
    expect(linkIsPrivate('http-loopback', { remoteAddress: '127.0.0.1' })).toBe(true);
    expect(linkIsPrivate('http-loopback', { remoteAddress: '::ffff:127.0.0.1' })).toBe(true);
    expect(linkIsPrivate('http-loopback', { remoteAddress: '192.0.2.1' })).toBe(false);
    expect(linkIsPrivate('http-insecure', { remoteAddress: '127.0.0.1' })).toBe(false);
  });

  it('refuses plain loopback HTTP on an address others can reach', async () => {
    await expect(startTestConsole({ host: '0.0.0.0', transport: 'http-loopback' })).rejects.toThrow(
      /off loopback/,
    );
  });
});

describe('HTTPS with the console’s own certificate', () => {
  it('makes it on first start (key 0600), keeps it across restarts, and shows its pin in "Add machine"', async () => {
    const dataDir = tempDir('flock-tls-console-');
    const first = await httpsConsole({ dataDir });
    expect(first.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const certFile = join(dataDir, 'tls', 'cert.pem');
    expect(statSync(join(dataDir, 'tls', 'key.pem')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'tls')).mode & 0o777).toBe(0o700);
    const cert = readFileSync(certFile, 'utf8');
    const names = new X509Certificate(cert).subjectAltName ?? '';
    expect(names).toContain('DNS:localhost');
    expect(names).toContain(`DNS:${hostname()}`);
    expect(names).toContain('IP Address:127.0.0.1');

    const cookie = await login(first);
    const shown = await addMachine(first, cookie);
    expect(shown.pin).toBe(pinOf(cert));
    const pin = pinOf(cert);
    expect(shown.commands.clone).toBe(
      `npm run agent -- pair ${first.url} ${shown.code} --fingerprint '${pin}'`,
    );
    expect(shown.commands.unix).toBe(
      `curl -fsSLk --pinnedpubkey '${pin}' ${first.url}/install.sh | sh -s -- ${shown.code} --fingerprint '${pin}'`,
    );
    await first.stop();

    const again = await httpsConsole({ dataDir });
    expect(readFileSync(certFile, 'utf8')).toBe(cert);
    expect((await addMachine(again, await login(again))).pin).toBe(pinOf(cert));
  });

  it('sends the session cookie Secure over HTTPS', async () => {
    const running = await httpsConsole();
    const { setCookie } = await call(running, 'mutation', 'auth.login', {
      password: 'correct horse battery staple',
    });
    expect(setCookie).toMatch(/flock_session=.+; Secure/);
  });

  it('pairs an agent with the pin and links it over WSS', async () => {
    const running = await httpsConsole();
    const cookie = await login(running);
    const { code, pin } = await addMachine(running, cookie);
    const configDir = tempDir('flock-tls-agent-');
    await pair(running.url, code, { configDir, hostname: 'tls-01', ...(pin ? { fingerprint: pin } : {}) });
    expect(await loadLinkCredentials(configDir)).toMatchObject({ consoleUrl: running.url, pin });
    const { client, machineId } = await linkClient(configDir, []);
    await vi.waitFor(() => expect(client.status).toBe('connected'), { timeout: 10_000, interval: 50 });
    await vi.waitFor(() => expect(running.core.fleet.summary(machineId)?.online).toBe(true));
  });

  it('refuses to pair without a fingerprint or with a wrong one, and never sends the code', async () => {
    const running = await httpsConsole();
    const cookie = await login(running);
    const { code, pin } = await addMachine(running, cookie);
    const configDir = tempDir('flock-tls-agent-');
    await expect(pair(running.url, code, { configDir })).rejects.toThrow(
      /does not trust \(DEPTH_ZERO_SELF_SIGNED_CERT\); the code was not sent\. Pair with its fingerprint: .*--fingerprint sha256\/\/… — the console's "Add machine" shows the whole command/,
    );
    const otherPin = pinOf(readFileSync(join(await ownCertificateDir(), 'cert.pem'), 'utf8'));
    await expect(pair(running.url, code, { configDir, fingerprint: otherPin })).rejects.toThrow(
      `presented a certificate whose key does not match --fingerprint (expected ${otherPin}, got ${pin})`,
    );
    await expect(pair(running.url, code, { configDir, fingerprint: 'sha256//short' })).rejects.toThrow(
      /not a fingerprint like sha256\/\//,
    );
    expect(await loadLinkCredentials(configDir)).toBeNull();
    // The same one-time code still works: the console never received it.
    await pair(running.url, code, { configDir, ...(pin ? { fingerprint: pin } : {}) });
    expect(await loadLinkCredentials(configDir)).toMatchObject({ pin });
  });

  it('a paired agent refuses a console presenting another certificate, and sends it nothing', async () => {
    const dataDir = tempDir('flock-tls-console-');
    const running = await httpsConsole({ dataDir });
    const { code, pin } = await addMachine(running, await login(running));
    const configDir = tempDir('flock-tls-agent-');
    await pair(running.url, code, { configDir, ...(pin ? { fingerprint: pin } : {}) });
    const logs: string[] = [];
    const { client } = await linkClient(configDir, logs);
    await vi.waitFor(() => expect(client.status).toBe('connected'), { timeout: 10_000, interval: 50 });
    const port = Number(new URL(running.url).port);
    await running.stop();

    // Another server takes the console's address with a certificate of its own.
    const impostorDir = await ownCertificateDir();
    const impostorCert = readFileSync(join(impostorDir, 'cert.pem'), 'utf8');
    const received: Buffer[] = [];
    let connections = 0;
    const impostor: TlsServer = createTlsServer(
      { cert: impostorCert, key: readFileSync(join(impostorDir, 'key.pem'), 'utf8') },
      (socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)),
    );
    impostor.on('connection', () => connections++);
    await new Promise<void>((resolve) => impostor.listen(port, '127.0.0.1', resolve));
    stops.push(() => new Promise((resolve) => impostor.close(resolve)));
    const expected = `error console link: the console at ${running.url} presented another certificate (pinned ${pin}, got ${pinOf(impostorCert)}); if it was replaced on purpose, pair this machine again`;
    await vi.waitFor(() => expect(logs).toContain(expected), { timeout: 10_000, interval: 50 });
    // It kept trying (the backoff is short here) and logged the refusal once, never sending a byte.
    await vi.waitFor(() => expect(connections).toBeGreaterThan(2), { timeout: 10_000 });
    expect(logs.filter((line) => line === expected)).toHaveLength(1);
    expect(received).toEqual([]);
    expect(client.status).not.toBe('connected');
    await new Promise((resolve) => impostor.close(resolve));

    // The real console back on its address (same certificate): the link comes back.
    const back = await httpsConsole({ dataDir, port });
    await vi.waitFor(() => expect(client.status).toBe('connected'), { timeout: 10_000, interval: 50 });
    expect(back.url).toBe(running.url);
  });
});

describe('HTTPS with the operator’s certificate', () => {
  it('serves it, pins it, and refuses a key that does not belong to it', async () => {
    const operatorDir = await ownCertificateDir();
    const certFile = join(operatorDir, 'cert.pem');
    const running = await httpsConsole({ tlsFiles: { certFile, keyFile: join(operatorDir, 'key.pem') } });
    expect(running.certificate).toMatchObject({ origin: 'operator', certFile });
    expect((await addMachine(running, await login(running))).pin).toBe(pinOf(readFileSync(certFile, 'utf8')));
    const otherKey = join(await ownCertificateDir(), 'key.pem');
    await expect(
      startTestConsole({ transport: 'https', tlsFiles: { certFile, keyFile: otherKey } }),
    ).rejects.toThrow(/cannot be used: .*key values mismatch/);
  });

  it('pairs without a fingerprint when the system trusts the certificate', async () => {
    const operatorDir = await ownCertificateDir();
    const certFile = join(operatorDir, 'cert.pem');
    const running = await httpsConsole({ tlsFiles: { certFile, keyFile: join(operatorDir, 'key.pem') } });
    const { code } = await addMachine(running, await login(running));
    const configDir = tempDir('flock-tls-agent-');
    // A separate node whose certificate authorities include this one (NODE_EXTRA_CA_CERTS is read at start).
    const script = `import { pair } from 'flock-agent';
      await pair(process.argv[1], process.argv[2], { configDir: process.argv[3] });`;
    const args = ['--import', 'tsx', '--input-type=module', '-e', script, running.url, code, configDir];
    await promisify(execFile)(process.execPath, args, {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: certFile },
      cwd: import.meta.dirname,
    });
    const stored = await loadLinkCredentials(configDir);
    expect(stored).toMatchObject({ consoleUrl: running.url });
    expect(stored?.pin).toBeUndefined();
  });
});

/** A directory with a freshly made certificate and key, as the console makes its own. */
async function ownCertificateDir(): Promise<string> {
  const dataDir = tempDir('flock-tls-other-');
  await loadCertificate(dataDir, undefined);
  return join(dataDir, 'tls');
}
