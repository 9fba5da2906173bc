import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chartColumns,
  formatInUnit,
  historyTotals,
  isEmptyHistory,
  projectShares,
  renderTimeUnit,
  utilisationPercent,
  viewerTzOffsetMinutes,
  WHOLE_STEPS,
} from '../src/lib/history-chart';
import type { HistoryBucket, HistorySeries } from '../src/server/history/series';

const HOUR = 3_600_000;
const bucket = (start: number, fields: Partial<HistoryBucket> = {}): HistoryBucket => ({
  start,
  frames: 0,
  credits: 0,
  renderTimeMs: 0,
  onlineMs: 0,
  errors: 0,
  ...fields,
});
const series = (buckets: HistoryBucket[], projects: HistorySeries['projects'] = []): HistorySeries => ({
  range: '24h',
  bucketMs: HOUR,
  from: buckets[0]?.start ?? 0,
  to: (buckets.at(-1)?.start ?? 0) + HOUR,
  buckets,
  projects,
});

describe('history charts: figures from the series', () => {
  it('utilisation is render time over online time, in %, and unknown without online time', () => {
    const s = series([
      bucket(0, { renderTimeMs: HOUR / 2, onlineMs: HOUR, frames: 3 }),
      bucket(HOUR),
      bucket(2 * HOUR, { renderTimeMs: HOUR, onlineMs: HOUR / 4 }),
    ]);
    const columns = chartColumns(s);
    expect(columns.x).toEqual([0, HOUR, 2 * HOUR]);
    expect(columns.utilisation).toEqual([50, null, 100]);
    expect(columns.renderUnit.suffix).toBe('min');
    expect(columns.renderTime).toEqual([30, 0, 60]);
    expect(utilisationPercent(5, 0)).toBeNull();
  });

  it('render time is counted in seconds, minutes or hours after the largest bucket', () => {
    expect(renderTimeUnit(1100).suffix).toBe('s');
    expect(renderTimeUnit(119_000).suffix).toBe('s');
    expect(renderTimeUnit(5 * 60_000).suffix).toBe('min');
    expect(renderTimeUnit(3 * HOUR).suffix).toBe('h');
    const tiny = chartColumns(series([bucket(0, { renderTimeMs: 1100 })]));
    expect(tiny.renderTime).toEqual([1.1]);
    // Axis steps of a quarter are labelled as they are, not rounded to 0.3 and 0.8.
    expect([0.25, 0.5, 0.75, 12.4].map((v) => formatInUnit(v, 's'))).toEqual([
      '0.25 s',
      '0.5 s',
      '0.75 s',
      '12 s',
    ]);
  });

  it('axes that count things step by whole numbers', () => {
    expect(WHOLE_STEPS.slice(0, 6)).toEqual([1, 2, 5, 10, 20, 50]);
    expect(WHOLE_STEPS.every(Number.isInteger)).toBe(true);
  });

  it('totals sum the buckets, with errors per 100 frames once a frame exists', () => {
    const s = series([
      bucket(0, { frames: 8, credits: 40, renderTimeMs: 1000, onlineMs: 4000, errors: 1 }),
      bucket(HOUR, { frames: 2, credits: 10, renderTimeMs: 1000, onlineMs: 4000, errors: 1 }),
    ]);
    expect(historyTotals(s)).toEqual({
      frames: 10,
      credits: 50,
      renderTimeMs: 2000,
      errors: 2,
      utilisation: 25,
      errorsPer100Frames: 20,
    });
    expect(historyTotals(series([bucket(0, { errors: 3 })])).errorsPer100Frames).toBeNull();
  });

  it('a range is empty only with no frame, no error and no online time', () => {
    expect(isEmptyHistory(series([bucket(0), bucket(HOUR)]))).toBe(true);
    expect(isEmptyHistory(series([bucket(0), bucket(HOUR, { onlineMs: 1 })]))).toBe(false);
    expect(isEmptyHistory(series([bucket(0, { errors: 1 })]))).toBe(false);
  });

  it('project shares rank by frames with "Other" last, and sum to 100 %', () => {
    const shares = projectShares(
      series(
        [bucket(0)],
        [
          { project: 'Other', frames: 50, credits: 1, renderTimeMs: 1 },
          { project: 'a', frames: 10, credits: 1, renderTimeMs: 1 },
          { project: 'b', frames: 40, credits: 1, renderTimeMs: 1 },
        ],
      ),
    );
    expect(shares.map((s) => s.project)).toEqual(['b', 'a', 'Other']);
    expect(shares.reduce((sum, s) => sum + s.percent, 0)).toBeCloseTo(100);
    expect(
      projectShares(series([bucket(0)], [{ project: 'x', frames: 0, credits: 0, renderTimeMs: 0 }]))[0]
        ?.percent,
    ).toBe(0);
  });

  it('utilisation stays within 0–100 % or unknown for any bucket', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (renderTimeMs, onlineMs) => {
        const value = utilisationPercent(renderTimeMs, onlineMs);
        return value === null ? onlineMs === 0 : value >= 0 && value <= 100;
      }),
    );
  });

  it("the viewer's offset counts minutes east of UTC", () => {
    const at = new Date();
    expect(viewerTzOffsetMinutes(at)).toBe(-at.getTimezoneOffset() || 0);
    expect(Object.is(viewerTzOffsetMinutes(new Date(0)), -0)).toBe(false);
  });
});
