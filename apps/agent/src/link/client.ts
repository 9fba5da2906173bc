import { randomUUID } from 'node:crypto';
import {
  type AgentState,
  type AgentToConsole,
  type CommandMessage,
  type CommandResult,
  type ConsoleToAgent,
  decodeConsoleMessage,
  diffState,
  encodeMessage,
  isEmptyPatch,
  LINK_MAX_MESSAGE_CHARS,
  LINK_PATH,
  LINK_PROTOCOL_VERSION,
  type LinkCredentials,
  linkAuthorization,
} from '@flock/protocol';
import WebSocket from 'ws';
import { type Clock, systemClock } from '../clock';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff';
import { CommandInbox, commandIdOf, unknownCommandTypeOf } from './command-inbox';
import type { LinkedAgent, LinkLogger } from './linked-agent';
import { Outbox, type OutboxEntry } from './outbox';
import { waitForPairing } from './pairing-wait';
import { CertificateMismatchError, PinnedHttpsAgent } from './pinned-tls';

export type LinkStatus = 'connecting' | 'connected' | 'disconnected' | 'unauthorized' | 'stopped';

export interface LinkClientOptions {
  /** The console's base URL, e.g. http://192.168.1.10:3000 (ws/wss is derived from it). */
  consoleUrl: string;
  machineId: string;
  secret: string;
  /** The console's certificate pin (`pair --fingerprint`): every connection checks it before sending. */
  pin?: LinkCredentials['pin'];
  agent: LinkedAgent;
  agentVersion: string;
  clock?: Clock;
  random?: () => number;
  /** Coalescing window: at most one state patch per this many ms. */
  minPatchIntervalMs?: number;
  /** The most events kept while the console is away (without `outbox`; default 500). */
  maxBufferedEvents?: number;
  /**
   * The unacknowledged events, opened from their journal (`Outbox.open`): its boot is this link's.
   * Without one they are kept in memory only and lost with the process.
   */
  outbox?: Outbox;
  rememberedCommands?: number;
  backoff?: BackoffPolicy;
  welcomeTimeoutMs?: number;
  log?: LinkLogger;
  /**
   * Reads the stored credentials again (those `flock-agent pair` writes). Once the console has refused
   * this machine, the link dials only after this returns other credentials; without it, never again.
   */
  credentialsSource?: () => Promise<LinkCredentials | null>;
  /** How often the stored credentials are read while the machine is removed (default PAIRING_CHECK_MS). */
  pairingCheckMs?: number;
  /** Keeps the console's name for the machine `machineId` for the next start (beside the credentials). */
  rememberMachineName?: (machineId: string, name: string) => Promise<void>;
}

/** Close codes by which the console says this machine is not (or no longer) one of its own. */
const REFUSED_CLOSE_CODES = new Set([4401, 4403]);

type Welcome = Extract<ConsoleToAgent, { type: 'welcome' }>;

/** One WebSocket connection's worth of state; a reconnect starts a fresh one. */
interface Connection {
  socket: WebSocket;
  abort: AbortController;
  welcome?: Welcome;
  /** console clock − agent clock, from the welcome. */
  skewMs: number;
  lastSent?: AgentState;
  lastFlushAt: number;
  flushPending: boolean;
  lastReceivedAt: number;
  stopWatchingChanges?: () => void;
}

export function linkUrl(consoleUrl: string): string {
  const url = new URL(LINK_PATH, consoleUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/**
 * The agent's side of the console link: dials out (so it works through NAT), sends hello + snapshot,
 * then coalesced patches and events; applies console commands once each and its settings as they
 * come; reconnects with jittered back-off and replays unacknowledged events. The agent keeps working
 * whether or not this is connected.
 */
export class LinkClient {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: LinkLogger;
  private readonly outbox: Outbox;
  private readonly commands: CommandInbox;
  private readonly bootId: string;
  private readonly stopping = new AbortController();
  private readonly statusListeners = new Set<(status: LinkStatus) => void>();
  private connection?: Connection;
  private loop?: Promise<void>;
  private currentStatus: LinkStatus = 'disconnected';
  private credentials: LinkCredentials;
  private refusedAt: number | null = null;
  /** The last connection error logged, so a console that keeps failing the same way is logged once. */
  private lastFailure: string | undefined;

  constructor(private readonly options: LinkClientOptions) {
    const { consoleUrl, machineId, secret, pin } = options;
    this.credentials = { consoleUrl, machineId, secret, ...(pin ? { pin } : {}) };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.log = options.log ?? (() => {});
    this.outbox =
      options.outbox ??
      new Outbox({ bootId: randomUUID(), capacity: options.maxBufferedEvents ?? 500, log: this.log });
    this.bootId = this.outbox.bootId;
    this.commands = new CommandInbox(options.agent, this.log, options.rememberedCommands ?? 1000);
  }

  get status(): LinkStatus {
    return this.currentStatus;
  }

  /** The console this link dials (it changes when the machine is paired again). */
  get consoleUrl(): string {
    return this.credentials.consoleUrl;
  }

  /** When the console refused this machine (removed, or its secret unknown); null while it is linked. */
  get removedAt(): number | null {
    return this.refusedAt;
  }

  /** Events waiting for the console's acknowledgement (buffered while it is away). */
  get pendingEvents(): number {
    return this.outbox.pending().length;
  }

  get droppedEvents(): number {
    return this.outbox.dropped;
  }

  onStatus(listener: (status: LinkStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.connection?.socket.close(1000, 'agent stopping');
    await this.loop;
    await this.outbox.flushed();
  }

  private setStatus(status: LinkStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    for (const listener of this.statusListeners) listener(status);
  }

  private async run(): Promise<void> {
    const stopWatchingEvents = this.options.agent.onEvent((event) => this.queueEvent(event));
    const policy = this.options.backoff ?? DEFAULT_BACKOFF;
    let attempt = 0;
    try {
      while (!this.stopping.signal.aborted) {
        const outcome = await this.connectOnce();
        if (this.stopping.signal.aborted) break;
        if (outcome === 'unauthorized') {
          if (!(await this.awaitNewPairing())) break;
          attempt = 0;
          continue;
        }
        attempt = outcome === 'welcomed' ? 0 : attempt + 1;
        this.setStatus('disconnected');
        const delay = backoffDelay(attempt, policy, this.random);
        this.log('info', `console link: reconnecting in ${(delay / 1000).toFixed(1)} s`);
        try {
          await this.clock.sleep(delay, this.stopping.signal);
        } catch {
          break;
        }
      }
    } finally {
      stopWatchingEvents();
      this.setStatus('stopped');
    }
  }

  /**
   * The console refused this machine: dialling it again with the same secret can only fail, so the
   * link stays down (the agent keeps rendering) until `pair` stores other credentials. False when the
   * link was stopped first.
   */
  private async awaitNewPairing(): Promise<boolean> {
    const refused = this.credentials;
    this.refusedAt = this.clock.now();
    this.setStatus('unauthorized');
    this.log(
      'error',
      `console link: this machine was removed from the console (${refused.consoleUrl} refused its secret); it keeps rendering on its own. Run \`flock-agent pair ${refused.consoleUrl} <code>\` with a code from "Add machine" to link it again.`,
    );
    const stored = await waitForPairing({
      ...(this.options.credentialsSource ? { source: this.options.credentialsSource } : {}),
      refused,
      ...(this.options.pairingCheckMs ? { checkMs: this.options.pairingCheckMs } : {}),
      clock: this.clock,
      signal: this.stopping.signal,
    });
    if (!stored) return false;
    this.credentials = stored;
    this.refusedAt = null;
    this.log('info', `console link: paired again, linking to ${stored.consoleUrl}`);
    return true;
  }

  private connectOnce(): Promise<'welcomed' | 'failed' | 'unauthorized'> {
    const { machineId, secret, consoleUrl, pin } = this.credentials;
    this.setStatus('connecting');
    return new Promise((resolve) => {
      const socket = new WebSocket(linkUrl(consoleUrl), {
        headers: { authorization: linkAuthorization(machineId, secret) },
        maxPayload: LINK_MAX_MESSAGE_CHARS * 4,
        handshakeTimeout: this.options.welcomeTimeoutMs ?? 10_000,
        ...(pin ? { agent: new PinnedHttpsAgent(pin, new URL(consoleUrl).origin) } : {}),
      });
      const connection: Connection = {
        socket,
        abort: new AbortController(),
        skewMs: 0,
        lastFlushAt: 0,
        flushPending: false,
        lastReceivedAt: this.clock.now(),
      };
      this.connection = connection;
      let unauthorized = false;
      socket.on('open', () => this.onOpen(connection));
      socket.on('message', (data, isBinary) => {
        connection.lastReceivedAt = this.clock.now();
        if (!isBinary) this.handle(connection, data.toString());
      });
      socket.on('error', (error) => {
        unauthorized ||= /Unexpected server response: 401/.test(error.message);
        if (error.message === this.lastFailure) return;
        this.lastFailure = error.message;
        const level = unauthorized || error instanceof CertificateMismatchError ? 'error' : 'warn';
        this.log(level, `console link: ${error.message}`);
      });
      socket.on('close', (code, reason) => {
        connection.abort.abort();
        connection.stopWatchingChanges?.();
        if (this.connection === connection) this.connection = undefined;
        unauthorized ||= REFUSED_CLOSE_CODES.has(code);
        if (connection.welcome) this.log('warn', `console link closed (${code} ${reason.toString()})`.trim());
        resolve(unauthorized ? 'unauthorized' : connection.welcome ? 'welcomed' : 'failed');
      });
    });
  }

  private onOpen(connection: Connection): void {
    const { agent, agentVersion } = this.options;
    const { machineId } = this.credentials;
    this.send(connection, {
      type: 'hello',
      protocol: LINK_PROTOCOL_VERSION,
      machineId,
      agentVersion,
      bootId: this.bootId,
      machine: agent.state().machine,
      ...(agent.hwid ? { hwid: agent.hwid } : {}),
    });
    this.clock
      .sleep(this.options.welcomeTimeoutMs ?? 10_000, connection.abort.signal)
      .then(() => {
        if (connection.welcome) return;
        this.log('warn', 'console link: no welcome in time');
        connection.socket.terminate();
      })
      .catch(() => {});
  }

  private handle(connection: Connection, raw: string): void {
    const decoded = decodeConsoleMessage(raw);
    if (!decoded.ok) {
      const commandId = commandIdOf(raw);
      this.log('warn', `console link: malformed message (${decoded.reason})`);
      const unknown = unknownCommandTypeOf(raw);
      if (commandId && unknown)
        this.ack(connection, commandId, {
          ok: false,
          reason: 'unsupported',
          message: `this agent does not know the command "${unknown}": update it`,
        });
      else if (commandId)
        this.ack(connection, commandId, { ok: false, reason: 'malformed', message: decoded.reason });
      return;
    }
    const message = decoded.message;
    switch (message.type) {
      case 'welcome':
        this.onWelcome(connection, message);
        break;
      case 'command':
        void this.onCommand(message);
        break;
      case 'request-logs':
        this.send(connection, {
          type: 'logs',
          requestId: message.requestId,
          lines: this.options.agent.logs({ limit: message.limit, search: message.search }),
        });
        break;
      case 'events-ack':
        this.outbox.acknowledge(message.bootId, message.seq);
        break;
      case 'heartbeat':
        break;
      case 'machine-name':
        this.commands.applySettings(message);
        void this.options.rememberMachineName?.(this.credentials.machineId, message.name);
        break;
      case 'fleet-settings':
      case 'farm-account':
      case 'farm-account-withheld':
        this.commands.applySettings(message);
        break;
    }
  }

  private onWelcome(connection: Connection, welcome: Welcome): void {
    if (welcome.protocol !== LINK_PROTOCOL_VERSION) {
      this.log(
        'error',
        `console speaks link protocol ${welcome.protocol}, this agent ${LINK_PROTOCOL_VERSION}`,
      );
      connection.socket.close(4400, 'protocol version mismatch');
      return;
    }
    connection.welcome = welcome;
    this.lastFailure = undefined;
    connection.skewMs = welcome.serverTime - this.clock.now();
    this.setStatus('connected');
    this.log('info', 'console link: connected');
    const state = this.options.agent.state();
    connection.lastSent = state;
    this.send(connection, { type: 'snapshot', at: this.clock.now(), state });
    for (const entry of this.outbox.pending()) this.sendEvent(connection, entry);
    connection.stopWatchingChanges = this.options.agent.onChange(() => this.scheduleFlush(connection));
    void this.heartbeat(connection, welcome.heartbeatMs);
  }

  private scheduleFlush(connection: Connection): void {
    if (connection.flushPending || connection.abort.signal.aborted) return;
    connection.flushPending = true;
    const wait = connection.lastFlushAt + (this.options.minPatchIntervalMs ?? 250) - this.clock.now();
    const flush = () => {
      connection.flushPending = false;
      this.flush(connection);
    };
    // A burst of synchronous changes still becomes one patch when no wait is due.
    if (wait <= 0) setImmediate(flush);
    else this.clock.sleep(wait, connection.abort.signal).then(flush, () => {});
  }

  private flush(connection: Connection): void {
    if (!connection.lastSent || connection.abort.signal.aborted) return;
    const state = this.options.agent.state();
    const changes = diffState(connection.lastSent, state);
    connection.lastFlushAt = this.clock.now();
    if (isEmptyPatch(changes)) return;
    connection.lastSent = state;
    this.send(connection, { type: 'patch', at: connection.lastFlushAt, changes });
  }

  private async heartbeat(connection: Connection, intervalMs: number): Promise<void> {
    const signal = connection.abort.signal;
    while (!signal.aborted) {
      try {
        await this.clock.sleep(intervalMs, signal);
      } catch {
        return;
      }
      if (this.clock.now() - connection.lastReceivedAt > 3 * intervalMs) {
        this.log('warn', 'console link: console silent for 3 heartbeats, reconnecting');
        connection.socket.terminate();
        return;
      }
      this.send(connection, { type: 'heartbeat', at: this.clock.now() });
    }
  }

  private async onCommand(message: CommandMessage): Promise<void> {
    const connection = this.connection;
    const welcome = connection?.welcome;
    const clock = welcome && {
      consoleNow: this.clock.now() + connection.skewMs,
      maxAgeMs: welcome.commandMaxAgeMs,
    };
    const result = await this.commands.receive(message, clock);
    // The connection the command came on may be gone; the console re-sends unacknowledged commands.
    if (result && this.connection) this.ack(this.connection, message.id, result);
  }

  private ack(connection: Connection, commandId: string, result: CommandResult): void {
    this.send(connection, { type: 'ack', commandId, result });
  }

  private queueEvent(event: Parameters<Outbox['add']>[0]): void {
    const droppedBefore = this.outbox.dropped;
    const entry = this.outbox.add(event, this.clock.now());
    if (this.outbox.dropped > droppedBefore)
      this.log('warn', 'console link: event buffer full, oldest dropped');
    const connection = this.connection;
    if (connection?.welcome) this.sendEvent(connection, entry);
  }

  /** An event of an earlier boot (kept on disk across a restart) names its boot; this boot's need not. */
  private sendEvent(connection: Connection, entry: OutboxEntry): void {
    const { bootId, seq, at, event } = entry;
    this.send(connection, { type: 'event', seq, at, event, ...(bootId === this.bootId ? {} : { bootId }) });
  }

  private send(connection: Connection, message: AgentToConsole): void {
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.send(encodeMessage(message));
  }
}
