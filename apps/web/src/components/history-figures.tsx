'use client';
import { useMemo } from 'react';
import { formatCount, formatCredits, formatDuration } from '../lib/format';
import { bucketUnit, chartColumns, formatInUnit, historyTotals, RANGE_LABEL } from '../lib/history-chart';
import type { HistorySeries } from '../server/history/series';
import { ProjectShares } from './project-shares';
import { type ChartSeries, TimeSeriesChart } from './time-series-chart';

const COLORS = {
  frames: '#3ccf7a',
  credits: '#f0b43c',
  render: '#5aa9ff',
  utilisation: '#c792ea',
  errors: '#ff6b6b',
};

const whole = (value: number) => Math.round(value).toLocaleString();
const percent = (value: number) => `${Math.round(value)}%`;
const inUnit = (suffix: string) => (value: number) => formatInUnit(value, suffix);

/** The range's totals and its charts: frames and credits, render time and utilisation, errors, projects. */
export function HistoryFigures({ series }: { series: HistorySeries }) {
  const totals = historyTotals(series);
  const unit = bucketUnit(series.bucketMs);
  const charts = useMemo(() => {
    const columns = chartColumns(series);
    const frames: ChartSeries[] = [
      {
        label: 'Frames',
        values: columns.frames,
        kind: 'bars',
        color: COLORS.frames,
        axis: 'left',
        format: whole,
        whole: true,
      },
      {
        label: 'Credits',
        values: columns.credits,
        kind: 'line',
        color: COLORS.credits,
        axis: 'right',
        format: whole,
        whole: true,
      },
    ];
    const work: ChartSeries[] = [
      {
        label: 'Render time',
        values: columns.renderTime,
        kind: 'bars',
        color: COLORS.render,
        axis: 'left',
        format: inUnit(columns.renderUnit.suffix),
      },
      {
        label: 'Utilisation',
        values: columns.utilisation,
        kind: 'line',
        color: COLORS.utilisation,
        axis: 'right',
        format: percent,
        max: 100,
      },
    ];
    const errors: ChartSeries[] = [
      {
        label: 'Errors',
        values: columns.errors,
        kind: 'bars',
        color: COLORS.errors,
        axis: 'left',
        format: whole,
        whole: true,
      },
    ];
    return { x: columns.x, frames, work, errors };
  }, [series]);
  const span = { x: charts.x, from: series.from, to: series.to, bucketMs: series.bucketMs };
  const range = `in the last ${RANGE_LABEL[series.range]}`;
  return (
    <>
      <div className="totals history-totals">
        <Figure label="Frames" value={whole(totals.frames)} testId="history-frames" />
        <Figure label="Credits" value={formatCredits(totals.credits)} testId="history-credits" />
        <Figure
          label="Render time"
          value={formatDuration(totals.renderTimeMs / 1000)}
          testId="history-render-time"
        />
        <Figure
          label="Utilisation"
          value={totals.utilisation === null ? '—' : percent(totals.utilisation)}
          testId="history-utilisation"
        />
        <Figure
          label={
            totals.errorsPer100Frames === null
              ? 'Errors'
              : `Errors (${Number(totals.errorsPer100Frames.toFixed(1))} per 100 frames)`
          }
          value={whole(totals.errors)}
          testId="history-errors"
        />
      </div>
      <div className="chart-grid">
        <figure className="chart-card">
          <figcaption>Frames and credits {unit}</figcaption>
          <TimeSeriesChart
            label={`${formatCount(totals.frames, 'frame')} and ${formatCredits(totals.credits)} credits ${range}, ${unit}`}
            series={charts.frames}
            {...span}
          />
        </figure>
        <figure className="chart-card">
          <figcaption>Render time and utilisation {unit}</figcaption>
          <TimeSeriesChart
            label={`Render time ${formatDuration(totals.renderTimeMs / 1000)} ${range}, ${unit}, with the share of online time spent rendering`}
            series={charts.work}
            {...span}
          />
        </figure>
        <figure className="chart-card">
          <figcaption>Errors {unit}</figcaption>
          <TimeSeriesChart
            label={`${formatCount(totals.errors, 'error')} ${range}, ${unit}`}
            series={charts.errors}
            {...span}
          />
        </figure>
        <ProjectShares series={series} />
      </div>
    </>
  );
}

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="total">
      <div className="value" data-testid={testId}>
        {value}
      </div>
      <div className="label">{label}</div>
    </div>
  );
}
