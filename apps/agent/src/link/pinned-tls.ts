// Connections to a console whose certificate is pinned (`pair --fingerprint sha256//…`). The pin, the
// SHA-256 of the certificate's public key, takes the place of a certificate authority and of the host
// name: a console's own certificate is self-signed and its addresses change. The socket reaches the
// HTTP or WebSocket client only after the check, so nothing (no pairing code, no secret) is sent to a
// server presenting another key.
import { createHash } from 'node:crypto';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type CertPin, certPinOfDigest } from '@flock/protocol';
import { Agent as UndiciAgent } from 'undici';

/** The console presented a certificate whose key is not the pinned one. */
export class CertificateMismatchError extends Error {
  override readonly name = 'CertificateMismatchError';

  constructor(
    readonly consoleOrigin: string,
    readonly pinned: CertPin,
    readonly presented: CertPin | null,
  ) {
    super(
      `the console at ${consoleOrigin} presented another certificate (pinned ${pinned}, got ${presented ?? 'none'}); if it was replaced on purpose, pair this machine again`,
    );
  }
}

/** The pin of the certificate a TLS socket's peer presented, null when it presented none. */
export function presentedPin(socket: TLSSocket): CertPin | null {
  const certificate = socket.getPeerX509Certificate();
  if (!certificate) return null;
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  return certPinOfDigest(createHash('sha256').update(spki).digest('base64'));
}

/** Opens a TLS connection and hands it over only when the peer's key is the pinned one. */
export function connectPinned(
  options: ConnectionOptions,
  pin: CertPin,
  consoleOrigin: string,
  callback: (error: Error | null, socket: TLSSocket | null) => void,
): void {
  const socket = tlsConnect({ ...options, rejectUnauthorized: false });
  let settled = false;
  const settle = (error: Error | null) => {
    if (settled) return;
    settled = true;
    socket.off('error', settle);
    if (error) {
      socket.destroy();
      callback(error, null);
    } else callback(null, socket);
  };
  socket.on('error', settle);
  socket.once('secureConnect', () => {
    const presented = presentedPin(socket);
    settle(presented === pin ? null : new CertificateMismatchError(consoleOrigin, pin, presented));
  });
}

/** An https.Agent for `ws` (the link's WebSocket): every connection checked against the pin first. */
export class PinnedHttpsAgent extends HttpsAgent {
  constructor(
    private readonly pin: CertPin,
    private readonly consoleOrigin: string,
  ) {
    super({ keepAlive: false, maxCachedSessions: 0 });
  }

  override createConnection(
    options: RequestOptions,
    callback?: (error: Error | null, stream: Duplex) => void,
  ): undefined {
    connectPinned(options as ConnectionOptions, this.pin, this.consoleOrigin, (error, socket) =>
      callback?.(error, socket as Duplex),
    );
    return undefined;
  }
}

/** An undici dispatcher for requests to the console (pairing, downloads) that checks the pin first. */
export function pinnedDispatcher(pin: CertPin, consoleOrigin: string): UndiciAgent {
  return new UndiciAgent({
    connect: (options, callback) =>
      connectPinned(
        {
          host: options.hostname,
          port: Number(options.port) || 443,
          ...(options.servername ? { servername: options.servername } : {}),
        },
        pin,
        consoleOrigin,
        (error, socket) => (error ? callback(error, null) : callback(null, socket as TLSSocket)),
      ),
  });
}
