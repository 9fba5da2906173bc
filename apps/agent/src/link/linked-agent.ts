import type {
  AgentEvent,
  AgentState,
  CommandResult,
  ControlCommand,
  FarmAccount,
  FarmAccountWithheldReason,
  FleetSettings,
  LogLine,
} from '@flock/protocol';

/**
 * What the link needs from the agent. The agent loop satisfies it; tests and the console bench use a
 * scripted one. Everything here is local and synchronous except `execute`.
 */
export interface LinkedAgent {
  /** The full current state (a fresh object or an immutable one: the link keeps it to diff against). */
  state(): AgentState;
  /** Called after any state change; the link coalesces, so calling it often is fine. */
  onChange(listener: () => void): () => void;
  /** Frame done, errors: each is buffered while the console is away and replayed on return. */
  onEvent(listener: (event: AgentEvent) => void): () => void;
  /** Applies one control command through the agent's internal command API. */
  execute(command: ControlCommand): Promise<CommandResult>;
  /**
   * Applies a command from the console when it means something else there than on the machine
   * (its Stop waits for Start instead of ending the process); without it, `execute`.
   */
  executeFromConsole?(command: ControlCommand): Promise<CommandResult>;
  /** Recent log lines, newest last, optionally only those containing `search`. */
  logs(query: { limit: number; search?: string }): LogLine[];
  /** Told when the link's console changes or the console removes this machine (or links it again). */
  consoleLinkChanged?(link: ConsoleLinkInfo): void;
  /** The console's fleet-wide settings, whole, after each connect and on every change. */
  applyFleetSettings(settings: FleetSettings): void;
  /** Told once when a console link starts for it (before it connects). */
  linkStarted?(): void;
  /** The machine's name in the console: what it sends the farm as its hostname from the next login. */
  applyMachineName?(name: string): void;
  /** The pseudonymous hardware id (the farm's `hwid`): how the console knows the machine paired again. */
  readonly hwid?: string;
  /** The console's farm account for this machine (null: it holds none), or why it was withheld. */
  farmAccountFromConsole?(update: FarmAccountUpdate): void;
}

/** What the console says about the farm account, after each connect and on every change. */
export type FarmAccountUpdate = { account: FarmAccount | null } | { withheld: FarmAccountWithheldReason };

/** What the agent shows about its console link (status line, `flock-agent status`). */
export interface ConsoleLinkInfo {
  /** The console this machine is paired with. */
  url: string;
  /** When the console refused this machine (removed); null while it is linked or dialling. */
  removedAt: number | null;
}

export type LinkLogger = (level: 'info' | 'warn' | 'error', message: string) => void;
