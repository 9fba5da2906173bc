import { randomUUID } from 'node:crypto';
import {
  type AgentEvent,
  type AgentState,
  type AgentToConsole,
  applyPatch,
  type CommandResult,
  type ConsoleToAgent,
  type ControlCommand,
  decodeAgentMessage,
  encodeMessage,
  type FarmAccount,
  type FleetSettings,
  LINK_PROTOCOL_VERSION,
  type LimitName,
  type Limits,
  type LogLine,
  withoutLatePhases,
} from '@flock/protocol';
import { WebSocket } from 'ws';
import type { ConsoleRepo } from '../db/repo';
import { log } from '../log';
import { ruleChanges } from '../profiles/diff';
import { withFailedJobNamed } from './failed-job-names';
import type { Fleet } from './fleet';
import type { IdleSpans } from './idle-spans';
import { farmHostname, nameOnHello } from './machine-names';
import { TokenBuckets } from './token-buckets';

export interface HubOptions {
  heartbeatMs: number;
  commandMaxAgeMs: number;
  /** How long a mutation waits for an agent's ack before answering "sent". */
  ackWaitMs: number;
  now: () => number;
  /** The fleet-wide settings, sent to each agent after `welcome` and again whenever they change. */
  fleetSettings: () => FleetSettings;
  /** The farm account a machine should use (its own or the fleet's), sent over private links only. */
  farmAccount?: (machineId: string) => FarmAccount | null;
  /** Records when each machine was idle and why, for its timeline. */
  idleSpans?: IdleSpans;
}

/**
 * What became of a command: the agent's answer; sent but not answered in time; `queued`: limits or
 * rules for a machine that is away, applied when it reconnects; `offline`: any other command for one (sent if
 * it reconnects within `commandMaxAgeMs`).
 */
export type CommandOutcome =
  | { machineId: string; commandId: string; status: 'acked'; result: CommandResult }
  | { machineId: string; commandId: string; status: 'sent' | 'queued' | 'offline' };

interface Connection {
  machineId: string;
  socket: WebSocket;
  bootId?: string;
  lastSeenAt: number;
  /** Messages of one connection are handled strictly in order (events are acknowledged cumulatively). */
  queue: Promise<void>;
  /** TLS, or a loopback connection to a loopback console: the farm account may be sent on it. */
  privateLink: boolean;
}

/** Thumbnails one machine may send: a burst of 20, then one every 3 s; frames beyond go without. */
const THUMBNAIL_BURST = 20;
const THUMBNAIL_REFILL_MS = 3_000;

/** Commands that become the machine's desired config, applied again whenever it reconnects. */
const REAPPLIED_COMMANDS = new Set<ControlCommand['type']>(['set-limits', 'set-rules']);

/** Commands agents older than them do not know: they answer "malformed". */
const LIFECYCLE_COMMANDS = new Set<ControlCommand['type']>(['start', 'restart', 'update']);

/** An older agent's "malformed" for a command it does not know, in words that say what to do. */
function withOlderAgentsExplained(command: ControlCommand, outcome: CommandOutcome): CommandOutcome {
  if (outcome.status !== 'acked' || outcome.result.ok || outcome.result.reason !== 'malformed')
    return outcome;
  if (!LIFECYCLE_COMMANDS.has(command.type)) return outcome;
  const message = `this agent is older than ${command.type} from the console: install it again with the command from "Add machine"`;
  return { ...outcome, result: { ok: false, reason: 'unsupported', message } };
}

/** Close codes the agent understands (after 4403 it stops dialling until it is paired again). */
export const CLOSE = { protocol: 4400, revoked: 4403, replaced: 4000 } as const;

/**
 * The console's side of the agent link: one authenticated WebSocket per machine, state snapshots and
 * patches into the Fleet, events into the database (once each), commands out with acks back.
 */
export class LinkHub {
  private readonly connections = new Map<string, Connection>();
  private readonly thumbnailBudget: TokenBuckets;
  /** Machines whose thumbnails are being dropped (logged once per streak). */
  private readonly overThumbnailBudget = new Set<string>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly fleet: Fleet,
    private readonly repo: ConsoleRepo,
    private readonly options: HubOptions,
  ) {
    this.thumbnailBudget = new TokenBuckets(THUMBNAIL_BURST, THUMBNAIL_REFILL_MS, options.now);
    const every = Math.max(50, Math.min(1000, options.heartbeatMs / 2));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
    fleet.bus.on('fleetSettings', this.broadcastFleetSettings);
    fleet.bus.on('farmAccount', this.farmAccountChanged);
  }

  /** A machine's account changed (null: the fleet's, for every machine). */
  private readonly farmAccountChanged = (machineId: string | null): void => {
    for (const connection of this.connections.values())
      if (connection.bootId && (machineId === null || connection.machineId === machineId))
        this.sendFarmAccount(connection);
  };

  /**
   * The account goes only over a private link (TLS, or loopback to a loopback console); over another
   * the agent is told it was withheld, so it can say why it waits. "None" carries no secret.
   */
  private sendFarmAccount(connection: Connection): void {
    const account = this.options.farmAccount?.(connection.machineId) ?? null;
    if (account && !connection.privateLink) {
      this.send(connection, { type: 'farm-account-withheld', reason: 'plain-link' });
      log('warn', `link ${connection.machineId}: farm account not sent over a plain link`);
      return;
    }
    this.send(connection, { type: 'farm-account', account });
  }

  /** Every connected agent gets the fleet-wide settings, whole. */
  private readonly broadcastFleetSettings = (): void => {
    const settings = this.options.fleetSettings();
    for (const connection of this.connections.values())
      if (connection.bootId) this.send(connection, { type: 'fleet-settings', settings });
  };

  get onlineCount(): number {
    return this.connections.size;
  }

  /** Takes over a socket whose upgrade was already authenticated as `machineId`. */
  attach(socket: WebSocket, machineId: string, { privateLink }: { privateLink: boolean }): void {
    if (this.closed) return void socket.terminate();
    const connection: Connection = {
      machineId,
      socket,
      lastSeenAt: this.options.now(),
      queue: Promise.resolve(),
      privateLink,
    };
    socket.on('message', (data, isBinary) => {
      connection.lastSeenAt = this.options.now();
      if (isBinary) return;
      const raw = data.toString();
      connection.queue = connection.queue
        .then(() => this.handle(connection, raw))
        .catch((error: Error) => log('error', `link ${machineId}: ${error.message}`));
    });
    socket.on('close', () => this.onClose(connection));
    socket.on('error', (error) => log('warn', `link ${machineId}: ${error.message}`));
    const helloTimer = setTimeout(() => {
      if (!connection.bootId) socket.close(CLOSE.protocol, 'no hello');
    }, 10_000);
    helloTimer.unref();
  }

  /** The machine was renamed: its agent sends the farm that name from its next login. */
  sendMachineName(machineId: string, name: string): void {
    const connection = this.connections.get(machineId);
    const hostname = farmHostname(name);
    if (connection?.bootId && hostname) this.send(connection, { type: 'machine-name', name: hostname });
  }

  /** Revocation: closes the machine's live socket now. */
  drop(machineId: string, code: number, reason: string): void {
    const connection = this.connections.get(machineId);
    if (!connection) return;
    connection.socket.close(code, reason);
    // Do not wait for the agent to finish the closing handshake.
    setTimeout(() => connection.socket.terminate(), 1000).unref();
    this.onClose(connection);
  }

  async command(machineId: string, command: ControlCommand): Promise<CommandOutcome> {
    const commandId = randomUUID();
    const issuedAt = this.options.now();
    await this.repo.insertCommand(commandId, machineId, issuedAt, command);
    const outcome = withOlderAgentsExplained(
      command,
      await this.deliver(machineId, commandId, issuedAt, command),
    );
    // Limits and rules become the machine's desired config unless the agent refused them (re-sending
    // those on every reconnect would only be refused again).
    const refused = outcome.status === 'acked' && !outcome.result.ok;
    if (command.type === 'set-limits' && !refused)
      await this.repo.mergeDesiredLimits(machineId, command.limits, issuedAt);
    if (command.type === 'set-rules' && !refused)
      await this.repo.setDesiredRules(machineId, command.rules, issuedAt);
    return outcome;
  }

  private async deliver(
    machineId: string,
    commandId: string,
    issuedAt: number,
    command: ControlCommand,
  ): Promise<CommandOutcome> {
    const connection = this.connections.get(machineId);
    if (!connection?.bootId)
      return { machineId, commandId, status: REAPPLIED_COMMANDS.has(command.type) ? 'queued' : 'offline' };
    const acked = this.waitFor('ack', machineId, (id, result) => (id === commandId ? result : undefined));
    this.send(connection, { type: 'command', id: commandId, issuedAt, command });
    const result = await acked;
    return result
      ? { machineId, commandId, status: 'acked', result }
      : { machineId, commandId, status: 'sent' };
  }

  async requestLogs(machineId: string, limit: number, search?: string): Promise<LogLine[] | null> {
    const connection = this.connections.get(machineId);
    if (!connection?.bootId) return null;
    const requestId = randomUUID();
    const lines = this.waitFor('logs', machineId, (id, got) => (id === requestId ? got : undefined));
    this.send(connection, { type: 'request-logs', requestId, limit, ...(search ? { search } : {}) });
    return (await lines) ?? null;
  }

  /** Drops every agent at shutdown; their state stays as last persisted by the Fleet. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    this.fleet.bus.off('fleetSettings', this.broadcastFleetSettings);
    this.fleet.bus.off('farmAccount', this.farmAccountChanged);
    for (const connection of this.connections.values()) connection.socket.terminate();
    this.connections.clear();
  }

  private waitFor<E extends 'ack' | 'logs', T>(
    event: E,
    machineId: string,
    pick: (id: string, value: E extends 'ack' ? CommandResult : LogLine[]) => T | undefined,
  ): Promise<T | undefined> {
    return new Promise((resolve) => {
      const listener = (id: string, key: string, value: never) => {
        if (id !== machineId) return;
        const picked = pick(key, value);
        if (picked !== undefined) finish(picked);
      };
      const timer = setTimeout(() => finish(undefined), this.options.ackWaitMs);
      const finish = (value: T | undefined) => {
        clearTimeout(timer);
        this.fleet.bus.off(event, listener as never);
        resolve(value);
      };
      this.fleet.bus.on(event, listener as never);
    });
  }

  private async handle(connection: Connection, raw: string): Promise<void> {
    if (this.closed) return;
    const decoded = decodeAgentMessage(raw);
    if (!decoded.ok) {
      log('warn', `link ${connection.machineId}: malformed message dropped (${decoded.reason})`);
      return;
    }
    const message = decoded.message;
    if (message.type === 'hello') return this.onHello(connection, message);
    if (!connection.bootId) {
      connection.socket.close(CLOSE.protocol, 'hello first');
      return;
    }
    await this.onMessage(connection, message);
  }

  private async onMessage(connection: Connection, message: AgentToConsole): Promise<void> {
    const { machineId } = connection;
    switch (message.type) {
      case 'snapshot':
        this.fleet.stateChanged(machineId, message.state, message.at);
        await this.options.idleSpans?.stateSeen(machineId, message.state, message.at);
        await this.applyDesiredConfig(machineId, message.state);
        break;
      case 'patch': {
        const state = this.fleet.record(machineId)?.state;
        if (!state) break;
        const next = applyPatch(state, message.changes);
        this.fleet.stateChanged(machineId, next, message.at);
        await this.options.idleSpans?.stateSeen(machineId, next, message.at);
        break;
      }
      case 'event': {
        this.options.idleSpans?.heard(machineId, message.at);
        const event = withFailedJobNamed(
          withoutLatePhases(this.withinThumbnailBudget(machineId, message.event), message.at),
          this.fleet.record(machineId)?.state,
        );
        if (event !== message.event && 'phases' in message.event && !('phases' in event))
          log(
            'warn',
            `link ${machineId}: job phases ending after their event was sent dropped (clock set back?)`,
          );
        // Stored under the boot that created it: one replayed after a restart is stored once.
        const bootId = message.bootId ?? connection.bootId ?? '';
        if (await this.repo.insertEvent(machineId, bootId, message.seq, message.at, event)) {
          if (event.kind === 'frame-done' || event.kind === 'frame-credits')
            this.fleet.frameStored(machineId);
          this.fleet.bus.emit('agentEvent', machineId, event, message.at);
        }
        this.send(connection, { type: 'events-ack', bootId, seq: message.seq });
        break;
      }
      case 'ack':
        await this.repo.ackCommand(message.commandId, machineId, message.result, this.options.now());
        this.fleet.bus.emit('ack', machineId, message.commandId, message.result);
        break;
      case 'logs':
        this.fleet.bus.emit('logs', machineId, message.requestId, message.lines);
        break;
      case 'heartbeat':
        this.fleet.seen(machineId);
        this.options.idleSpans?.heard(machineId, message.at);
        this.send(connection, { type: 'heartbeat', at: this.options.now() });
        break;
    }
  }

  private async onHello(
    connection: Connection,
    hello: Extract<AgentToConsole, { type: 'hello' }>,
  ): Promise<void> {
    const { machineId, socket } = connection;
    if (hello.protocol !== LINK_PROTOCOL_VERSION) {
      socket.close(CLOSE.protocol, `link protocol ${LINK_PROTOCOL_VERSION} required`);
      return;
    }
    if (hello.machineId !== machineId || !this.fleet.has(machineId)) {
      socket.close(CLOSE.revoked, 'not this machine');
      return;
    }
    const previous = this.connections.get(machineId);
    if (previous && previous !== connection) {
      this.connections.delete(machineId);
      previous.socket.close(CLOSE.replaced, 'replaced by a newer connection');
    }
    connection.bootId = hello.bootId;
    this.connections.set(machineId, connection);
    const { heartbeatMs, commandMaxAgeMs, now } = this.options;
    this.send(connection, {
      type: 'welcome',
      protocol: LINK_PROTOCOL_VERSION,
      machineId,
      serverTime: now(),
      heartbeatMs,
      commandMaxAgeMs,
    });
    this.send(connection, { type: 'fleet-settings', settings: this.options.fleetSettings() });
    const name = await nameOnHello(this.repo, this.fleet, machineId, hello);
    if (name) this.send(connection, { type: 'machine-name', name });
    this.sendFarmAccount(connection);
    this.fleet.connected(machineId, hello);
    log('info', `link ${machineId}: connected (${hello.machine.hostname}, agent ${hello.agentVersion})`);
    // Commands issued while the link was down (or whose ack was lost) go again; the agent dedupes by id.
    for (const pending of await this.repo.unackedCommands(machineId, now() - commandMaxAgeMs)) {
      this.send(connection, {
        type: 'command',
        id: pending.id,
        issuedAt: pending.issuedAt,
        command: pending.command,
      });
    }
  }

  /** The event, without its thumbnail when the machine sent more than its budget allows. */
  private withinThumbnailBudget(machineId: string, event: AgentEvent): AgentEvent {
    if (event.kind !== 'frame-done' || !event.thumbnail) return event;
    if (this.thumbnailBudget.take(machineId)) {
      this.overThumbnailBudget.delete(machineId);
      return event;
    }
    if (!this.overThumbnailBudget.has(machineId)) {
      this.overThumbnailBudget.add(machineId);
      log(
        'warn',
        `link ${machineId}: more thumbnails than ${THUMBNAIL_BURST} at once or one per ${THUMBNAIL_REFILL_MS / 1000} s; frames are stored without them`,
      );
    }
    return { ...event, thumbnail: null };
  }

  /**
   * Re-applies the limits and rules set from the console when the agent reports different ones, except
   * the limits its owner set on the machine (those stay as the owner set them). Rules go only to an
   * agent that reports rules (an older one would refuse them).
   */
  private async applyDesiredConfig(machineId: string, state: AgentState): Promise<void> {
    const desired = await this.repo.getDesiredLimits(machineId);
    const ownerLimits = new Set(state.ownerLimits ?? []);
    const differing = Object.fromEntries(
      Object.entries(desired ?? {}).filter(
        ([key, value]) => !ownerLimits.has(key as LimitName) && state.limits[key as LimitName] !== value,
      ),
    ) as Partial<Limits>;
    if (Object.keys(differing).length > 0)
      void this.command(machineId, { type: 'set-limits', limits: differing });
    const rules = await this.repo.getDesiredRules(machineId);
    if (rules && state.rules && ruleChanges(state.rules.console, rules).length > 0)
      void this.command(machineId, { type: 'set-rules', rules });
  }

  private onClose(connection: Connection): void {
    if (this.connections.get(connection.machineId) !== connection) return;
    this.connections.delete(connection.machineId);
    this.fleet.disconnected(connection.machineId);
    void this.options.idleSpans?.linkDown(connection.machineId);
    log('info', `link ${connection.machineId}: disconnected`);
  }

  /** Offline detection: a machine silent for three heartbeats is dropped and shown offline. */
  private sweep(): void {
    const deadline = this.options.now() - 3 * this.options.heartbeatMs;
    for (const connection of [...this.connections.values()]) {
      if (connection.lastSeenAt >= deadline) continue;
      log('warn', `link ${connection.machineId}: no heartbeat, marking offline`);
      connection.socket.terminate();
      this.onClose(connection);
    }
  }

  private send(connection: Connection, message: ConsoleToAgent): void {
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.send(encodeMessage(message));
  }
}
