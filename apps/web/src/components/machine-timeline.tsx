'use client';
import { type JobPhase, type NotRenderingReason, REASONS_IN_ERROR } from '@flock/protocol';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { formatClockTime, formatDuration, STATUS_LABEL } from '../lib/format';
import { useTRPC } from '../lib/trpc';
import type { MachineTimeline } from '../server/api/routers/timeline';
import type { DisplayStatus, MachineSummary } from '../server/views';
import { reasonHeadline } from './reason-line';

const HOUR = 60 * 60_000;
const RANGES = [
  { label: '1 h', ms: HOUR, tickMs: 10 * 60_000 },
  { label: '6 h', ms: 6 * HOUR, tickMs: HOUR },
  { label: '24 h', ms: 24 * HOUR, tickMs: 3 * HOUR },
] as const;

const PHASE_LANES: { phase: JobPhase; label: string }[] = [
  { phase: 'download', label: 'Download' },
  { phase: 'extract', label: 'Extract' },
  { phase: 'prepare', label: 'Prepare' },
  { phase: 'render', label: 'Render' },
  { phase: 'upload', label: 'Upload' },
];
const LANES = [...PHASE_LANES.map((lane) => lane.label), 'Idle'];

/** Drawing sizes, in SVG units (1 unit = 1 CSS px at the chart's minimum width). */
const CHART = { width: 900, labelWidth: 72, laneHeight: 22, axisHeight: 22, barInset: 4 };
/** A bar never gets thinner than this, so a short phase can still be seen and tapped. */
const MIN_BAR = 3;
/** Below this the chart scrolls sideways rather than squeezing (phones). */
const MIN_CHART_PX = 640;
/** The live edge moves at least this often, and at most this often on state changes. */
const TICK_MS = 30_000;
const REFRESH_FLOOR_MS = 2_000;

interface Bar {
  key: string;
  /** A finished job's phase, the job in progress, or an idle span. */
  kind: 'job' | 'current' | 'idle';
  lane: number;
  laneName: string;
  startedAt: number;
  endedAt: number;
  tone: 'busy' | 'work' | 'idle' | 'paused' | 'error' | 'offline';
  /** What a tap or hover says about it. */
  text: string;
}

/** A Gantt of the machine's jobs (one lane per phase) and idle spans (with their reasons), live. */
export function MachineTimelineCard({ machineId, summary }: { machineId: string; summary: MachineSummary }) {
  const [rangeIndex, setRangeIndex] = useState(0);
  const range = RANGES[rangeIndex] ?? RANGES[0];
  const to = useLiveEdge(liveKey(summary));
  const trpc = useTRPC();
  const query = useQuery({
    ...trpc.timeline.machine.queryOptions({ machineId, from: to - range.ms, to }),
    placeholderData: keepPreviousData,
  });
  const [selected, setSelected] = useState<string | null>(null);
  const bars = useMemo(() => (query.data ? barsOf(query.data, summary) : []), [query.data, summary]);
  const chosen = bars.find((bar) => bar.key === selected);
  const scroller = useNewestInView(rangeIndex, query.data !== undefined);
  return (
    <section className="card timeline" aria-label="Timeline">
      <div className="timeline-head">
        <h2>Timeline</h2>
        <fieldset className="segmented" aria-label="Time range">
          {RANGES.map((option, index) => (
            <button
              key={option.label}
              type="button"
              aria-pressed={index === rangeIndex}
              onClick={() => setRangeIndex(index)}
            >
              Last {option.label}
            </button>
          ))}
        </fieldset>
      </div>
      {query.error ? (
        <p className="error-text">
          Could not load the timeline: {query.error.message}{' '}
          <button type="button" onClick={() => query.refetch()}>
            Try again
          </button>
        </p>
      ) : !query.data ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <div className="timeline-scroll" ref={scroller}>
            <Gantt
              data={query.data}
              bars={bars}
              tickMs={range.tickMs}
              selected={selected}
              onSelect={setSelected}
            />
          </div>
          <p className="timeline-detail" data-testid="timeline-detail" aria-live="polite">
            {chosen ? chosen.text : 'Tap or hover a bar for its frame, phase, duration or reason.'}
          </p>
          <p className="muted small">
            Times are this browser&apos;s local time. Blank stretches: nothing recorded (the console was not
            running, or the machine was not yet paired).
            {query.data.truncated && ' Only the oldest part of this range is shown: choose a shorter one.'}
          </p>
        </>
      )}
    </section>
  );
}

/**
 * A chart wider than its box (phones) scrolls sideways: it shows its newest end, and keeps showing
 * it as the box resizes, until the user scrolls away from it.
 */
function useNewestInView(rangeIndex: number, loaded: boolean) {
  const scroller = useRef<HTMLDivElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new range opens at its newest end again
  useEffect(() => {
    const box = scroller.current;
    if (!box || !loaded) return;
    let pinned = true;
    const toNewest = () => {
      if (pinned) box.scrollLeft = box.scrollWidth;
    };
    const onScroll = () => {
      pinned = box.scrollLeft + box.clientWidth >= box.scrollWidth - 4;
    };
    toNewest();
    box.addEventListener('scroll', onScroll);
    const resizes = new ResizeObserver(toNewest);
    resizes.observe(box);
    return () => {
      box.removeEventListener('scroll', onScroll);
      resizes.disconnect();
    };
  }, [rangeIndex, loaded]);
  return scroller;
}

/** What changes when the machine does something new: the chart re-reads its window then. */
function liveKey(summary: MachineSummary): string {
  const { status, reason, online, job, uploads, framesRendered } = summary;
  return [
    status,
    reason?.code,
    online,
    job?.id,
    job?.phase,
    uploads?.queued,
    uploads?.inFlight,
    framesRendered,
  ].join('|');
}

/** The window's end: now, moved on every `TICK_MS` and when `key` changes (at most every 2 s). */
function useLiveEdge(key: string): number {
  const [edge, setEdge] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setEdge(Date.now()), TICK_MS);
    return () => clearInterval(timer);
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` is the trigger, not a value used
  useEffect(() => {
    const wait = Math.max(0, edge + REFRESH_FLOOR_MS - Date.now());
    const timer = setTimeout(() => setEdge(Date.now()), wait);
    return () => clearTimeout(timer);
  }, [key]);
  return edge;
}

function Gantt({
  data,
  bars,
  tickMs,
  selected,
  onSelect,
}: {
  data: MachineTimeline;
  bars: Bar[];
  tickMs: number;
  selected: string | null;
  onSelect: (key: string) => void;
}) {
  const { width, labelWidth, laneHeight, axisHeight, barInset } = CHART;
  const height = axisHeight + LANES.length * laneHeight;
  const x = (at: number) =>
    labelWidth +
    ((Math.min(Math.max(at, data.from), data.to) - data.from) / (data.to - data.from)) * (width - labelWidth);
  const ticks: number[] = [];
  for (let at = Math.ceil(data.from / tickMs) * tickMs; at <= data.to; at += tickMs) ticks.push(at);
  return (
    <svg
      className="gantt"
      viewBox={`0 0 ${width} ${height}`}
      style={{ minWidth: MIN_CHART_PX }}
      role="img"
      aria-label={`Timeline from ${formatClockTime(data.from)} to ${formatClockTime(data.to)}`}
      data-testid="timeline"
    >
      {LANES.map((lane, index) => (
        <g key={lane}>
          <line
            className="lane-line"
            x1={0}
            x2={width}
            y1={axisHeight + (index + 1) * laneHeight}
            y2={axisHeight + (index + 1) * laneHeight}
          />
          <text className="lane-label" x={4} y={axisHeight + index * laneHeight + laneHeight / 2 + 4}>
            {lane}
          </text>
        </g>
      ))}
      {ticks.map((at) => (
        <g key={at}>
          <line className="tick" x1={x(at)} x2={x(at)} y1={axisHeight - 4} y2={height} />
          <text className="tick-label" x={x(at)} y={axisHeight - 8} textAnchor="middle">
            {new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
          </text>
        </g>
      ))}
      {bars.map((bar) => (
        // biome-ignore lint/a11y/useSemanticElements: an SVG bar cannot be a <button>; it takes focus and Enter like one
        <rect
          key={bar.key}
          role="button"
          tabIndex={0}
          aria-label={bar.text}
          className={`bar tone-${bar.tone}${bar.key === selected ? ' selected' : ''}`}
          data-testid="timeline-bar"
          data-lane={bar.laneName}
          data-kind={bar.kind}
          x={Math.min(x(bar.startedAt), width - MIN_BAR)}
          width={Math.max(MIN_BAR, x(bar.endedAt) - x(bar.startedAt))}
          y={axisHeight + bar.lane * laneHeight + barInset}
          height={laneHeight - 2 * barInset}
          onClick={() => onSelect(bar.key)}
          onMouseEnter={() => onSelect(bar.key)}
          onFocus={() => onSelect(bar.key)}
          onKeyDown={(event) => event.key === 'Enter' && onSelect(bar.key)}
        >
          <title>{bar.text}</title>
        </rect>
      ))}
    </svg>
  );
}

const span = (startedAt: number, endedAt: number) =>
  `${formatClockTime(startedAt)} – ${formatClockTime(endedAt)} (${formatDuration((endedAt - startedAt) / 1000)})`;

/** Every bar of the window: each job's phases, the job in progress, and the idle spans. */
function barsOf(data: MachineTimeline, summary: MachineSummary): Bar[] {
  const bars: Bar[] = [];
  for (const job of data.jobs) {
    const what =
      job.frame === null ? `Job ${job.jobId}` : `Frame ${job.frame} of ${job.project ?? `job ${job.jobId}`}`;
    const outcome = job.outcome === 'rendered' ? '' : ` — ${job.detail ?? job.outcome}`;
    for (const phase of job.phases) {
      const lane = PHASE_LANES.findIndex((entry) => entry.phase === phase.phase);
      const label = PHASE_LANES[lane]?.label ?? phase.phase;
      bars.push({
        key: `${job.jobId}:${job.endedAt}:${phase.phase}`,
        kind: 'job',
        lane,
        laneName: phase.phase,
        startedAt: phase.startedAt,
        endedAt: phase.endedAt,
        tone:
          job.outcome === 'failed'
            ? 'error'
            : job.outcome === 'stopped'
              ? 'paused'
              : phase.phase === 'render'
                ? 'busy'
                : 'work',
        text: `${what} · ${label} · ${span(phase.startedAt, phase.endedAt)}${outcome}`,
      });
    }
  }
  const job = summary.online ? summary.job : null;
  if (job) {
    const lane = PHASE_LANES.findIndex((entry) => entry.phase === job.phase);
    bars.push({
      key: `current:${job.id}`,
      kind: 'current',
      lane,
      laneName: job.phase,
      startedAt: job.startedAt,
      endedAt: data.now,
      tone: 'work',
      text: `Frame ${job.frame} of ${job.project} · in progress since ${formatClockTime(job.startedAt)}, now: ${PHASE_LANES[lane]?.label ?? job.phase}`,
    });
  }
  for (const [index, idle] of data.idle.entries()) {
    const endedAt = idle.endedAt ?? data.now;
    bars.push({
      key: `idle:${index}:${idle.startedAt}`,
      kind: 'idle',
      lane: PHASE_LANES.length,
      laneName: 'idle',
      startedAt: idle.startedAt,
      endedAt,
      tone: idleTone(idle.status, idle.reason),
      text: `${idleWords(idle.status, idle.reason)} · ${span(idle.startedAt, endedAt)}${idle.endedAt === null ? ', still' : ''}`,
    });
  }
  return bars;
}

/** The idle reason in the console's own words (as the machine's status line says it). */
function idleWords(status: string, reason: NotRenderingReason | null): string {
  if (status === 'offline') return 'Offline: the link to the console was down';
  const label = STATUS_LABEL[status as DisplayStatus] ?? status;
  return reason ? `${label}: ${reasonHeadline(reason, true)}` : label;
}

function idleTone(status: string, reason: NotRenderingReason | null): Bar['tone'] {
  if (status === 'offline') return 'offline';
  if (status === 'error' || (reason && REASONS_IN_ERROR.has(reason.code))) return 'error';
  if (status === 'paused' || status === 'stopping' || reason?.code === 'stopped-by-user') return 'paused';
  return 'idle';
}
