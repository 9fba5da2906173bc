import type { AddressInfo } from 'node:net';
import {
  type AgentToConsole,
  type ConsoleToAgent,
  decodeAgentMessage,
  encodeMessage,
  LINK_PROTOCOL_VERSION,
} from '@flock/protocol';
import { type WebSocket, WebSocketServer } from 'ws';

/** A minimal console for the link client's tests: records what agents send, sends what a test asks. */
export class FakeConsole {
  readonly received: AgentToConsole[] = [];
  readonly authorizations: (string | undefined)[] = [];
  private readonly wss: WebSocketServer;
  private socket?: WebSocket;
  refuseWith?: number;
  /** Every upgrade attempt, accepted or refused. */
  attempts = 0;

  constructor(
    private readonly serverTime: () => number,
    readonly welcome = { heartbeatMs: 5_000, commandMaxAgeMs: 60_000 },
  ) {
    this.wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      verifyClient: (_info, done) => {
        this.attempts++;
        if (this.refuseWith) done(false, this.refuseWith);
        else done(true);
      },
    });
    this.wss.on('connection', (socket, request) => {
      this.socket = socket;
      this.authorizations.push(request.headers.authorization);
      socket.on('message', (data) => this.onMessage(socket, data.toString()));
    });
  }

  listening(): Promise<void> {
    return new Promise((resolve) => (this.wss.address() ? resolve() : this.wss.once('listening', resolve)));
  }

  get url(): string {
    return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  get connections(): number {
    return this.authorizations.length;
  }

  ofType<T extends AgentToConsole['type']>(type: T): Extract<AgentToConsole, { type: T }>[] {
    return this.received.filter((m): m is Extract<AgentToConsole, { type: T }> => m.type === type);
  }

  send(message: ConsoleToAgent | string): void {
    this.socket?.send(typeof message === 'string' ? message : encodeMessage(message));
  }

  dropConnection(): void {
    this.socket?.terminate();
  }

  /** Closes the live socket with a WebSocket close code, e.g. 4403 when a machine is removed. */
  closeWith(code: number, reason: string): void {
    this.socket?.close(code, reason);
  }

  close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }

  private onMessage(socket: WebSocket, raw: string): void {
    const decoded = decodeAgentMessage(raw);
    if (!decoded.ok) throw new Error(`agent sent a malformed message: ${decoded.reason}`);
    this.received.push(decoded.message);
    if (decoded.message.type === 'hello') {
      socket.send(
        encodeMessage({
          type: 'welcome',
          protocol: LINK_PROTOCOL_VERSION,
          machineId: decoded.message.machineId,
          serverTime: this.serverTime(),
          ...this.welcome,
        }),
      );
    }
  }
}
