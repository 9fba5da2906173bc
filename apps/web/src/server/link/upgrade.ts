import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { LINK_MAX_MESSAGE_CHARS, parseLinkAuthorization } from '@flock/protocol';
import { WebSocketServer } from 'ws';
import { isSameOrigin } from '../auth/cookies';
import { tokenMatches } from '../auth/tokens';
import type { ConsoleRepo } from '../db/repo';
import { log } from '../log';
import { type ConsoleTransport, linkIsPrivate } from '../tls/transport';
import type { LinkHub } from './hub';

function refuse(socket: Duplex, status: 401 | 403, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * Authenticates an agent's WebSocket upgrade before accepting it: refuses a browser origin other than
 * the console's own, a missing or wrong secret, and revoked machines.
 */
export function createLinkUpgrade(
  repo: ConsoleRepo,
  hub: LinkHub,
  allowedOrigins: readonly string[],
  transport: ConsoleTransport,
) {
  // ws refuses (and closes on) a frame over maxPayload before buffering it: at most 4 UTF-8 bytes per
  // character of the largest message the link allows.
  const wss = new WebSocketServer({ noServer: true, maxPayload: LINK_MAX_MESSAGE_CHARS * 4 });
  return async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => socket.destroy());
    if (!isSameOrigin(req, allowedOrigins)) {
      log('warn', `link: refused upgrade from origin ${req.headers.origin}`);
      return refuse(socket, 403, 'Forbidden');
    }
    const credentials = parseLinkAuthorization(req.headers.authorization);
    const machine = credentials && (await repo.getMachine(credentials.machineId));
    if (!credentials || !machine?.secretHash || machine.revokedAt !== null) {
      return refuse(socket, 401, 'Unauthorized');
    }
    if (!tokenMatches(credentials.secret, machine.secretHash)) {
      log('warn', `link: wrong secret for machine ${machine.id}`);
      return refuse(socket, 401, 'Unauthorized');
    }
    const privateLink = linkIsPrivate(transport, req.socket);
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws, machine.id, { privateLink }));
  };
}
