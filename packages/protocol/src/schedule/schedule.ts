import { MINUTES_PER_WEEK, parseWindowSpec, type WeekInterval } from './parse';

const MINUTE_MS = 60_000;
/** Larger than any daylight-saving shift, so a jump of (distance − margin) never passes a boundary. */
const DST_MARGIN_MINUTES = 180;

export interface ScheduleOptions {
  /** IANA time zone the windows are read in; default: the machine's local zone. */
  timeZone?: string;
}

export interface ScheduleStatus {
  open: boolean;
  /** When the window next opens (if closed) or closes (if open); null when that never happens. */
  changesAt: number | null;
}

/** Request-time windows: when the agent may ask the farm for new jobs. */
export class Schedule {
  readonly always: boolean;
  private readonly localMinuteOfWeek: (atMs: number) => number;

  constructor(
    readonly spec: string,
    private readonly intervals: readonly WeekInterval[],
    options: ScheduleOptions = {},
  ) {
    this.always =
      intervals.length === 1 && intervals[0]?.start === 0 && intervals[0].end === MINUTES_PER_WEEK;
    this.localMinuteOfWeek = minuteOfWeekReader(options.timeZone);
  }

  isOpen(atMs: number): boolean {
    return this.isOpenAtMinute(this.localMinuteOfWeek(atMs));
  }

  /** The first instant ≥ atMs at which the window is open (atMs itself when open now). */
  nextOpening(atMs: number): number | null {
    return this.isOpen(atMs) ? atMs : this.nextChange(atMs);
  }

  /** The first instant ≥ atMs at which the window is closed (atMs itself when closed now). */
  nextClosing(atMs: number): number | null {
    return this.isOpen(atMs) ? this.nextChange(atMs) : atMs;
  }

  status(atMs: number): ScheduleStatus {
    return { open: this.isOpen(atMs), changesAt: this.nextChange(atMs) };
  }

  private isOpenAtMinute(minute: number): boolean {
    return this.intervals.some((interval) => minute >= interval.start && minute < interval.end);
  }

  /**
   * The first minute boundary after atMs where open/closed flips. Jumps close to the next interval edge
   * (measured in local minutes, minus a DST margin), then walks minute by minute, so daylight-saving
   * shifts and skipped local hours are handled by evaluating real instants only.
   */
  private nextChange(atMs: number): number | null {
    if (this.always || this.intervals.length === 0) return null;
    const initial = this.isOpen(atMs);
    let at = Math.floor(atMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const limit = atMs + 8 * 24 * 60 * MINUTE_MS;
    while (at <= limit) {
      const minute = this.localMinuteOfWeek(at);
      if (this.isOpenAtMinute(minute) !== initial) return at;
      const distance = this.minutesToNextEdge(minute);
      at += Math.max(1, distance - DST_MARGIN_MINUTES) * MINUTE_MS;
    }
    return null;
  }

  private minutesToNextEdge(minute: number): number {
    let best = MINUTES_PER_WEEK;
    for (const { start, end } of this.intervals) {
      for (const edge of [start, end]) {
        const distance = (((edge - minute) % MINUTES_PER_WEEK) + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
        if (distance > 0 && distance < best) best = distance;
      }
    }
    return best;
  }
}

export function parseSchedule(spec: string, options: ScheduleOptions = {}): Schedule {
  return new Schedule(spec, parseWindowSpec(spec), options);
}

const WEEKDAY_INDEX: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/** Minutes since Monday 00:00 in the given zone (or the process's local zone). */
function minuteOfWeekReader(timeZone: string | undefined): (atMs: number) => number {
  if (timeZone === undefined) {
    return (atMs) => {
      const date = new Date(atMs);
      return ((date.getDay() + 6) % 7) * 1440 + date.getHours() * 60 + date.getMinutes();
    };
  }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  });
  return (atMs) => {
    let weekday = 0;
    let hour = 0;
    let minute = 0;
    for (const part of format.formatToParts(atMs)) {
      if (part.type === 'weekday') weekday = WEEKDAY_INDEX[part.value] ?? 0;
      else if (part.type === 'hour') hour = Number(part.value);
      else if (part.type === 'minute') minute = Number(part.value);
    }
    return weekday * 1440 + hour * 60 + minute;
  };
}
