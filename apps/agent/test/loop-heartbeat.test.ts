import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { heartbeatIntervalMs, keepAliveParams } from '../src/farm/heartbeat.js';
import type { LogFields } from '../src/log/index.js';
import { cleanUp, syntheticProject, testAgent, testFarm, until } from './e2e-helpers.js';
import { testJob, testStore } from './support/store.js';

afterEach(cleanUp);

const MINUTE = 60_000;

describe('heartbeat interval (docs/decisions.md D4)', () => {
  it('is min(15 min, 0.75 × max-period)', () => {
    expect(heartbeatIntervalMs(undefined)).toBe(15 * 60_000);
    expect(heartbeatIntervalMs(1440)).toBe(15 * 60_000);
    expect(heartbeatIntervalMs(1200)).toBe(15 * 60_000);
    expect(heartbeatIntervalMs(1000)).toBe(750_000);
    expect(heartbeatIntervalMs(60)).toBe(45_000);
    expect(heartbeatIntervalMs(0)).toBe(15 * 60_000);
  });

  it('never drops below 30 s, whatever max-period a farm sends (no heartbeat storm)', () => {
    expect(heartbeatIntervalMs(1)).toBe(30_000);
    expect(heartbeatIntervalMs(40)).toBe(30_000);
    expect(heartbeatIntervalMs(-5)).toBe(15 * 60_000);
  });
});

describe('keep-alive rendertime (docs/protocol.md §2.5: seconds since the Blender process started)', () => {
  it('is 0 while downloading and preparing, then counts from the render phase only', async () => {
    const clock = new ManualClock();
    const store = testStore(clock);
    const farmJob = { id: '4711', frame: '0007' };
    const job = testJob(clock.now());
    const params = () =>
      keepAliveParams({
        paused: false,
        job: farmJob,
        etaSeconds: store.state.job?.etaSeconds,
        renderStartedAt: store.renderStartedAt,
        now: clock.now(),
      });
    store.update({ job });
    await clock.advance(10 * MINUTE);
    expect(params().job?.renderTimeSeconds).toBe(0);
    store.update({ job: { ...job, phase: 'prepare' } });
    await clock.advance(MINUTE);
    expect(params().job?.renderTimeSeconds).toBe(0);
    store.update({ job: { ...job, phase: 'render' } }); // the render port: Blender has started
    await clock.advance(30_000);
    store.update({ job: { ...job, phase: 'render', progress: 0.5, etaSeconds: 12.4 } });
    await clock.advance(12_000);
    expect(params()).toEqual({
      paused: false,
      job: { id: '4711', frame: '0007', renderTimeSeconds: 42, remainingSeconds: 12 },
    });
    store.update({ job: null });
    expect(store.renderStartedAt).toBeNull();
    store.update({ job: { ...job, id: '4712', phase: 'download' } });
    expect(store.renderStartedAt).toBeNull();
  });

  it('sends only `paused` without a job', () => {
    const params = keepAliveParams({
      paused: true,
      job: undefined,
      etaSeconds: 5,
      renderStartedAt: null,
      now: 0,
    });
    expect(params).toEqual({ paused: true });
  });

  it('reaches the farm: 0 during a 10-minute download, Blender-start based during the render', async () => {
    const farm = await testFarm({ maxPeriodSeconds: 60 }); // a heartbeat after 45 s of silence
    await syntheticProject(farm, 1, { synthetic: { renderMs: 600_000 } });
    farm.faults.add({ kind: 'delay', endpoint: 'download-job', ms: 3_000, times: 1 });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    const beats: LogFields[] = [];
    t.agent.log.onEntry((entry) => {
      if (entry.message === 'heartbeat' && entry.fields.job !== undefined) beats.push(entry.fields);
    });
    await until(() => t.agent.store.state.job?.phase === 'download', { what: 'downloading', lines: t.lines });
    await clock.advance(10 * MINUTE); // the project archive takes 10 minutes to arrive
    await until(() => beats.length > 0, { what: 'a heartbeat while downloading', lines: t.lines });
    expect(beats[0]).toMatchObject({ status: 0, rendertime: 0 });

    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    const counted = beats.length;
    await until(() => beats.length > counted, {
      clock,
      stepMs: 15_000,
      what: 'a heartbeat while rendering',
      lines: t.lines,
    });
    const rendertime = Number(beats[counted]?.rendertime);
    // at least the 45 s of silence since the download ended; never the 10 minutes of download
    expect(rendertime).toBeGreaterThanOrEqual(45);
    expect(rendertime).toBeLessThan(10 * 60);
  });
});
