import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ConsoleCore, type ConsoleOptions, createConsoleCore } from './core';
import { type ConsoleHttpOptions, createConsoleHttpServer } from './http';
import { log } from './log';
import { type ConsoleCertificate, loadCertificate } from './tls/certificate';
import { type ConsoleTransport, isLoopbackHost, type TlsFiles } from './tls/transport';

export interface RunningConsole {
  core: ConsoleCore;
  server: Server;
  url: string;
  /** The certificate served over HTTPS; null on plain HTTP. */
  certificate: ConsoleCertificate | null;
  stop(): Promise<void>;
}

export interface StartOptions extends ConsoleOptions, Omit<ConsoleHttpOptions, 'tls'> {
  host?: string;
  port?: number;
  /** Default: plain HTTP on a loopback host, else HTTPS. */
  transport?: ConsoleTransport;
  /** The operator's certificate (`--tls-cert/--tls-key`); without it HTTPS uses the console's own. */
  tlsFiles?: TlsFiles;
}

/** Starts the core and the HTTP(S) server (with or without pages) and resolves once listening. */
export async function startConsole(options: StartOptions): Promise<RunningConsole> {
  const host = options.host ?? '127.0.0.1';
  const transport = options.transport ?? (isLoopbackHost(host) ? 'http-loopback' : 'https');
  if (transport === 'http-loopback' && !isLoopbackHost(host))
    throw new Error(`plain HTTP on ${host} is off loopback: serve HTTPS or declare it --insecure-http`);
  const certificate =
    transport === 'https'
      ? await loadCertificate(options.dataDir, options.tlsFiles, {
          host,
          ...(options.publicOrigins ? { publicOrigins: options.publicOrigins } : {}),
        })
      : null;
  const core = await createConsoleCore({
    ...options,
    transport,
    certificatePin: certificate?.pin ?? null,
    secureCookies: options.secureCookies || transport === 'https',
  });
  const server = createConsoleHttpServer(core, {
    ...options,
    ...(certificate ? { tls: { cert: certificate.cert, key: certificate.key } } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const shown = address.includes(':') ? `[${address}]` : address;
  const scheme = certificate ? 'https' : 'http';
  const url = `${scheme}://${shown === '0.0.0.0' || shown === '[::]' ? '127.0.0.1' : shown}:${port}`;
  announceTransport(transport, certificate);
  return {
    core,
    server,
    url,
    certificate,
    async stop() {
      // Agent sockets still count as server connections after the upgrade: drop them first.
      core.hub.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await core.close();
    },
  };
}

function announceTransport(transport: ConsoleTransport, certificate: ConsoleCertificate | null): void {
  if (certificate) {
    const whose = certificate.origin === 'generated' ? "the console's own certificate" : 'the certificate';
    log('info', `console: HTTPS with ${whose} ${certificate.certFile}; agents pin ${certificate.pin}`);
  } else if (transport === 'http-insecure') {
    log(
      'warn',
      'console: plain HTTP off loopback (--insecure-http): logins, agent secrets and machine state cross the network unencrypted, and the farm account is never sent to agents. Leave out --insecure-http to serve HTTPS.',
    );
  }
}
