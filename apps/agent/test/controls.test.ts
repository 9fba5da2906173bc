// The command API changes what the agent does, against the real sandbox farm.
import { ErrorType } from '@flock/protocol';
import type { RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { Controls } from '../src/controls/index.js';
import { cleanUp, syntheticProject, testAgent, testFarm, until } from './e2e-helpers.js';
import { defaultLimits } from './support/store.js';

afterEach(cleanUp);

const HOUR = 3_600_000;

const countReports = (farm: RunningFarm, type: number) =>
  farm.errorReports().filter((r) => r.type === type).length;
const doneFrames = (farm: RunningFarm, projectId: number) =>
  farm.frames(projectId).filter((frame) => frame.state === 'done').length;

describe('pause, resume, stop', () => {
  it('pause after the frame finishes and delivers that frame, then stops requesting until resumed', async () => {
    const farm = await testFarm({ maxPeriodSeconds: 120 });
    const project = await syntheticProject(farm, 3, { synthetic: { renderMs: 1500 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    expect(await t.agent.execute({ type: 'pause', when: 'after-frame' })).toMatchObject({ ok: true });
    // The console can show "pausing after this frame" while the frame still renders.
    expect(t.agent.store.state).toMatchObject({ status: 'rendering', afterFrame: 'pause' });
    await until(
      () => t.agent.store.state.reason?.code === 'paused-by-user' && doneFrames(farm, project.id) === 1,
      {
        what: 'paused after one delivered frame',
        lines: t.lines,
      },
    );
    expect(t.agent.store.state.status).toBe('paused');
    expect(countReports(farm, ErrorType.RENDERER_KILLED_BY_USER)).toBe(0);
    // time passes: the heartbeat tells the farm, and no job is requested
    await until(() => farm.sessions()[0]?.paused === true, {
      clock,
      stepMs: 60_000,
      what: 'paused=true at the farm',
    });
    expect(farm.jobs()).toHaveLength(1);
    await t.agent.execute({ type: 'resume' });
    await until(() => doneFrames(farm, project.id) === 3, {
      clock,
      stepMs: 30_000,
      what: 'all frames',
      lines: t.lines,
    });
  });

  it('pause now stops the render (reported as type 20) and waits', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 2, { synthetic: { renderMs: 60_000 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    await t.agent.execute({ type: 'pause', when: 'now' });
    await until(() => countReports(farm, ErrorType.RENDERER_KILLED_BY_USER) === 1, {
      what: 'report 20',
      lines: t.lines,
    });
    await until(() => t.agent.store.state.status === 'paused', { what: 'paused' });
    expect(farm.jobs()).toHaveLength(1);
  });

  it('stop now ends the run at once with exit 0 and logs out', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 2, { synthetic: { renderMs: 60_000 } });
    const t = await testAgent(farm);
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    await t.agent.execute({ type: 'stop', when: 'now' });
    expect(await t.run).toBe(0);
    expect(farm.sessions()[0]?.state).toBe('logged-out');
    expect(t.agent.store.local.worker).toBe('stopped');
  });
  it('a stop that arrives while a job request is on the wire is not lost in the following back-off', async () => {
    const farm = await testFarm();
    farm.faults.add({ kind: 'delay', endpoint: 'request-job', ms: 300, times: 1 });
    const t = await testAgent(farm); // no project: the answer is 200, a 5-minute back-off
    await until(() => t.agent.store.local.worker === 'requesting', { what: 'a job request', lines: t.lines });
    await t.agent.execute({ type: 'stop', when: 'now' });
    expect(await t.run).toBe(0);
  });

  it('a limit change does not cut a back-off short', async () => {
    const farm = await testFarm();
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock }); // no project: 200, back-off
    await until(() => t.agent.store.state.reason?.code === 'no-job', { what: 'no job', lines: t.lines });
    const jobRequests = () => farm.sessions()[0]?.lastSeenAt;
    const seen = jobRequests();
    await t.agent.execute({ type: 'set-limits', limits: { cores: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.agent.store.state.reason?.code).toBe('no-job');
    expect(jobRequests()).toBe(seen);
  });
});

describe('block project', () => {
  it('kills the render, reports type 20 and never takes the project again on this machine', async () => {
    const farm = await testFarm();
    const blocked = await syntheticProject(farm, 3, { synthetic: { renderMs: 60_000 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    expect(t.agent.store.state.job?.archiveMd5).toBe(blocked.archiveMd5);
    await t.agent.execute({ type: 'block-project' });
    await until(() => countReports(farm, ErrorType.RENDERER_KILLED_BY_USER) === 1, {
      clock,
      stepMs: 30_000,
      what: 'the block reported',
      lines: t.lines,
    });
    const other = await syntheticProject(farm, 1, { frames: [10, 10] });
    await until(() => doneFrames(farm, other.id) === 1, {
      clock,
      stepMs: 30_000,
      what: 'the other project',
      lines: t.lines,
    });
    // the farm keeps the blocked project away from the session: its other frames are never offered
    expect(countReports(farm, ErrorType.RENDERER_KILLED_BY_USER)).toBe(1);
    expect(doneFrames(farm, blocked.id)).toBe(0);
    expect(t.agent.store.state.stats.framesRendered).toBe(1);
    expect(t.agent.store.state.blockedProjects).toMatchObject([
      { archiveMd5: blocked.archiveMd5, name: `${blocked.name} (synthetic)`, scope: 'machine' },
    ]);
  });
});

describe('request-time windows', () => {
  it('requests only inside an overnight window, waking when it opens', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    const monday20h = new Date(2026, 0, 5, 20, 0).getTime(); // local time, as the windows are
    const clock = new ManualClock(monday20h);
    const t = await testAgent(farm, { clock, settings: { 'request-time': 'mon 22:00-02:00' } });
    await until(() => t.agent.store.state.reason?.code === 'outside-request-time', {
      what: 'outside',
      lines: t.lines,
    });
    expect(t.agent.store.state.reason?.until).toBe(new Date(2026, 0, 5, 22, 0).getTime());
    expect(farm.jobs()).toHaveLength(0);
    await clock.advance(2 * HOUR);
    await until(() => doneFrames(farm, project.id) === 1, {
      what: 'the frame inside the window',
      lines: t.lines,
    });
    // past midnight, still inside; after 02:00 Tuesday, closed until next Monday 22:00
    await until(() => clock.now() >= new Date(2026, 0, 6, 2, 1).getTime(), {
      clock,
      stepMs: 10 * 60_000,
      what: 'Tuesday 02:01',
    });
    await syntheticProject(farm, 1, { frames: [5, 5] });
    await until(() => t.agent.store.state.reason?.code === 'outside-request-time', {
      clock,
      stepMs: 60_000,
      what: 'closed',
      lines: t.lines,
    });
    expect(t.agent.store.state.reason?.until).toBe(new Date(2026, 0, 12, 22, 0).getTime());
    await clock.advance(6 * HOUR);
    expect(farm.jobs()).toHaveLength(1);
  });

  it('changes at runtime, and a bad spec is refused with a reason', async () => {
    const controls = new Controls({ limits: defaultLimits, gpuIds: [] });
    expect(controls.schedule).toBeUndefined();
    expect(
      await controls.execute({ type: 'set-limits', limits: { requestTime: 'sat-sun all day' } }),
    ).toMatchObject({ ok: true });
    expect(controls.schedule?.isOpen(new Date(2026, 0, 10, 12, 0).getTime())).toBe(true);
    expect(controls.schedule?.isOpen(new Date(2026, 0, 12, 12, 0).getTime())).toBe(false);
    const bad = await controls.execute({ type: 'set-limits', limits: { requestTime: 'someday 25:00' } });
    expect(bad).toMatchObject({ ok: false, reason: 'invalid' });
    expect(controls.limits.requestTime).toBe('sat-sun all day');
    expect(await controls.execute({ type: 'set-limits', limits: { gpu: 'CUDA_9' } })).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(await controls.execute({ type: 'bogus' } as never)).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
    expect(await controls.execute({ type: 'set-max-frames', maxFrames: 0 })).toMatchObject({ ok: false });
  });

  it('refuses more cores than the machine has, saying how many it has', async () => {
    const controls = new Controls({ limits: defaultLimits, gpuIds: [], machineCores: 2 });
    const refused = await controls.execute({ type: 'set-limits', limits: { cores: 99 } });
    expect(refused).toMatchObject({ ok: false, reason: 'invalid' });
    expect(refused.message).toMatch(/99 cores.*this machine has 2/);
    expect(controls.limits.cores).toBeNull();
    expect(await controls.execute({ type: 'set-limits', limits: { cores: 2 } })).toMatchObject({ ok: true });
    expect(controls.limits.cores).toBe(2);
  });
});

describe('commands with nothing to do', () => {
  it('resume on a machine that is not paused says so and changes nothing', async () => {
    const controls = new Controls({ limits: defaultLimits });
    const { revision, retries } = controls;
    expect(await controls.execute({ type: 'resume' })).toEqual({
      ok: true,
      unchanged: true,
      message: 'was not paused',
    });
    expect([controls.revision, controls.retries]).toEqual([revision, retries]);
    await controls.execute({ type: 'pause', when: 'after-frame' });
    expect(await controls.execute({ type: 'pause', when: 'after-frame' })).toMatchObject({
      ok: true,
      unchanged: true,
      message: 'was already paused',
    });
    expect(await controls.execute({ type: 'resume' })).toEqual({ ok: true, message: 'resumed' });
  });
});
