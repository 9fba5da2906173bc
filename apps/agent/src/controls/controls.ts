// The one internal command API: the CLI (Ctrl-C), tests and the console link all change the agent
// through `execute`. Controls only record the user's intent and announce it; the farm loop reads
// it at its decision points and the 'stop-job' event stops a running job at once.
import { EventEmitter } from 'node:events';
import {
  type ActiveRule,
  type CommandResult,
  type ControlCommand,
  ControlCommandSchema,
  describeActiveRule,
  type Limits,
  type NotRenderingReason,
  parseSchedule,
  type Rule,
  type RulesEffect,
  type Schedule,
  ScheduleParseError,
  type StopReason,
} from '@flock/protocol';

/**
 * What follows a stop once the frame and its uploads are done and the agent logged out: the process
 * ends (Ctrl-C, `flock-agent stop`), ends asking its supervisor for a restart (exit code 75), or
 * waits, linked, for the console's `start`. The stronger one wins: exit, then restart, then wait.
 */
export type AfterStop = 'exit' | 'restart' | 'wait';
const AFTER_STOP_STRENGTH: Record<AfterStop, number> = { wait: 0, restart: 1, exit: 2 };

/** Commands beyond the console's set that only local callers use. */
export type LocalCommand = { type: 'set-max-frames'; maxFrames: number | null };

export type AgentCommand = ControlCommand | LocalCommand;

interface ControlEvents {
  change: [];
  /** The user stopped the running job: pause now, stop now, or block its project. */
  'stop-job': [StopReason];
}

/** Where blocks live (persisted); Controls only passes the user's undo on. */
export interface ProjectUnblocker {
  unblock(archiveMd5: string): CommandResult;
}

/** Where the owner rules live (the engine and its kept file); Controls passes the console's commands on. */
export interface RulesCommands {
  setConsoleRules(rules: Rule[]): Promise<CommandResult>;
  snooze(minutes: number): Promise<CommandResult>;
}

/** An owner rule that keeps the agent from asking for jobs: why, and whether it also stops the frame. */
export interface RuleHold {
  reason: NotRenderingReason;
  pauseNow: boolean;
}

export interface ControlsInit {
  limits: Limits;
  maxFrames?: number;
  /** GPU ids this machine has; `set-limits` refuses others. */
  gpuIds?: readonly string[];
  /** The cores this machine has; `set-limits` refuses more. */
  machineCores?: number;
  /** The client version this agent sends at login unless the console sets one for the fleet. */
  clientVersion?: string;
  /** The hostname this agent sends the farm at login unless the console names the machine. */
  machineName?: string;
  blocks?: ProjectUnblocker;
  rules?: RulesCommands;
}

export class Controls extends EventEmitter<ControlEvents> {
  private limitsValue: Limits;
  private scheduleValue: Schedule | undefined;
  private maxFramesValue: number | null;
  private pausedValue = false;
  private stopValue: 'after-frame' | 'now' | null = null;
  private afterStopValue: AfterStop | null = null;
  private revisionValue = 0;
  private retriesValue = 0;
  private fleetClientVersion: string | null = null;
  private consoleMachineName: string | null = null;
  private linkedValue = false;
  private readonly ownClientVersion: string;
  private readonly ownMachineName: string;
  private readonly gpuIds: readonly string[] | undefined;
  private readonly machineCores: number | undefined;
  private readonly blocks: ProjectUnblocker | undefined;
  private readonly rules: RulesCommands | undefined;
  private ruleHoldValue: RuleHold | null = null;
  private ruleCoreLimit: number | null = null;

  constructor(init: ControlsInit) {
    super();
    this.limitsValue = init.limits;
    this.scheduleValue = init.limits.requestTime ? parseSchedule(init.limits.requestTime) : undefined;
    this.maxFramesValue = init.maxFrames ?? null;
    this.gpuIds = init.gpuIds;
    this.machineCores = init.machineCores;
    this.ownClientVersion = init.clientVersion ?? '0.0.0';
    this.ownMachineName = init.machineName ?? 'unknown';
    this.blocks = init.blocks;
    this.rules = init.rules;
  }

  /** An owner rule that says "stop requesting" or "pause now" holds; null while none does. */
  get ruleHold(): RuleHold | null {
    return this.ruleHoldValue;
  }

  /**
   * The limits the next job renders with: the user's, with a "limit cores" rule's cores when it allows
   * fewer than the user's (or the machine's) cores.
   */
  get effectiveLimits(): Limits {
    const limit = this.ruleCoreLimit;
    if (limit === null) return this.limitsValue;
    const userCores = this.limitsValue.cores ?? this.machineCores ?? limit;
    return { ...this.limitsValue, cores: Math.min(limit, userCores) };
  }

  /**
   * What the owner rules make the agent do now (the rules engine's outcome). A rule that starts to
   * pause now stops the current frame as the user's "pause now" does; a lifted rule wakes the loop.
   */
  applyRules(effect: RulesEffect, active: readonly ActiveRule[]): void {
    const holding = active.find((rule) => rule.action.type !== 'limit-cores');
    const hold: RuleHold | null =
      effect.requesting || !holding
        ? null
        : {
            reason: {
              code: 'rule',
              message: describeActiveRule(holding).slice(0, 500),
              until: holding.until,
            },
            pauseNow: effect.pauseNow,
          };
    const pausesNow = hold?.pauseNow === true && this.ruleHoldValue?.pauseNow !== true;
    if (
      JSON.stringify(hold) === JSON.stringify(this.ruleHoldValue) &&
      effect.coreLimit === this.ruleCoreLimit
    )
      return;
    this.ruleHoldValue = hold;
    this.ruleCoreLimit = effect.coreLimit;
    this.changed(pausesNow ? 'pause-now' : undefined);
  }

  /** Rises with every "retry now" (and every resume): a wait that sees it change ends at once. */
  get retries(): number {
    return this.retriesValue;
  }

  /** The version to send at the next login: the fleet's, when the console set one, else this agent's. */
  get clientVersion(): string {
    return this.fleetClientVersion ?? this.ownClientVersion;
  }

  /** The hostname to send the farm at the next login: the console's name for the machine, else its own. */
  get machineName(): string {
    return this.consoleMachineName ?? this.ownMachineName;
  }

  /** The console named (or renamed) this machine: its farm hostname from the next login. */
  setMachineName(name: string): void {
    if (name === this.consoleMachineName) return;
    this.consoleMachineName = name;
    this.changed();
  }

  /** True once a console link was started: the console can then change what a refused login lacks. */
  get linkedToConsole(): boolean {
    return this.linkedValue;
  }

  markLinkedToConsole(): void {
    this.linkedValue = true;
  }

  /** The console's fleet-wide client version (null: none); a change wakes a refused login. */
  setFleetClientVersion(version: string | null): void {
    if (version === this.fleetClientVersion) return;
    this.fleetClientVersion = version;
    this.changed();
  }

  /**
   * The farm account changed (or why there is none): a wait for an account, or a back-off of the
   * previous account's session, ends at once and the loop looks again.
   */
  farmAccountChanged(): void {
    this.retriesValue++;
    this.changed();
  }

  get limits(): Limits {
    return this.limitsValue;
  }

  /** The request-time windows; undefined = always open. */
  get schedule(): Schedule | undefined {
    return this.scheduleValue;
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  get stopRequested(): 'after-frame' | 'now' | null {
    return this.stopValue;
  }

  /** What the requested stop leads to; null while no stop is requested. */
  get afterStop(): AfterStop | null {
    return this.stopValue === null ? null : this.afterStopValue;
  }

  /** Stops after the frame (or now), then `then`; a stronger `then` already asked for stays. */
  stop(when: 'after-frame' | 'now', then: AfterStop): void {
    const current = this.afterStop;
    if (current === null || AFTER_STOP_STRENGTH[then] > AFTER_STOP_STRENGTH[current])
      this.afterStopValue = then;
    if (this.stopValue !== 'now') this.stopValue = when;
    this.changed(when === 'now' ? 'stop-now' : undefined);
  }

  /** Renders again after a stop that waits (the console's Stop); false when no such stop is pending. */
  start(): boolean {
    if (this.afterStop !== 'wait') return false;
    this.stopValue = null;
    this.afterStopValue = null;
    this.retriesValue++;
    this.changed();
    return true;
  }

  /** What the user asked to happen once the current frame is done (the state's `afterFrame`). */
  get afterFrame(): 'pause' | 'stop' | null {
    if (this.stopValue === 'after-frame') return 'stop';
    return this.pausedValue ? 'pause' : null;
  }

  /** Rises with every change, so a reader can tell whether it missed one (events are not replayed). */
  get revision(): number {
    return this.revisionValue;
  }

  get maxFrames(): number | null {
    return this.maxFramesValue;
  }

  async execute(input: AgentCommand): Promise<CommandResult> {
    if (input.type === 'set-max-frames') return this.setMaxFrames(input.maxFrames);
    const parsed = ControlCommandSchema.safeParse(input);
    if (!parsed.success) {
      // The first issue, named by its field (`rules.0.when.idleMinutes: Too big…`).
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      return {
        ok: false,
        reason: 'malformed',
        message: `${where}${issue?.message ?? 'invalid'}`.slice(0, 1000),
      };
    }
    const command = parsed.data;
    switch (command.type) {
      case 'pause':
        // "Pause now" still stops a frame that a pause after the frame lets finish.
        if (this.pausedValue && command.when === 'after-frame')
          return { ok: true, unchanged: true, message: 'was already paused' };
        this.pausedValue = true;
        this.changed(command.when === 'now' ? 'pause-now' : undefined);
        return {
          ok: true,
          message: command.when === 'now' ? 'paused now' : 'pausing after the current frame',
        };
      case 'resume':
        if (!this.pausedValue && this.stopValue !== 'after-frame')
          return { ok: true, unchanged: true, message: 'was not paused' };
        this.pausedValue = false;
        if (this.stopValue === 'after-frame') this.stopValue = null; // like the official client's `cancel`
        if (this.stopValue === null) this.afterStopValue = null;
        // A machine waiting out a back-off asks the farm again at once: resuming means "go".
        this.retriesValue++;
        this.changed();
        return { ok: true, message: 'resumed' };
      case 'retry-now':
        this.retriesValue++;
        this.changed();
        return { ok: true, message: 'retrying now' };
      case 'stop':
        this.stop(command.when, 'exit');
        return {
          ok: true,
          message: command.when === 'now' ? 'stopping now' : 'stopping after the current frame',
        };
      case 'start':
        if (this.start()) return { ok: true, message: 'starting: logging in and asking for work' };
        return this.stopValue === null
          ? { ok: true, message: 'already rendering' }
          : { ok: false, reason: 'invalid', message: 'the agent is ending; it cannot be started again' };
      case 'restart':
      case 'update':
        // The console's link applies these (agent/lifecycle); the local channel has no use for them.
        return { ok: false, reason: 'unsupported', message: `${command.type} is a command of the console` };
      case 'block-project':
        this.changed('block-project');
        return { ok: true, message: 'blocking the current project' };
      case 'unblock-project':
        if (!this.blocks) return { ok: false, reason: 'unsupported', message: 'this agent keeps no blocks' };
        return this.blocks.unblock(command.archiveMd5);
      case 'set-limits':
        return this.setLimits(command.limits);
      case 'set-rules':
        if (!this.rules) return { ok: false, reason: 'unsupported', message: 'this agent keeps no rules' };
        return this.rules.setConsoleRules(command.rules);
      case 'snooze-rules':
        if (!this.rules) return { ok: false, reason: 'unsupported', message: 'this agent keeps no rules' };
        return this.rules.snooze(command.minutes);
    }
  }

  private setLimits(patch: Partial<Limits>): CommandResult {
    let schedule = this.scheduleValue;
    if (patch.requestTime !== undefined) {
      try {
        schedule = patch.requestTime === null ? undefined : parseSchedule(patch.requestTime);
      } catch (error) {
        if (error instanceof ScheduleParseError)
          return { ok: false, reason: 'invalid', message: error.message };
        throw error;
      }
    }
    if (patch.cores && this.machineCores && patch.cores > this.machineCores) {
      return {
        ok: false,
        reason: 'invalid',
        message: `${patch.cores} cores asked, this machine has ${this.machineCores}`,
      };
    }
    if (patch.gpu && this.gpuIds && !this.gpuIds.includes(patch.gpu)) {
      return {
        ok: false,
        reason: 'invalid',
        message: `unknown GPU "${patch.gpu}" (${this.gpuIds.join(', ') || 'none'})`,
      };
    }
    this.limitsValue = { ...this.limitsValue, ...patch };
    this.scheduleValue = schedule;
    this.changed();
    return { ok: true, message: `limits changed: ${Object.keys(patch).join(', ')}` };
  }

  private setMaxFrames(maxFrames: number | null): CommandResult {
    if (maxFrames !== null && (!Number.isInteger(maxFrames) || maxFrames < 1)) {
      return { ok: false, reason: 'invalid', message: 'maxFrames must be a positive whole number or null' };
    }
    this.maxFramesValue = maxFrames;
    this.changed();
    return { ok: true };
  }

  private changed(stopJob?: StopReason): void {
    this.revisionValue++;
    if (stopJob) this.emit('stop-job', stopJob);
    this.emit('change');
  }
}
