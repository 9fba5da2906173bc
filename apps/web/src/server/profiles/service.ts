import { type ControlCommand, type Limits, RulesSchema } from '@flock/protocol';
import { describeIssues, NO_OVERRIDES, type Overrides, PROFILE_LIMIT_NAMES } from '../../lib/profiles';
import type { Fleet } from '../link/fleet';
import type { CommandOutcome } from '../link/hub';
import { type ConfigDiff, configDiff } from './diff';
import { type DryRun, dryRun } from './dry-run';
import type { ProfileRow, ProfilesRepo } from './repo';
import {
  type Assignment,
  type DesiredConfig,
  type ProfileChoice,
  profileFor,
  withOverrides,
} from './resolve';

/** One machine under a profile: what it follows, what would change, what it would do now. */
export interface MachinePreview {
  machineId: string;
  name: string;
  online: boolean;
  choice: ProfileChoice | null;
  overrides: Overrides;
  desired: DesiredConfig;
  diff: ConfigDiff;
  dryRun: DryRun;
  /** Why it cannot be applied (its rules with the overrides are too many, say); null when it can. */
  problem: string | null;
}

/** What became of applying a profile to one machine. */
export interface ApplyOutcome {
  machineId: string;
  name: string;
  /** `applied`: every command acked; `queued`/`sent`: not answered yet (offline, slow); `refused`; `unchanged`. */
  status: 'applied' | 'unchanged' | 'queued' | 'sent' | 'refused';
  message: string | null;
  commands: CommandOutcome[];
}

type Send = (machineId: string, command: ControlCommand) => Promise<CommandOutcome>;

/** Profiles as the console uses them: who follows which, previews, dry runs and applying. */
export class ProfileService {
  constructor(
    readonly repo: ProfilesRepo,
    private readonly fleet: Fleet,
    private readonly send: Send,
    private readonly now: () => number,
  ) {}

  /** The profile each machine follows (machines that follow none are absent). */
  async choices(): Promise<Map<string, ProfileChoice>> {
    const assignments = await this.repo.assignments();
    const choices = new Map<string, ProfileChoice>();
    for (const { id } of this.fleet.summaries()) {
      const choice = this.choiceFor(id, assignments);
      if (choice) choices.set(id, choice);
    }
    return choices;
  }

  choiceFor(machineId: string, assignments: readonly Assignment[]): ProfileChoice | null {
    return profileFor(machineId, this.fleet.record(machineId)?.tags ?? [], assignments);
  }

  /** The machines following the profile, each with its diff and dry run; `only`: just these of them. */
  async preview(profile: ProfileRow, only?: readonly string[]): Promise<MachinePreview[]> {
    const choices = await this.choices();
    const ids = [...choices].filter(([id, c]) => c.profileId === profile.id && (!only || only.includes(id)));
    return Promise.all(ids.map(([id, choice]) => this.previewOne(id, profile, choice)));
  }

  /** One machine under a profile (the one it follows, or another to compare). */
  async previewOne(
    machineId: string,
    profile: ProfileRow,
    choice: ProfileChoice | null,
  ): Promise<MachinePreview> {
    const record = this.fleet.record(machineId);
    const state = record?.state ?? null;
    const overrides = (await this.repo.overrides(machineId)) ?? NO_OVERRIDES;
    const desired = withOverrides(profile, { limits: overrides.limits, rules: overrides.rules });
    const checked = RulesSchema.safeParse(desired.rules);
    return {
      machineId,
      name: record?.name ?? machineId,
      online: record?.online ?? false,
      choice,
      overrides: { limits: overrides.limits, rules: overrides.rules },
      desired,
      diff: configDiff(state, desired),
      dryRun: dryRun(state, desired.rules, this.now()),
      problem: checked.success
        ? null
        : `its rules with its overrides are refused: ${describeIssues(checked.error, { rules: desired.rules }).join('; ')}`,
    };
  }

  /**
   * Limits set by hand on machines (their page, the bulk bar) become overrides of those that follow a
   * profile, so the next apply keeps them; a limit set back to the profile's value stops being one.
   */
  async keepAsOverrides(machineIds: readonly string[], limits: Partial<Limits>, by: string): Promise<void> {
    const choices = await this.choices();
    for (const machineId of machineIds) {
      const choice = choices.get(machineId);
      const profile = choice && (await this.repo.get(choice.profileId));
      if (!profile) continue;
      const overrides = (await this.repo.overrides(machineId)) ?? NO_OVERRIDES;
      const kept: Record<string, unknown> = { ...overrides.limits };
      for (const limit of PROFILE_LIMIT_NAMES) {
        if (!(limit in limits) || !(limit in profile.limits)) continue;
        if (limits[limit] === profile.limits[limit]) delete kept[limit];
        else kept[limit] = limits[limit];
      }
      await this.repo.setOverrides(machineId, { limits: kept, rules: overrides.rules }, by, this.now());
    }
  }

  /** Sends each machine what its diff says (limits that differ, the rules when they differ). */
  async apply(profile: ProfileRow, machineIds: readonly string[]): Promise<ApplyOutcome[]> {
    const previews = await this.preview(profile, machineIds);
    return Promise.all(previews.map((preview) => this.applyOne(preview)));
  }

  private async applyOne(preview: MachinePreview): Promise<ApplyOutcome> {
    const { machineId, name, diff, problem } = preview;
    if (problem) return { machineId, name, status: 'refused', message: problem, commands: [] };
    const commands: CommandOutcome[] = [];
    if (Object.keys(diff.send.limits).length > 0)
      commands.push(await this.send(machineId, { type: 'set-limits', limits: diff.send.limits }));
    if (diff.send.rules)
      commands.push(await this.send(machineId, { type: 'set-rules', rules: diff.send.rules }));
    return { machineId, name, ...settle(commands) };
  }
}

function settle(commands: CommandOutcome[]): Pick<ApplyOutcome, 'status' | 'message' | 'commands'> {
  if (commands.length === 0) return { status: 'unchanged', message: null, commands };
  const refused = commands.find((c) => c.status === 'acked' && !c.result.ok);
  if (refused?.status === 'acked' && !refused.result.ok)
    return { status: 'refused', message: refused.result.message, commands };
  if (commands.some((c) => c.status === 'offline' || c.status === 'queued'))
    return { status: 'queued', message: 'offline: applied when it reconnects', commands };
  if (commands.some((c) => c.status === 'sent'))
    return { status: 'sent', message: 'sent, not answered yet', commands };
  return { status: 'applied', message: null, commands };
}
