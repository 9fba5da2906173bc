import {
  type AgentEvent,
  type AgentState,
  type AgentStatePatch,
  type CommandResult,
  type ControlCommand,
  DEFAULT_PRIORITY,
  type FleetSettings,
  type LogLine,
  logLineText,
  type MachineInfo,
} from '@flock/protocol';
import type { FarmAccountUpdate, LinkedAgent } from '../src/link/index.js';
import { testMachineInfo } from './machine.js';

/**
 * A LinkedAgent without a renderer: state changes and events are driven by the caller. Used by the
 * link tests, the console's end-to-end test and the console benchmark, never by the real agent.
 * Commands take the effect a real agent would show on its state, and are recorded.
 */
export class SimulatedAgent implements LinkedAgent {
  readonly executed: ControlCommand[] = [];
  /** Every fleet-settings message the console sent, in order. */
  readonly fleetSettings: FleetSettings[] = [];
  /** Every farm-account message (or withholding) the console sent, in order. */
  readonly farmAccounts: FarmAccountUpdate[] = [];
  private current: AgentState;
  private readonly changeListeners = new Set<() => void>();
  private readonly eventListeners = new Set<(event: AgentEvent) => void>();
  private readonly log: LogLine[] = [];

  constructor(machine: Partial<MachineInfo> = {}, now = Date.now()) {
    this.current = initialState(testMachineInfo('sim-agent', machine), now);
  }

  state(): AgentState {
    return this.current;
  }

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onEvent(listener: (event: AgentEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  update(patch: AgentStatePatch): void {
    this.current = { ...this.current, ...patch };
    for (const listener of this.changeListeners) listener();
  }

  emit(event: AgentEvent): void {
    for (const listener of this.eventListeners) listener(event);
  }

  addLog(line: LogLine): void {
    this.log.push(line);
    this.update({ recentLog: this.log.slice(-50) });
  }

  logs({ limit, search }: { limit: number; search?: string }): LogLine[] {
    const matching = search ? this.log.filter((line) => logLineText(line).includes(search)) : this.log;
    return matching.slice(-limit);
  }

  applyFleetSettings(settings: FleetSettings): void {
    this.fleetSettings.push(settings);
    const fleet = settings.blockedProjects.map((block) => ({ ...block, scope: 'fleet' as const }));
    const machine = (this.current.blockedProjects ?? []).filter((block) => block.scope === 'machine');
    this.update({ blockedProjects: [...fleet, ...machine] });
  }

  farmAccountFromConsole(update: FarmAccountUpdate): void {
    this.farmAccounts.push(update);
  }

  async execute(command: ControlCommand): Promise<CommandResult> {
    this.executed.push(command);
    switch (command.type) {
      case 'pause':
        if (command.when === 'after-frame' && this.current.afterFrame === 'pause')
          return { ok: true, unchanged: true, message: 'was already paused' };
        // A frame in progress is finished first (the caller's simulation pauses after it).
        if (command.when === 'after-frame' && this.current.job) {
          this.update({ afterFrame: 'pause' });
          break;
        }
        this.update({
          status: 'paused',
          afterFrame: 'pause',
          job: null,
          reason: { code: 'paused-by-user', message: 'Paused from the console', until: null },
        });
        break;
      case 'resume':
        if (this.current.afterFrame !== 'pause')
          return { ok: true, unchanged: true, message: 'was not paused' };
        this.update({
          afterFrame: null,
          ...(this.current.status === 'paused' ? { status: 'idle', reason: null } : {}),
        });
        break;
      case 'stop':
        this.update({
          status: 'stopped',
          job: null,
          reason: { code: 'stopped-by-user', message: 'Stopped from the console', until: null },
        });
        break;
      case 'start':
        this.update({ status: 'idle', reason: null });
        break;
      case 'block-project':
        if (!this.current.job)
          return { ok: false, reason: 'invalid', message: 'no current project to block' };
        this.update({
          job: null,
          blockedProjects: [
            ...(this.current.blockedProjects ?? []),
            {
              archiveMd5: this.current.job.archiveMd5 ?? '0'.repeat(32),
              name: this.current.job.project,
              blockedAt: Date.now(),
              scope: 'machine',
            },
          ],
        });
        break;
      case 'set-limits':
        this.update({ limits: { ...this.current.limits, ...command.limits } });
        break;
      case 'unblock-project': {
        const blocked = this.current.blockedProjects ?? [];
        if (!blocked.some((block) => block.archiveMd5 === command.archiveMd5 && block.scope === 'machine'))
          return { ok: false, reason: 'invalid', message: 'this project is not blocked here' };
        this.update({ blockedProjects: blocked.filter((block) => block.archiveMd5 !== command.archiveMd5) });
        break;
      }
      case 'retry-now':
        this.update({ status: 'requesting', reason: null });
        break;
    }
    return { ok: true };
  }
}

function initialState(machine: MachineInfo, now: number): AgentState {
  return {
    machine,
    session: { server: 'http://127.0.0.1:8080', login: 'demo', connected: true, startedAt: now },
    status: 'idle',
    reason: { code: 'no-job', message: 'Waiting for a job', until: null },
    job: null,
    limits: {
      computeMethod: 'cpu',
      gpu: null,
      cores: null,
      memoryBytes: null,
      maxFrameTimeSeconds: null,
      priority: DEFAULT_PRIORITY,
      requestTime: null,
    },
    usage: { cpuPercent: 0, memoryBytes: 0 },
    uploads: { queued: 0, inFlight: 0 },
    stats: { framesRendered: 0, framesFailed: 0, creditsSession: 0, renderTimeMsTotal: 0 },
    lastFramePath: null,
    farmAccount: { source: 'local', login: 'demo' },
    recentLog: [],
  };
}
