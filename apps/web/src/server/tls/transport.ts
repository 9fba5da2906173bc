import { isIP } from 'node:net';

/**
 * How the console's one port is served. Off loopback it is HTTPS (and WSS for the agents' link) unless
 * the operator asks for plain HTTP with `--insecure-http`; on loopback it is plain HTTP, which never
 * leaves the machine.
 */
export type ConsoleTransport = 'https' | 'http-loopback' | 'http-insecure';

/** The operator's own certificate and key (PEM files); without them the console makes its own. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TransportFlags {
  host: string;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  insecureHttp?: boolean | undefined;
}

export type TransportChoice = { transport: ConsoleTransport; tlsFiles?: TlsFiles } | { error: string };

/** 127.0.0.0/8, ::1, localhost: addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare === '::1') return true;
  if (bare.startsWith('::ffff:')) return isLoopbackHost(bare.slice(7));
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** The transport the command-line flags ask for, or why they do not fit together. */
export function chooseTransport(flags: TransportFlags): TransportChoice {
  const { host, tlsCert, tlsKey, insecureHttp } = flags;
  if (Boolean(tlsCert) !== Boolean(tlsKey))
    return { error: '--tls-cert and --tls-key go together: give both PEM files, or neither' };
  if (tlsCert && tlsKey) {
    if (insecureHttp) return { error: '--insecure-http and --tls-cert contradict each other: choose one' };
    return { transport: 'https', tlsFiles: { certFile: tlsCert, keyFile: tlsKey } };
  }
  // --insecure-http on loopback declares the port public (a plain port-forward or tunnel points at it).
  if (insecureHttp) return { transport: 'http-insecure' };
  return { transport: isLoopbackHost(host) ? 'http-loopback' : 'https' };
}

/**
 * True when what travels on this connection stays private: it is TLS, or it never left this machine.
 * A console on `--insecure-http` treats every connection as public, loopback ones included.
 */
export function linkIsPrivate(
  transport: ConsoleTransport,
  socket: { encrypted?: boolean; remoteAddress?: string | undefined },
): boolean {
  if (transport === 'https') return socket.encrypted === true;
  if (transport === 'http-loopback') return isLoopbackHost(socket.remoteAddress ?? '');
  return false;
}
