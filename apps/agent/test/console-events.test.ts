// What the agent tells the console as events, against the real sandbox farm: the user's own actions
// are events, not errors; a farm that does not answer and a frame the farm refuses are errors, with
// their evidence; the farm's session credits go to the frames they were earned by.
import type { AgentEvent } from '@flock/protocol';
import { CREDITS_PER_FRAME } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { cleanUp, syntheticProject, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

type EventOf<K extends AgentEvent['kind']> = Extract<AgentEvent, { kind: K }>;

function heard(agent: { onEvent(listener: (event: AgentEvent) => void): () => void }) {
  const events: AgentEvent[] = [];
  agent.onEvent((event) => events.push(event));
  const of = <K extends AgentEvent['kind']>(kind: K) =>
    events.filter((event): event is EventOf<K> => event.kind === kind);
  return { events, of };
}

describe('events for the console', () => {
  it('a job the user stops (pause now, block the project) is an event of its own, never an error', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 5, { synthetic: { renderMs: 600_000 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    const seen = heard(t.agent);
    const rendering = () => t.agent.store.state.job?.phase === 'render';
    await until(rendering, { what: 'rendering', lines: t.lines });
    const paused = t.agent.store.state.job;
    await t.agent.execute({ type: 'pause', when: 'now' });
    await until(() => seen.of('job-stopped').length === 1, { what: 'the stop announced', lines: t.lines });
    expect(seen.of('job-stopped')[0]).toMatchObject({
      jobId: paused?.id,
      frame: paused?.frame,
      project: paused?.project,
      by: 'pause-now',
    });

    // The farm keeps a project a user stopped (type 20) away from that session: another one comes.
    await syntheticProject(farm, 5, { synthetic: { renderMs: 600_000 } });
    await t.agent.execute({ type: 'resume' });
    // The next request waits for the floor after a job that ended without a frame.
    await until(rendering, { clock, stepMs: 5_000, what: 'rendering again', lines: t.lines });
    await t.agent.execute({ type: 'block-project' });
    await until(() => seen.of('job-stopped').length === 2, { what: 'the block announced', lines: t.lines });
    expect(seen.of('job-stopped')[1]).toMatchObject({ by: 'block-project' });
    expect(seen.of('error')).toEqual([]);
  });

  it('a farm that does not answer in time is one error per outage, with the log as evidence', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 5);
    // Each cut request leaves its job with the session (3 at most): two of them, one outage.
    farm.faults.add({ kind: 'delay', endpoint: 'request-job', ms: 2_000, times: 2 });
    const clock = new ManualClock(Date.now());
    // Requests are cut below 1 KiB/s over 60 s: on the manual clock, stepped 1 s per 10 ms, a request
    // held 2 s is cut while the farm's quick answers are not.
    const t = await testAgent(farm, { clock, rateFloor: { windowMs: 60_000 } });
    const seen = heard(t.agent);
    // Two requests time out in a row, then the farm answers and frames flow.
    await until(() => t.agent.store.local.framesDelivered >= 1, {
      clock,
      stepMs: 1_000,
      what: 'a frame after the outage',
      lines: t.lines,
    });
    const errors = seen.of('error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ jobId: null, code: 'farm-unreachable' });
    expect(errors[0]?.message).toMatch(/did not answer in time/);
    expect(errors[0]?.logExcerpt).toMatch(/job request failed/);
    expect(errors[0]?.logExcerpt).toMatch(/slower than/);
  });

  it('a frame the farm refuses is an error naming the frame, with the farm answer as evidence', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 5);
    farm.faults.add({ kind: 'status', endpoint: 'validation', status: 308, times: 1 });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    const seen = heard(t.agent);
    await until(() => seen.of('error').length > 0 && t.agent.store.local.framesDelivered >= 1, {
      clock,
      stepMs: 1_000,
      what: 'a refused frame and a delivered one',
      lines: t.lines,
    });
    const [refused] = seen.of('error');
    expect(refused?.jobId).toMatch(/^\d+$/);
    expect(refused?.message).toMatch(/refused frame \d+ .*308/);
    expect(refused?.logExcerpt).toMatch(/the farm refused a frame/);
  });

  it("the farm's session credits go to the frames delivered since its previous report", async () => {
    const farm = await testFarm();
    const frames = 6;
    await syntheticProject(farm, frames);
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    const seen = heard(t.agent);
    const credited = () => seen.of('frame-credits').flatMap((event) => event.frames);
    // The last frame's credits come with the job request after its delivery (the farm reports them
    // nowhere else): the "no job" back-off passes on the manual clock.
    await until(() => credited().length === frames, {
      clock,
      stepMs: 30_000,
      what: 'credits for every frame',
      lines: t.lines,
    });
    const delivered = seen.of('frame-done').map((event) => event.jobId);
    expect(credited().map((frame) => frame.jobId)).toEqual(delivered);
    for (const frame of credited()) expect(frame.credits).toBe(CREDITS_PER_FRAME);
    expect(farm.sessions()[0]?.creditsSession).toBe(frames * CREDITS_PER_FRAME);
  });

  it('log lines keep their fields (job, frame, project) over the link, and are searched by them', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 1);
    const t = await testAgent(farm);
    await until(() => t.agent.store.local.framesDelivered === 1, { what: 'a frame', lines: t.lines });
    const received = t.agent.state().recentLog.find((line) => line.message === 'job received');
    expect(received?.fields).toEqual({ job: '100', project: 'Synthetic project (synthetic)', frame: '0001' });
    expect(t.agent.logs({ limit: 100, search: 'frame=0001' }).map((line) => line.message)).toEqual(
      expect.arrayContaining(['job received', 'frame rendered', 'frame delivered']),
    );
  });
});
