import { JobPhaseSchema, type JobPhaseSpan } from '@flock/protocol';
import { customType } from 'drizzle-orm/sqlite-core';

// A frame's job phases as stored: a flat JSON array of integers, the first phase's start, then for each
// phase its rank (its place in download, extract, prepare, render, upload), the time from the previous
// phase's end (or the first start) to its start, and its length, in ms: `[t0, rank, gap, length, …]`.
// About 65 bytes for a job's five phases where the agent's objects take about 320, on every frame row
// kept for 30 days.

const PHASES = JobPhaseSchema.options;

export function encodePhaseSpans(spans: readonly JobPhaseSpan[]): number[] {
  const first = spans[0]?.startedAt;
  if (first === undefined) return [];
  let previousEnd = first;
  const stored = [first];
  for (const span of spans) {
    stored.push(PHASES.indexOf(span.phase), span.startedAt - previousEnd, span.endedAt - span.startedAt);
    previousEnd = span.endedAt;
  }
  return stored;
}

/** The spans `encodePhaseSpans` stored; anything that is not a phase's three integers is left out. */
export function decodePhaseSpans(stored: unknown): JobPhaseSpan[] {
  if (!Array.isArray(stored) || !Number.isSafeInteger(stored[0])) return [];
  let previousEnd = stored[0] as number;
  const spans: JobPhaseSpan[] = [];
  for (let i = 1; i + 2 < stored.length; i += 3) {
    const [rank, gap, length] = stored.slice(i, i + 3);
    const phase = Number.isInteger(rank) ? PHASES[rank] : undefined;
    const startedAt = previousEnd + gap;
    const endedAt = startedAt + length;
    if (phase === undefined || !Number.isSafeInteger(startedAt) || !Number.isSafeInteger(endedAt)) continue;
    spans.push({ phase, startedAt, endedAt });
    previousEnd = endedAt;
  }
  return spans;
}

/** A text column holding job phases in the compact form above; the app reads and writes `JobPhaseSpan[]`. */
export const phaseSpansColumn = customType<{ data: JobPhaseSpan[]; driverData: string }>({
  dataType: () => 'text',
  toDriver: (spans) => JSON.stringify(encodePhaseSpans(spans)),
  fromDriver: (stored) => decodePhaseSpans(JSON.parse(stored)),
});
