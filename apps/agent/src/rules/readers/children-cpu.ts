// The CPU time of everything this agent started (its renders, their helper processes, tools), for the
// owner's CPU load: the machine's busy time less this is the owner's. Linux only, from /proc: the
// agent's reaped children (cutime + cstime of the agent itself) plus each live descendant's own and
// reaped children's time. Elsewhere null (a render's CPU time is then unknown).
import { readFileSync } from 'node:fs';
import { descendantsOf } from '../../render/process-tree.js';

/** USER_HZ, the unit of /proc/<pid>/stat's times (100 on every Linux architecture Node runs on). */
const TICK_MS = 10;

/** utime, stime, cutime, cstime: fields 14–17 of /proc/<pid>/stat, counted after the `(comm)`. */
function statTimes(pid: number | 'self'): [number, number, number, number] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const times = [11, 12, 13, 14].map((index) => Number(fields[index]));
    return times.every(Number.isSafeInteger) ? (times as [number, number, number, number]) : undefined;
  } catch {
    return undefined;
  }
}

export class ChildrenCpuTime {
  private last = 0;

  constructor(private readonly platform: NodeJS.Platform = process.platform) {}

  /**
   * Milliseconds of CPU the agent's descendants have used since it started; it never goes back (a
   * child that exits moves its time from its own line to the agent's reaped total, read a moment
   * apart). Null where it cannot be read. Costs one pass over /proc (about 2 ms for 100 processes).
   */
  ms(): number | null {
    if (this.platform !== 'linux') return null;
    const own = statTimes('self');
    if (!own) return null;
    let ticks = own[2] + own[3];
    for (const pid of descendantsOf(process.pid).slice(1)) {
      const times = statTimes(pid);
      if (times) ticks += times[0] + times[1] + times[2] + times[3];
    }
    this.last = Math.max(this.last, ticks * TICK_MS);
    return this.last;
  }
}
