import type { CommandResult } from '@flock/protocol';
import { ControlCommandSchema } from '@flock/protocol';

/**
 * Remembers the last commands by id so a command delivered twice (a console retry after a reconnect)
 * is applied once and answered with the same result. `undefined` result = still running.
 */
export class RecentCommands {
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
