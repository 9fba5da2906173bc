import type { AgentState } from '@flock/protocol';
import type { TimelineRepo } from '../db/timeline-repo';
import { log } from '../log';
import { statusGroupOf } from '../views';
import { TokenBuckets } from './token-buckets';

/** Spans a machine may open: a burst of 120, then one every 5 s; beyond, nothing is stored until it calms. */
const SPAN_BURST = 120;
const SPAN_REFILL_MS = 5_000;

/** An agent's clock read more than this ahead of the console's is taken as the console's time plus this. */
const MAX_AHEAD_MS = 10 * 60_000;

interface Open {
  id: number;
  key: string;
  startedAt: number;
}

interface Tracked {
  open: Open | null;
  /** The agent's time of the last message heard (state, event, heartbeat). */
  lastAt: number | null;
  /** The link dropped at this agent time (its last message); stored as `offline` when it is back. */
  offlineSince: number | null;
  /** Writes of one machine happen in order. */
  queue: Promise<void>;
}

/**
 * Idle: anything but working on a frame (a machine waiting on a reason in error counts as idle). A
 * span lasts while status, reason code and text stay the same (the reason's times are not its text).
 */
function idleKey(state: AgentState): string | null {
  const group = statusGroupOf({ online: true, status: state.status, reason: state.reason });
  return group === 'working'
    ? null
    : `${state.status}|${state.reason?.code ?? ''}|${state.reason?.message ?? ''}`;
}

/**
 * The stretches of time each linked machine was not working on a frame, and why, from the states it
 * streams: a span opens when its status or reason changes to an idle one and closes at the next
 * change, when its link drops (at the last message heard), or at the console's next start (when the
 * machine was last seen). Times are the agent's, like its frames' phases.
 */
export class IdleSpans {
  private readonly machines = new Map<string, Tracked>();
  private readonly budget: TokenBuckets;
  private readonly overBudget = new Set<string>();

  constructor(
    private readonly repo: TimelineRepo,
    private readonly now: () => number,
  ) {
    this.budget = new TokenBuckets(SPAN_BURST, SPAN_REFILL_MS, now);
  }

  /** Closes the spans a previous run left open. */
  async start(): Promise<void> {
    const closed = await this.repo.closeOrphanedSpans();
    if (closed > 0)
      log(
        'info',
        `timeline: ${closed} idle span(s) left open by the last run end at their machine's last contact`,
      );
  }

  /** A state from the machine's agent, sent at `at` (its clock). */
  stateSeen(machineId: string, state: AgentState, at: number): Promise<void> {
    return this.enqueue(machineId, async (tracked) => {
      const time = this.bounded(at, tracked);
      if (tracked.offlineSince !== null) {
        await this.repo.insertClosedSpan(
          machineId,
          tracked.offlineSince,
          Math.max(time, tracked.offlineSince),
          'offline',
        );
        tracked.offlineSince = null;
      }
      tracked.lastAt = time;
      const key = idleKey(state);
      if (key === tracked.open?.key) return;
      await this.close(tracked, time);
      if (key !== null && this.withinBudget(machineId))
        tracked.open = {
          id: await this.repo.openSpan(machineId, time, state.status, state.reason),
          key,
          startedAt: time,
        };
    });
  }

  /** Any other message from the agent, sent at `at`: the machine was heard of until then. */
  heard(machineId: string, at: number): void {
    const tracked = this.machines.get(machineId);
    if (tracked) tracked.lastAt = this.bounded(at, tracked);
  }

  /** The link dropped: the open span ends at the last message heard; what follows is `offline`. */
  linkDown(machineId: string): Promise<void> {
    return this.enqueue(machineId, async (tracked) => {
      if (tracked.lastAt === null) return;
      await this.close(tracked, tracked.lastAt);
      tracked.offlineSince = tracked.lastAt;
    });
  }

  forget(machineId: string): void {
    this.machines.delete(machineId);
    this.budget.forget(machineId);
  }

  private async close(tracked: Tracked, at: number): Promise<void> {
    if (!tracked.open) return;
    await this.repo.closeSpan(tracked.open.id, at);
    tracked.open = null;
  }

  /** No earlier than the last time heard (a clock set back), no later than a little past the console's. */
  private bounded(at: number, tracked: Tracked): number {
    return Math.min(
      Math.max(at, tracked.lastAt ?? 0, tracked.open?.startedAt ?? 0),
      this.now() + MAX_AHEAD_MS,
    );
  }

  private withinBudget(machineId: string): boolean {
    if (this.budget.take(machineId)) {
      this.overBudget.delete(machineId);
      return true;
    }
    if (!this.overBudget.has(machineId)) {
      this.overBudget.add(machineId);
      log(
        'warn',
        `timeline ${machineId}: status changes faster than ${SPAN_BURST} at once or one per ${SPAN_REFILL_MS / 1000} s; idle spans are not stored until it slows down`,
      );
    }
    return false;
  }

  private enqueue(machineId: string, work: (tracked: Tracked) => Promise<void>): Promise<void> {
    let tracked = this.machines.get(machineId);
    if (!tracked) {
      tracked = { open: null, lastAt: null, offlineSince: null, queue: Promise.resolve() };
      this.machines.set(machineId, tracked);
    }
    const current = tracked;
    current.queue = current.queue
      .then(() => work(current))
      .catch((error: Error) => log('error', `timeline ${machineId}: ${error.message}`));
    return current.queue;
  }
}
