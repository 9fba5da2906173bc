'use client';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBucket, formatTick, WHOLE_STEPS } from '../lib/history-chart';

/** One drawn series: bars or a line, on the left axis or the right one. */
export interface ChartSeries {
  label: string;
  values: (number | null)[];
  kind: 'bars' | 'line';
  color: string;
  /** The right axis holds a second unit (credits beside frames, % beside hours). */
  axis: 'left' | 'right';
  /** The value as the legend and the axis show it. */
  format: (value: number) => string;
  /** A fixed range for this series' axis (utilisation: 0–100 %); else from 0 to the data's maximum. */
  max?: number;
  /** It counts things (frames, credits, errors): its axis steps by whole numbers. */
  whole?: boolean;
}

const AXIS_COLOR = '#8a97a5';
const GRID_COLOR = '#2a333d';
const FONT = '12px system-ui, sans-serif';
const NARROW_PX = 520;

function axisFor(series: ChartSeries, side: 1 | 3): uPlot.Axis {
  return {
    scale: series.axis,
    side,
    stroke: AXIS_COLOR,
    font: FONT,
    size: 48,
    grid: side === 3 ? { stroke: GRID_COLOR, width: 1 } : { show: false },
    ticks: { show: false },
    ...(series.whole ? { incrs: WHOLE_STEPS } : {}),
    values: (_u, splits) => splits.map((v) => series.format(v)),
  };
}

/** The plot's options for this width: fewer x ticks and a narrower gutter on a phone. */
function chartOptions(
  width: number,
  height: number,
  series: ChartSeries[],
  range: { from: number; to: number; bucketMs: number },
): uPlot.Options {
  const narrow = width < NARROW_PX;
  const left = series.find((s) => s.axis === 'left');
  const right = series.find((s) => s.axis === 'right');
  const scale = (s: ChartSeries | undefined): uPlot.Scale => ({
    range: (_u, _min, max) => [0, s?.max ?? Math.max(1, max * 1.1)],
  });
  return {
    width,
    height,
    ms: 1,
    // Without a right axis, room for the last x tick's label (the range's end) to show whole.
    padding: [8, right ? null : 28, null, null],
    legend: { live: true },
    cursor: { points: { size: 6 }, drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: () => [range.from, range.to] },
      left: scale(left),
      right: scale(right),
    },
    axes: [
      {
        stroke: AXIS_COLOR,
        font: FONT,
        space: narrow ? 80 : 60,
        grid: { show: false },
        ticks: { stroke: GRID_COLOR },
        values: (_u, splits, _axis, _space, incr) => splits.map((v) => formatTick(v, incr, range.bucketMs)),
      },
      ...(left ? [axisFor(left, 3)] : []),
      ...(right ? [axisFor(right, 1)] : []),
    ],
    series: [
      { label: 'Time', value: (_u, v) => (v === null ? '' : formatBucket(v, range.bucketMs)) },
      ...series.map(
        (s): uPlot.Series => ({
          label: s.label,
          scale: s.axis,
          stroke: s.color,
          width: s.kind === 'line' ? 2 : 0,
          fill: s.kind === 'bars' ? `${s.color}cc` : undefined,
          paths: s.kind === 'bars' ? uPlot.paths.bars?.({ size: [0.8, 48], align: 1 }) : undefined,
          points: { show: s.kind === 'line' && s.values.length <= 48 },
          spanGaps: false,
          value: (_u, v) => (v === null ? '—' : s.format(v)),
        }),
      ),
    ],
  };
}

/**
 * A time series drawn by uPlot on a canvas, in the viewer's time zone, as wide as its box (redrawn
 * when the box changes width); hovering or touching a bucket shows its values in the legend.
 */
export function TimeSeriesChart({
  label,
  x,
  series,
  from,
  to,
  bucketMs,
  height = 180,
}: {
  label: string;
  x: number[];
  series: ChartSeries[];
  from: number;
  to: number;
  bucketMs: number;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const width = () => Math.max(200, Math.floor(element.clientWidth));
    const build = () =>
      new uPlot(
        chartOptions(width(), height, series, { from, to, bucketMs }),
        [x, ...series.map((s) => s.values)] as uPlot.AlignedData,
        element,
      );
    let plot = build();
    let builtNarrow = width() < NARROW_PX;
    const resize = new ResizeObserver(() => {
      // Crossing the phone width changes the tick spacing, which only a new plot takes.
      if (width() < NARROW_PX !== builtNarrow) {
        plot.destroy();
        plot = build();
        builtNarrow = width() < NARROW_PX;
      } else plot.setSize({ width: width(), height });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, from, to, bucketMs, height]);
  return <div className="chart" ref={box} role="img" aria-label={label} />;
}
