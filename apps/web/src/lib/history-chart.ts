import type { HistoryRange, HistorySeries } from '../server/history/series';

/** The ranges the charts offer, in the picker's order, as the picker names them. */
export const RANGE_LABEL: Record<HistoryRange, string> = {
  '24h': '24 h',
  '7d': '7 days',
  '30d': '30 days',
  '1y': '1 year',
};
export const CHART_RANGES = Object.keys(RANGE_LABEL) as HistoryRange[];

const HOUR_MS = 3_600_000;

/** The viewer's UTC offset in minutes east of Greenwich (UTC+2 is 120), as `history.series` takes it. */
export function viewerTzOffsetMinutes(at: Date = new Date()): number {
  // getTimezoneOffset() counts the other way: UTC+2 gives -120. `|| 0` turns its -0 into 0.
  return -at.getTimezoneOffset() || 0;
}

/** The series' columns as the charts draw them: one entry per bucket, oldest first. */
export interface ChartColumns {
  /** Bucket starts, epoch ms. */
  x: number[];
  frames: number[];
  credits: number[];
  /** Render time in `renderUnit`s. */
  renderTime: number[];
  renderUnit: RenderTimeUnit;
  /** Render time over online time, in %; null where the scope was not online at all. */
  utilisation: (number | null)[];
  errors: number[];
}

/** Render time over online time as a percentage (capped at 100), or null without online time. */
export function utilisationPercent(renderTimeMs: number, onlineMs: number): number | null {
  if (!(onlineMs > 0)) return null;
  return Math.min(100, (100 * renderTimeMs) / onlineMs);
}

/** The unit a render-time axis counts in: seconds, minutes or hours, after its largest bucket. */
export interface RenderTimeUnit {
  suffix: 's' | 'min' | 'h';
  ms: number;
}

export function renderTimeUnit(largestMs: number): RenderTimeUnit {
  if (largestMs >= 2 * HOUR_MS) return { suffix: 'h', ms: HOUR_MS };
  if (largestMs >= 120_000) return { suffix: 'min', ms: 60_000 };
  return { suffix: 's', ms: 1000 };
}

/** "0.25 s", "1.5 min", "12 h": two decimals at most below 10 (axis steps of a quarter read true), none above. */
export function formatInUnit(value: number, suffix: string): string {
  const digits = value >= 10 ? 0 : 2;
  return `${value.toLocaleString(undefined, { maximumFractionDigits: digits })} ${suffix}`;
}

/** Whole-number steps for axes that count things (frames, credits, errors): never "0.5 frames". */
export const WHOLE_STEPS = [1, 2, 5]
  .flatMap((step) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6].map((scale) => step * scale))
  .sort((a, b) => a - b);

export function chartColumns(series: HistorySeries): ChartColumns {
  const { buckets } = series;
  const renderUnit = renderTimeUnit(Math.max(0, ...buckets.map((b) => b.renderTimeMs)));
  return {
    x: buckets.map((b) => b.start),
    frames: buckets.map((b) => b.frames),
    credits: buckets.map((b) => b.credits),
    renderTime: buckets.map((b) => b.renderTimeMs / renderUnit.ms),
    renderUnit,
    utilisation: buckets.map((b) => utilisationPercent(b.renderTimeMs, b.onlineMs)),
    errors: buckets.map((b) => b.errors),
  };
}

/** The whole range in figures, as the charts' headline states it. */
export interface HistoryTotals {
  frames: number;
  credits: number;
  renderTimeMs: number;
  errors: number;
  /** Render time over online time, in %; null without online time. */
  utilisation: number | null;
  /** Errors per 100 delivered frames; null before the first frame. */
  errorsPer100Frames: number | null;
}

export function historyTotals(series: HistorySeries): HistoryTotals {
  let frames = 0;
  let credits = 0;
  let renderTimeMs = 0;
  let onlineMs = 0;
  let errors = 0;
  for (const bucket of series.buckets) {
    frames += bucket.frames;
    credits += bucket.credits;
    renderTimeMs += bucket.renderTimeMs;
    onlineMs += bucket.onlineMs;
    errors += bucket.errors;
  }
  return {
    frames,
    credits,
    renderTimeMs,
    errors,
    utilisation: utilisationPercent(renderTimeMs, onlineMs),
    errorsPer100Frames: frames > 0 ? (100 * errors) / frames : null,
  };
}

/** True when the range holds nothing to draw: no frame, no error and no time online. */
export function isEmptyHistory(series: HistorySeries): boolean {
  return series.buckets.every((b) => b.frames === 0 && b.errors === 0 && b.onlineMs === 0);
}

/** "per hour" or "per day", after the series' bucket size. */
export const bucketUnit = (bucketMs: number): string => (bucketMs < 86_400_000 ? 'per hour' : 'per day');

/**
 * A bucket as the legend names it, in the viewer's zone and locale: "Mon 14:00–15:00" for an hour,
 * "Mon, 7 Dec 2026" for a day.
 */
export function formatBucket(start: number, bucketMs: number): string {
  const from = new Date(start);
  if (bucketMs >= 86_400_000) {
    return from.toLocaleDateString(undefined, {
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
    });
  }
  const time = (at: Date) => at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const day = from.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
  return `${day} ${time(from)}–${time(new Date(start + bucketMs))}`;
}

/**
 * An x-axis tick in the viewer's zone and locale: the hour for hourly buckets (with the day at
 * midnight, and on every tick when ticks are a day or more apart), the day for daily ones, the
 * month once ticks are months apart.
 */
export function formatTick(at: number, tickSpacingMs: number, bucketMs: number): string {
  const date = new Date(at);
  if (tickSpacingMs >= 28 * 86_400_000)
    return date.toLocaleDateString(undefined, { month: 'short', year: 'numeric' });
  const dayLabel = date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  if (bucketMs >= 86_400_000 || tickSpacingMs >= 86_400_000) return dayLabel;
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return date.getHours() === 0 && date.getMinutes() === 0 ? `${dayLabel}\n${time}` : time;
}

/** The share of each project's frames in the range, largest first, for the ranked bar list. */
export function projectShares(
  series: HistorySeries,
): { project: string; frames: number; credits: number; percent: number }[] {
  const total = series.projects.reduce((sum, p) => sum + p.frames, 0);
  return [...series.projects]
    .sort((a, b) => (a.project === 'Other' ? 1 : b.project === 'Other' ? -1 : b.frames - a.frames))
    .map((p) => ({
      project: p.project,
      frames: p.frames,
      credits: p.credits,
      percent: total > 0 ? (100 * p.frames) / total : 0,
    }));
}
