// The console's commands as the agent applies them: each once (a command delivered again after a
// reconnect is answered with its first result), a stale one refused, a failing one answered. The
// console's settings for the agent (the fleet's settings, the farm account, the machine's name) are
// applied as they come.
import {
  type CommandMessage,
  type CommandResult,
  CommandResultSchema,
  type ConsoleToAgent,
  ControlCommandSchema,
} from '@flock/protocol';
import type { LinkedAgent, LinkLogger } from './linked-agent';

/** The console's messages that set something on the agent: no acknowledgement, no id. */
export type ConsoleSettingsMessage = Extract<
  ConsoleToAgent,
  { type: 'fleet-settings' | 'farm-account' | 'farm-account-withheld' | 'machine-name' }
>;

/** When a command arrives: the console's clock as the agent estimates it, and the age it accepts. */
export interface CommandClock {
  consoleNow: number;
  maxAgeMs: number;
}

export class CommandInbox {
  private readonly recent: RecentCommands;

  constructor(
    private readonly agent: LinkedAgent,
    private readonly log: LinkLogger,
    rememberedCommands: number,
  ) {
    this.recent = new RecentCommands(rememberedCommands);
  }

  /**
   * Applies `message` unless it was seen before; resolves with the result to acknowledge, or
   * undefined when the same command is still running (its first delivery answers). `clock` is
   * undefined before the console's welcome: no command is applied then.
   */
  async receive(
    message: CommandMessage,
    clock: CommandClock | undefined,
  ): Promise<CommandResult | undefined> {
    if (this.recent.has(message.id)) return this.recent.result(message.id);
    this.recent.begin(message.id);
    const result = await this.apply(message, clock);
    this.recent.finish(message.id, result);
    if (!result.ok) this.log('warn', `console command ${message.command.type} rejected: ${result.message}`);
    return result;
  }

  /**
   * The fleet's settings, the farm account the console sends (or the reason it withholds it), or the
   * machine's name in the console (its farm hostname from the next login).
   */
  applySettings(message: ConsoleSettingsMessage): void {
    if (message.type === 'fleet-settings') this.agent.applyFleetSettings(message.settings);
    else if (message.type === 'machine-name') this.agent.applyMachineName?.(message.name);
    else if (message.type === 'farm-account')
      this.agent.farmAccountFromConsole?.({ account: message.account });
    else this.agent.farmAccountFromConsole?.({ withheld: message.reason });
  }

  private async apply(message: CommandMessage, clock: CommandClock | undefined): Promise<CommandResult> {
    const ageMs = clock ? clock.consoleNow - message.issuedAt : Number.POSITIVE_INFINITY;
    if (!clock || ageMs > clock.maxAgeMs) {
      const issued = clock ? `issued ${Math.round(ageMs / 1000)} s ago` : 'arrived before the welcome';
      return { ok: false, reason: 'stale', message: issued };
    }
    try {
      const { agent } = this;
      const result = agent.executeFromConsole
        ? agent.executeFromConsole(message.command)
        : agent.execute(message.command);
      return CommandResultSchema.parse(await result);
    } catch (error) {
      return { ok: false, reason: 'failed', message: error instanceof Error ? error.message : String(error) };
    }
  }
}

/**
 * Remembers the last commands by id so a command delivered twice (a console retry after a reconnect)
 * is applied once and answered with the same result. `undefined` result = still running.
 */
class RecentCommands {
  private readonly results = new Map<string, CommandResult | undefined>();

  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.results.has(id);
  }

  result(id: string): CommandResult | undefined {
    return this.results.get(id);
  }

  begin(id: string): void {
    this.set(id, undefined);
  }

  finish(id: string, result: CommandResult): void {
    this.set(id, result);
  }

  private set(id: string, result: CommandResult | undefined): void {
    this.results.delete(id);
    this.results.set(id, result);
    // A Map iterates in insertion order, so the first key is the oldest.
    while (this.results.size > this.capacity) {
      const oldest = this.results.keys().next().value;
      if (oldest === undefined) break;
      this.results.delete(oldest);
    }
  }
}

/** The id of something that looks like a command, so even a malformed one gets a rejection ack. */
export function commandIdOf(raw: string): string | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return undefined;
    const { type, id } = value as { type?: unknown; id?: unknown };
    return type === 'command' && typeof id === 'string' && id.length > 0 && id.length <= 100 ? id : undefined;
  } catch {
    return undefined;
  }
}

const KNOWN_COMMANDS: ReadonlySet<string> = new Set(
  ControlCommandSchema.options.map((option) => option.shape.type.value),
);

/** The type of a command this agent does not know (a newer console's), or undefined. */
export function unknownCommandTypeOf(raw: string): string | undefined {
  try {
    const type = (JSON.parse(raw) as { command?: { type?: unknown } } | null)?.command?.type;
    return typeof type === 'string' && type.length <= 50 && !KNOWN_COMMANDS.has(type) ? type : undefined;
  } catch {
    return undefined;
  }
}
