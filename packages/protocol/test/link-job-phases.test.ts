import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AgentEvent,
  decodeAgentMessage,
  encodeMessage,
  JobPhaseSchema,
  type JobPhaseSpan,
  JobPhaseSpansSchema,
  MAX_JOB_PHASE_SPANS,
  phasesEndBy,
  withoutLatePhases,
} from '../src/link';

const t0 = 1_700_000_000_000;
const phases: JobPhaseSpan[] = [
  { phase: 'download', startedAt: t0, endedAt: t0 + 1_000 },
  { phase: 'extract', startedAt: t0 + 1_000, endedAt: t0 + 1_500 },
  { phase: 'prepare', startedAt: t0 + 1_500, endedAt: t0 + 2_000 },
  { phase: 'render', startedAt: t0 + 2_000, endedAt: t0 + 9_000 },
  { phase: 'upload', startedAt: t0 + 9_000, endedAt: t0 + 9_800 },
];
const frameDone: AgentEvent = {
  kind: 'frame-done',
  jobId: '42',
  project: 'Sheep',
  frame: 7,
  renderTimeMs: 7_000,
  credits: null,
  thumbnail: null,
  phases,
};

const decodeEvent = (event: unknown, at = t0 + 10_000) =>
  decodeAgentMessage(JSON.stringify({ type: 'event', seq: 0, at, event }));

describe('job phases', () => {
  it('carries the phases of a rendered, a failed and a stopped job', () => {
    const events: AgentEvent[] = [
      frameDone,
      { kind: 'error', jobId: '42', code: 'RENDERER_CRASHED', message: 'x', logExcerpt: '', phases },
      { kind: 'job-stopped', jobId: '42', project: 'Sheep', frame: 7, by: 'stop-now', phases },
    ];
    for (const event of events) {
      const decoded = decodeAgentMessage(encodeMessage({ type: 'event', seq: 0, at: t0 + 10_000, event }));
      expect(decoded).toEqual({ ok: true, message: { type: 'event', seq: 0, at: t0 + 10_000, event } });
    }
  });

  it("a failed job's error names its project and frame, within the same bounds as a delivered frame's", () => {
    const failed = { kind: 'error', jobId: '42', code: 'RENDERER_CRASHED', message: 'x', logExcerpt: '' };
    expect(decodeEvent({ ...failed, project: 'Sheep', frame: 7 }).ok).toBe(true);
    expect(decodeEvent(failed).ok).toBe(true); // an older agent's
    expect(decodeEvent({ ...failed, project: 'x'.repeat(301), frame: 7 }).ok).toBe(false);
    expect(decodeEvent({ ...failed, project: 'Sheep', frame: 1.5 }).ok).toBe(false);
  });

  it('accepts events of older agents, which have no phases', () => {
    const { phases: _, ...older } = frameDone as Extract<AgentEvent, { kind: 'frame-done' }>;
    expect(decodeEvent(older).ok).toBe(true);
  });

  it('decodes phases that end after the event was sent (a clock set back): phasesEndBy tells, the console drops only them', () => {
    const late = [{ phase: 'upload', startedAt: t0, endedAt: t0 + 20_000 }] as const;
    expect(decodeEvent({ ...frameDone, phases: late }).ok).toBe(true);
    expect(phasesEndBy([...late], t0 + 10_000)).toBe(false);
    expect(phasesEndBy(phases, t0 + 10_000)).toBe(true);
    expect(phasesEndBy(undefined, 0)).toBe(true);
  });

  it('refuses phases out of order, overlapping, repeated or backwards', () => {
    const cases: unknown[] = [
      [phases[1], phases[0]],
      [phases[0], { ...phases[1], startedAt: t0 + 900 }],
      [phases[0], { ...phases[0], startedAt: t0 + 1_000, endedAt: t0 + 1_100 }],
      [{ ...phases[0], endedAt: t0 - 1 }],
      [{ phase: 'sleep', startedAt: t0, endedAt: t0 + 1 }],
      [],
    ];
    for (const bad of cases)
      expect(decodeEvent({ ...frameDone, phases: bad }).ok, JSON.stringify(bad)).toBe(false);
  });

  it('accepts exactly the ordered, non-overlapping spans, one per phase at most (fuzz)', () => {
    const span = fc.record({
      phase: fc.constantFrom(...JobPhaseSchema.options),
      startedAt: fc.integer({ min: t0, max: t0 + 100 }),
      endedAt: fc.integer({ min: t0, max: t0 + 100 }),
    });
    fc.assert(
      fc.property(fc.array(span, { maxLength: MAX_JOB_PHASE_SPANS + 2 }), (spans) => {
        const order = JobPhaseSchema.options;
        const valid =
          spans.length >= 1 &&
          spans.length <= MAX_JOB_PHASE_SPANS &&
          spans.every((s) => s.startedAt <= s.endedAt) &&
          spans.every(
            (s, i) =>
              i === 0 ||
              (order.indexOf(s.phase) > order.indexOf(spans[i - 1]?.phase ?? s.phase) &&
                s.startedAt >= (spans[i - 1]?.endedAt ?? 0)),
          );
        expect(JobPhaseSpansSchema.safeParse(spans).success).toBe(valid);
        expect(decodeEvent({ ...frameDone, phases: spans }).ok).toBe(valid);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on arbitrary phases (fuzz)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const decoded = decodeEvent({ ...frameDone, phases: value });
        if (!decoded.ok) expect(decoded.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('withoutLatePhases', () => {
  it('keeps an event whose phases end by its sending time, and only drops the phases otherwise', () => {
    expect(withoutLatePhases(frameDone, t0 + 10_000)).toBe(frameDone);
    const { phases: _, ...rest } = frameDone as Extract<AgentEvent, { kind: 'frame-done' }>;
    expect(withoutLatePhases(frameDone, t0 + 9_000)).toEqual(rest);
  });
});
