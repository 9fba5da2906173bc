import { EventEmitter } from 'node:events';
import type { AgentEvent, AgentState, CommandResult, Hello, LogLine } from '@flock/protocol';
import { startOfLocalDay } from '../db/activity-repo';
import type { ConsoleRepo, MachineRow } from '../db/repo';
import type { HistoryService } from '../history/service';
import {
  type FleetTotals,
  type FrameTotals,
  type MachineRecord,
  type MachineSummary,
  summarize,
  totalsOf,
} from '../views';

export interface FleetEvents {
  /** A machine's state, presence or name changed. */
  machine: [id: string];
  removed: [id: string];
  agentEvent: [id: string, event: AgentEvent, at: number];
  logs: [id: string, requestId: string, lines: LogLine[]];
  ack: [id: string, commandId: string, result: CommandResult];
  /** The fleet-wide settings changed (no id: they concern every machine). */
  fleetSettings: [];
  /** The farm account of one machine changed, or the fleet's (null: every machine without its own). */
  farmAccount: [id: string | null];
  /** An agent update's roll-out moved on. */
  rollout: [];
}

/**
 * Every paired machine's last known state, in memory, plus the bus that tRPC subscriptions listen
 * on. The database is written behind it (on connect, disconnect and every persistEveryMs).
 */
export class Fleet {
  readonly bus = new EventEmitter<FleetEvents>();
  private readonly records = new Map<string, MachineRecord & { dirty: boolean }>();
  /**
   * Frames and credits of today per machine (removed ones too), from the database: read whole for a new
   * day, then one machine at a time as its frames are stored.
   */
  private today?: { since: number; byMachine: Map<string, FrameTotals> };

  constructor(
    private readonly repo: ConsoleRepo,
    private readonly now: () => number,
    /** Told when a machine's link connects and disconnects (its connected time); today's counters come from it. */
    private readonly history?: HistoryService,
  ) {
    this.bus.setMaxListeners(0);
  }

  async load(): Promise<void> {
    for (const row of await this.repo.listMachines()) this.add(row);
  }

  add(row: MachineRow): void {
    this.records.set(row.id, {
      id: row.id,
      name: row.name,
      online: false,
      lastSeenAt: row.lastSeenAt,
      hello: row.hello ?? null,
      state: row.lastState ?? null,
      stateAt: null,
      tags: [],
      dirty: false,
    });
    this.bus.emit('machine', row.id);
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  record(id: string): Readonly<MachineRecord> | undefined {
    return this.records.get(id);
  }

  remove(id: string): void {
    if (this.records.delete(id)) this.bus.emit('removed', id);
  }

  rename(id: string, name: string): void {
    const record = this.records.get(id);
    if (!record) return;
    record.name = name;
    this.bus.emit('machine', id);
  }

  /** The machine's tags changed (they are stored by the caller; they are not part of its state). */
  setTags(id: string, tags: string[]): void {
    const record = this.records.get(id);
    if (!record) return;
    record.tags = tags;
    this.bus.emit('machine', id);
  }

  connected(id: string, hello: Hello): void {
    this.update(id, { online: true, hello, lastSeenAt: this.now() });
    this.history?.connected(id);
  }

  disconnected(id: string): void {
    this.history?.disconnected(id);
    this.update(id, { online: false });
    void this.persist(id);
  }

  seen(id: string): void {
    const record = this.records.get(id);
    if (record) record.lastSeenAt = this.now();
  }

  stateChanged(id: string, state: AgentState, at: number): void {
    this.update(id, { state, stateAt: at, lastSeenAt: this.now() });
  }

  summaries(): MachineSummary[] {
    return [...this.records.values()].map((record) =>
      summarize(record, this.today?.byMachine.get(record.id)),
    );
  }

  summary(id: string): MachineSummary | undefined {
    const record = this.records.get(id);
    return record && summarize(record, this.today?.byMachine.get(id));
  }

  async totals(): Promise<FleetTotals> {
    const today = { frames: 0, credits: 0 };
    for (const machine of (await this.todayFrames()).values()) {
      today.frames += machine.frames;
      today.credits += machine.credits;
    }
    return totalsOf(this.summaries(), today);
  }

  /**
   * A stored frame (or its credits) changes today's counters of its machine: that machine's are read
   * again (through its index, whatever the fleet's size) and the machine pushed.
   */
  frameStored(id: string): void {
    void this.refreshToday(id).then(() => this.bus.emit('machine', id));
  }

  /** Writes the state of machines that changed since their last write. */
  async persistDirty(): Promise<void> {
    for (const record of this.records.values()) if (record.dirty) await this.persist(record.id);
  }

  private async persist(id: string): Promise<void> {
    const record = this.records.get(id);
    if (!record) return;
    record.dirty = false;
    await this.repo.saveMachineSeen(id, {
      lastSeenAt: record.lastSeenAt ?? this.now(),
      ...(record.hello ? { hello: record.hello } : {}),
      ...(record.state ? { lastState: record.state } : {}),
    });
  }

  private update(id: string, changes: Partial<MachineRecord>): void {
    const record = this.records.get(id);
    if (!record) return;
    Object.assign(record, changes, { dirty: true });
    this.bus.emit('machine', id);
  }

  /** Today's counters of every machine, read whole when the day changed (or first asked for). */
  private async todayFrames(): Promise<Map<string, FrameTotals>> {
    const since = startOfLocalDay(this.now());
    if (this.today?.since !== since) {
      const byMachine = (await this.history?.repo.frameTotalsByMachineSince(since)) ?? new Map();
      this.today = { since, byMachine };
    }
    return this.today.byMachine;
  }

  private async refreshToday(id: string): Promise<void> {
    await this.todayFrames();
    const since = this.today?.since;
    if (since === undefined) return;
    const totals = await this.history?.repo.frameTotalsOfMachineSince(id, since);
    // A new day that began while it was read was read whole, this frame included.
    if (totals && this.today?.since === since) this.today.byMachine.set(id, totals);
  }
}
