// Rolling an agent build out to the fleet: one canary machine first; once it is back on the new
// version, every other machine (those offline get it when they come back); a canary that rolls back
// or fails stops the roll-out. An admin may cancel it: machines not yet sent the build keep their
// version, those already updating go on. "Roll back to <previous>" is a roll-out of the previous
// build. The roll-out in progress and the last finished one are kept in <data>/updates.json.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentVersionId, type ControlCommand } from '@flock/protocol';
import { z } from 'zod';
import type { AgentBuild, AgentBuilds } from '../install/builds';
import type { Fleet } from '../link/fleet';
import type { CommandOutcome } from '../link/hub';
import { log } from '../log';
import { judgeUpdate, type MachineUpdateStatus, type SentTo, statusOfAnswer } from './progress';

/** A machine that has not come back on the new version after this long is given up on. */
export const UPDATE_TIMEOUT_MS = 10 * 60_000;

export interface RolloutMachine {
  id: string;
  name: string;
  /** The agent version it ran when the roll-out began. */
  from: string | null;
  status: MachineUpdateStatus;
}

export interface Rollout {
  build: { version: string; sha256: string; versionId: string };
  startedAt: number;
  startedBy: string;
  canaryId: string;
  /**
   * canary: only the canary has it; fleet: the others too; done; halted: stopped at the canary;
   * cancelled: by `cancelledBy`.
   */
  phase: 'canary' | 'fleet' | 'done' | 'halted' | 'cancelled';
  finishedAt: number | null;
  cancelledBy?: string;
  machines: RolloutMachine[];
}

export class RolloutError extends Error {
  override readonly name = 'RolloutError';
}

type SendCommand = (machineId: string, command: ControlCommand) => Promise<CommandOutcome>;

const FINAL = new Set(['done', 'rolled-back', 'failed', 'skipped']);

export class Rollouts {
  private current: Rollout | null;
  private readonly sent = new Map<string, SentTo>();
  private savedText = '';
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly options: {
      dataDir: string;
      fleet: Fleet;
      builds: AgentBuilds;
      send: SendCommand;
      now: () => number;
    },
  ) {
    this.current = readRollout(this.file);
    options.fleet.bus.on('machine', this.onMachine);
    this.timer = setInterval(() => this.check(), 5_000);
    this.timer.unref();
  }

  private get file(): string {
    return join(this.options.dataDir, 'updates.json');
  }

  /** The roll-out in progress, else the last one. */
  get rollout(): Rollout | null {
    return this.current;
  }

  close(): void {
    clearInterval(this.timer);
    this.options.fleet.bus.off('machine', this.onMachine);
  }

  /** Starts rolling the kept build `sha256` out: to the canary now, to the rest once it is back. */
  async start(sha256: string, by: string): Promise<Rollout> {
    const { fleet, builds, now } = this.options;
    if (this.current && !this.isFinished(this.current))
      throw new RolloutError(`an update to ${this.current.build.versionId} is still under way`);
    const build = builds.builds.find((candidate) => candidate.sha256 === sha256);
    if (!build) throw new RolloutError('this console keeps no such agent build');
    if (fleet.summaries().length === 0) throw new RolloutError('there are no machines to update');
    const versionId = agentVersionId(build.version, build.sha256);
    const machines = fleet
      .summaries()
      .map((summary) => ({ summary, record: fleet.record(summary.id) }))
      .filter(({ record }) => record?.state?.lifecycle?.versionId !== versionId)
      .sort((a, b) => a.summary.name.localeCompare(b.summary.name));
    const canary = machines.find(
      ({ summary, record }) =>
        summary.online && record?.state?.lifecycle?.versionId && record.state.lifecycle.supervisor,
    );
    if (!canary)
      throw new RolloutError(
        machines.length === 0
          ? `every machine already runs ${versionId}`
          : 'no machine to try it on first: none online was installed with a service by "Add machine"',
      );
    this.current = {
      build: { version: build.version, sha256: build.sha256, versionId },
      startedAt: now(),
      startedBy: by,
      canaryId: canary.summary.id,
      phase: 'canary',
      finishedAt: null,
      machines: machines.map(({ summary }) => ({
        id: summary.id,
        name: summary.name,
        from: summary.agentVersion,
        status: { kind: 'pending' },
      })),
    };
    this.sent.clear();
    log(
      'info',
      `updates: ${by} rolls ${versionId} out to ${machines.length} machine(s), ${canary.summary.name} first`,
    );
    await this.sendTo(canary.summary.id);
    this.saved();
    return this.current;
  }

  /**
   * Cancels the roll-out under way: machines not yet sent the build are skipped (and never sent it),
   * those already updating go on and their outcome is still recorded.
   */
  cancel(by: string): Rollout {
    const rollout = this.current;
    if (!rollout || this.isFinished(rollout)) throw new RolloutError('no roll-out is under way');
    rollout.phase = 'cancelled';
    rollout.cancelledBy = by;
    rollout.finishedAt = this.options.now();
    skipPending(rollout);
    log('info', `updates: ${by} cancelled the roll-out of ${rollout.build.versionId}`);
    this.saved();
    return rollout;
  }

  /** The build a roll-out of `build` would move machines to, for the confirmation. */
  static versionIdOf(build: AgentBuild): string {
    return agentVersionId(build.version, build.sha256);
  }

  private isFinished(rollout: Rollout): boolean {
    return rollout.phase === 'done' || rollout.phase === 'halted' || rollout.phase === 'cancelled';
  }

  private entry(id: string): RolloutMachine | undefined {
    return this.current?.machines.find((machine) => machine.id === id);
  }

  private async sendTo(id: string): Promise<void> {
    const rollout = this.current;
    const entry = this.entry(id);
    if (!rollout || !entry) return;
    const { fleet, now } = this.options;
    const record = fleet.record(id);
    this.sent.set(id, { bootId: record?.hello?.bootId ?? null });
    entry.status = { kind: 'updating', since: now() };
    const { version, sha256 } = rollout.build;
    const outcome = await this.options.send(id, { type: 'update', version, sha256 });
    if (outcome.status === 'offline') entry.status = { kind: 'pending' };
    else if (outcome.status === 'acked') {
      const status = statusOfAnswer(outcome.result, now());
      // The agent may already be back (a fast restart) by the time its answer is read.
      if (entry.status.kind === 'updating') entry.status = status;
    }
    this.advance();
  }

  private readonly onMachine = (id: string): void => {
    const entry = this.entry(id);
    if (!entry || !this.current) return;
    if (entry.status.kind === 'updating') this.judge(entry);
    else if (
      entry.status.kind === 'pending' &&
      (this.current.phase === 'fleet' || id === this.current.canaryId)
    ) {
      if (this.options.fleet.record(id)?.online) void this.sendTo(id);
    }
  };

  private judge(entry: RolloutMachine): void {
    const record = this.options.fleet.record(entry.id);
    const sent = this.sent.get(entry.id) ?? { bootId: null };
    if (!record || entry.status.kind !== 'updating') return;
    if (record.hello?.bootId !== sent.bootId && sent.staleState === undefined) sent.staleState = record.state;
    const outcome = judgeUpdate(record, this.current?.build.versionId ?? '', sent, this.options.now());
    if (!outcome) return;
    entry.status = outcome;
    log(
      'info',
      `updates: ${entry.name}: ${outcome.kind}${'reason' in outcome ? ` (${outcome.reason})` : ''}`,
    );
    this.advance();
  }

  /** Gives up on machines silent for too long; moves the roll-out on. */
  private check(): void {
    const now = this.options.now();
    for (const entry of this.current?.machines ?? []) {
      if (entry.status.kind !== 'updating') continue;
      this.judge(entry);
      if (entry.status.kind === 'updating' && now - entry.status.since > UPDATE_TIMEOUT_MS)
        entry.status = {
          kind: 'failed',
          at: now,
          reason: `not back on the new version after ${UPDATE_TIMEOUT_MS / 60_000} minutes`,
        };
    }
    this.advance();
  }

  private advance(): void {
    const rollout = this.current;
    if (!rollout) return;
    // A cancelled roll-out still records the outcome of the machines it had sent the build to (one
    // found offline as the command went is skipped too).
    if (rollout.phase === 'cancelled') {
      skipPending(rollout);
      if (this.changedSinceSaved()) this.saved();
    }
    if (this.isFinished(rollout)) return;
    const canary = this.entry(rollout.canaryId);
    if (rollout.phase === 'canary' && canary) {
      if (canary.status.kind === 'done') {
        rollout.phase = 'fleet';
        for (const machine of rollout.machines)
          if (machine.status.kind === 'pending' && this.options.fleet.record(machine.id)?.online)
            void this.sendTo(machine.id);
      } else if (FINAL.has(canary.status.kind)) {
        rollout.phase = 'halted';
        rollout.finishedAt = this.options.now();
        skipPending(
          rollout,
          `not updated: the first machine, ${canary.name}, ${canary.status.kind === 'rolled-back' ? 'rolled back' : 'failed'}`,
        );
        log(
          'warn',
          `updates: the roll-out of ${rollout.build.versionId} stopped: ${canary.name} ${canary.status.kind}`,
        );
      }
    }
    if (rollout.phase === 'fleet' && rollout.machines.every((machine) => FINAL.has(machine.status.kind))) {
      rollout.phase = 'done';
      rollout.finishedAt = this.options.now();
    }
    this.saved();
  }

  private changedSinceSaved(): boolean {
    return this.current !== null && `${JSON.stringify(this.current, null, 2)}\n` !== this.savedText;
  }

  private saved(): void {
    if (!this.current) return;
    const text = `${JSON.stringify(this.current, null, 2)}\n`;
    this.savedText = text;
    writeFileSync(`${this.file}.tmp`, text, { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
    this.options.fleet.bus.emit('rollout');
  }
}

/** Machines not yet sent the build never will be: `reason` says why (default: the cancel). */
function skipPending(
  rollout: Rollout,
  reason = `not updated: ${rollout.cancelledBy} cancelled the roll-out`,
): void {
  for (const machine of rollout.machines)
    if (machine.status.kind === 'pending') machine.status = { kind: 'skipped', reason };
}

const StatusSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pending') }),
  z.object({ kind: z.literal('updating'), since: z.number() }),
  z.object({ kind: z.literal('done'), at: z.number() }),
  z.object({ kind: z.literal('rolled-back'), at: z.number(), reason: z.string().max(1000) }),
  z.object({ kind: z.literal('failed'), at: z.number(), reason: z.string().max(1000) }),
  z.object({ kind: z.literal('skipped'), reason: z.string().max(1000) }),
]);

const RolloutSchema = z.object({
  build: z.object({ version: z.string(), sha256: z.string(), versionId: z.string() }),
  startedAt: z.number(),
  startedBy: z.string(),
  canaryId: z.string(),
  phase: z.enum(['canary', 'fleet', 'done', 'halted', 'cancelled']),
  finishedAt: z.number().nullable(),
  cancelledBy: z.string().max(200).optional(),
  machines: z
    .array(z.object({ id: z.string(), name: z.string(), from: z.string().nullable(), status: StatusSchema }))
    .max(10_000),
});

function readRollout(file: string): Rollout | null {
  if (!existsSync(file)) return null;
  try {
    return RolloutSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    log('warn', `updates: ${file} is damaged (${(error as Error).message.split('\n')[0]}); starting afresh`);
    return null;
  }
}
