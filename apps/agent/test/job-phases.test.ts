// The agent's record of each job's phases, sent with the job's event to the console (its per-frame
// timeline), against the real sandbox farm: a delivered frame, a frame that fails, a job the user stops.

import { type AgentEvent, type JobPhaseSpan, JobPhaseSpansSchema } from '@flock/protocol';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../src/clock.js';
import { PhaseTimes, withUpload } from '../src/farm/phase-times.js';
import { cleanUp, syntheticProject, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

type Heard = { event: AgentEvent; at: number };

function heard(agent: { onEvent(listener: (event: AgentEvent) => void): () => void }, now: () => number) {
  const events: Heard[] = [];
  agent.onEvent((event) => events.push({ event, at: now() }));
  return events;
}

/** The spans pass the protocol's own check, follow each other with no gap, and cover the job. */
function expectContiguous(phases: JobPhaseSpan[] | undefined, job: { startedAt: number }, sentAt: number) {
  expect(JobPhaseSpansSchema.safeParse(phases).success).toBe(true);
  const spans = phases ?? [];
  expect(spans[0]?.startedAt).toBe(job.startedAt);
  for (let index = 1; index < spans.length; index++)
    expect(spans[index]?.startedAt).toBe(spans[index - 1]?.endedAt);
  const last = spans.at(-1);
  expect(last?.endedAt).toBeLessThanOrEqual(sentAt);
  const sum = spans.reduce((total, span) => total + span.endedAt - span.startedAt, 0);
  // Contiguous spans: their durations add up to the job's wall time, from its start to the last end.
  expect(sum).toBe((last?.endedAt ?? 0) - job.startedAt);
}

describe("a job's phases", () => {
  it('a delivered frame carries download, extract, prepare, render and upload, in order, covering the job', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 1, { synthetic: { renderMs: 300 } });
    const t = await testAgent(farm, { clock: systemClock, settings: { 'max-frames': 1 } });
    const events = heard(t.agent, systemClock.now);
    let startedAt: number | undefined;
    t.agent.store.on('change', () => {
      startedAt ??= t.agent.store.state.job?.startedAt;
    });
    await until(() => events.some(({ event }) => event.kind === 'frame-done'), {
      what: 'frame-done',
      lines: t.lines,
    });
    const done = events.find(({ event }) => event.kind === 'frame-done');
    const phases = done?.event.kind === 'frame-done' ? done.event.phases : undefined;
    expect(phases?.map((span) => span.phase)).toEqual(['download', 'extract', 'prepare', 'render', 'upload']);
    expect(startedAt).toBeDefined();
    expectContiguous(phases, { startedAt: startedAt ?? 0 }, done?.at ?? 0);
    // Blender's own render time lies inside the prepare and render spans.
    const renderSpans = (phases ?? []).filter((span) => span.phase === 'prepare' || span.phase === 'render');
    const measured = renderSpans.reduce((total, span) => total + span.endedAt - span.startedAt, 0);
    expect(done?.event.kind === 'frame-done' && done.event.renderTimeMs).toBeLessThanOrEqual(measured);
  });

  it('a frame whose render crashes: the error names the project and frame and carries the phases up to the failure', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1, { synthetic: { renderMs: 20, outcome: 'crash' } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    const events = heard(t.agent, () => clock.now());
    let startedAt: number | undefined;
    t.agent.store.on('change', () => {
      startedAt ??= t.agent.store.state.job?.startedAt;
    });
    await until(() => events.some(({ event }) => event.kind === 'error' && event.jobId !== null), {
      what: 'the failure',
      lines: t.lines,
    });
    const failed = events.find(({ event }) => event.kind === 'error' && event.jobId !== null);
    // The name the farm gave the job, as a delivered frame's event names it.
    expect(failed?.event).toMatchObject({ project: `${project.name} (synthetic)`, frame: 1 });
    const phases = failed?.event.kind === 'error' ? failed.event.phases : undefined;
    expect(phases?.map((span) => span.phase).at(-1)).toBe('render');
    expect(phases?.map((span) => span.phase)).not.toContain('upload');
    expectContiguous(phases, { startedAt: startedAt ?? 0 }, failed?.at ?? 0);
  });

  it('a job the user stops: job-stopped carries the phases up to the stop', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 1, { synthetic: { renderMs: 600_000 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    const events = heard(t.agent, () => clock.now());
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    const job = t.agent.store.state.job;
    await clock.advance(5_000);
    await t.agent.execute({ type: 'pause', when: 'now' });
    await until(() => events.some(({ event }) => event.kind === 'job-stopped'), {
      what: 'the stop',
      lines: t.lines,
    });
    const stopped = events.find(({ event }) => event.kind === 'job-stopped');
    const phases = stopped?.event.kind === 'job-stopped' ? stopped.event.phases : undefined;
    expect(phases?.at(-1)?.phase).toBe('render');
    expect(phases?.at(-1)?.endedAt).toBeGreaterThanOrEqual((job?.startedAt ?? 0) + 5_000);
    expectContiguous(phases, { startedAt: job?.startedAt ?? 0 }, stopped?.at ?? 0);
  });
});

describe('phase times on a clock that steps back', () => {
  it('stay ordered and never end before they start', () => {
    let now = 1_700_000_000_000;
    const times = new PhaseTimes({ now: () => now, sleep: async () => {} }, 'download');
    now += 1_000;
    times.enter('extract');
    now -= 60_000; // NTP set the clock back a minute
    times.enter('render');
    now -= 1_000;
    const spans = times.spans();
    expect(spans.map((span) => span.phase)).toEqual(['download', 'extract', 'render']);
    expect(JobPhaseSpansSchema.safeParse(spans).success).toBe(true);
  });
});

describe('phases read back from the upload queue', () => {
  it('a stored item with phases that do not check (an edited or corrupt file) is sent without them', () => {
    const t0 = 1_700_000_000_000;
    const good = [{ phase: 'render', startedAt: t0, endedAt: t0 + 10 }];
    expect(withUpload(good, t0 + 50)).toEqual([
      ...good,
      { phase: 'upload', startedAt: t0 + 10, endedAt: t0 + 50 },
    ]);
    expect(withUpload(undefined, t0)).toBeUndefined();
    expect(withUpload([{ phase: 'upload', startedAt: t0, endedAt: t0 }], t0)).toBeUndefined();
    expect(withUpload([{ ...good[0], endedAt: t0 + 100 }], t0 + 50)).toBeUndefined();
    fc.assert(
      fc.property(fc.jsonValue(), (stored) => {
        const phases = withUpload(stored, t0);
        if (phases) expect(JobPhaseSpansSchema.safeParse(phases).success).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
