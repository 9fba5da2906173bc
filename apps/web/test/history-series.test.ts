// history.series over real HTTP against a real console and its SQLite file, with the console's clock
// injected: frames stored through the link's storage path at bucket edges, in zones +5:30 and −8, from
// a machine removed since, with credits arriving after their frames.
import type { AgentEvent } from '@flock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS } from '../src/server/history/buckets';
import type { HistorySeries } from '../src/server/history/series';
import type { RunningConsole } from '../src/server/start';
import { call, dataOf, login, startTestConsole } from './support/console';

const MINUTE = 60_000;
/** 2026-03-10 00:00 UTC. */
const DAY0 = Date.UTC(2026, 2, 10);

let running: RunningConsole | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function consoleAt(now: number) {
  const clock = { now };
  running = await startTestConsole({ now: () => clock.now });
  const cookie = await login(running);
  const { core } = running;
  let seq = 0;
  const store = (machineId: string, at: number, event: AgentEvent) =>
    core.repo.insertEvent(machineId, 'boot-1', ++seq, at, event);
  const frame = (machineId: string, at: number, project = 'Sheep', credits: number | null = 2) =>
    store(machineId, at, {
      kind: 'frame-done',
      jobId: `job-${seq + 1}`,
      project,
      frame: seq,
      renderTimeMs: 1_000,
      credits,
      thumbnail: null,
    });
  const series = async (input: Record<string, unknown>) => {
    const answer = await call(running as RunningConsole, 'query', 'history.series', input, { cookie });
    expect(answer.status).toBe(200);
    return dataOf<HistorySeries>(answer.body);
  };
  await core.repo.createMachine('m1', 'render-01', 'h', DAY0 - 400 * DAY_MS);
  await core.repo.createMachine('m2', 'render-02', 'h', DAY0 - 400 * DAY_MS);
  return { clock, cookie, core, store, frame, series };
}

const framesPerBucket = (series: HistorySeries) =>
  series.buckets.flatMap((bucket, index) => (bucket.frames > 0 ? [[index, bucket.frames]] : []));

describe('history.series', () => {
  it('gives 24 dense hourly buckets ending with the current hour; frames at the edges land on their side', async () => {
    const now = DAY0 + 10 * HOUR_MS + 30 * MINUTE;
    const { frame, series } = await consoleAt(now);
    const from = DAY0 + 11 * HOUR_MS - DAY_MS;
    await frame('m1', from - 1); // before the range
    await frame('m1', from); // first bucket
    await frame('m1', DAY0 + 10 * HOUR_MS - 1); // the hour before the current one
    await frame('m2', DAY0 + 10 * HOUR_MS); // the current hour
    await frame('m2', now);

    const fleet = await series({ range: '24h', tzOffsetMinutes: 0 });
    expect(fleet).toMatchObject({ range: '24h', bucketMs: HOUR_MS, from, to: DAY0 + 11 * HOUR_MS });
    expect(fleet.buckets).toHaveLength(24);
    expect(fleet.buckets.map((bucket) => bucket.start)).toEqual(
      Array.from({ length: 24 }, (_, i) => from + i * HOUR_MS),
    );
    expect(framesPerBucket(fleet)).toEqual([
      [0, 1],
      [22, 1],
      [23, 2],
    ]);
    expect(fleet.buckets[23]).toEqual({
      start: DAY0 + 10 * HOUR_MS,
      frames: 2,
      credits: 4,
      renderTimeMs: 2_000,
      onlineMs: 0,
      errors: 0,
    });
    expect(framesPerBucket(await series({ range: '24h', machineId: 'm1', tzOffsetMinutes: 0 }))).toEqual([
      [0, 1],
      [22, 1],
    ]);
    // A machine with no history: zero buckets, not an error.
    const none = await series({ range: '7d', machineId: 'nobody', tzOffsetMinutes: 0 });
    expect(none.buckets).toHaveLength(7 * 24);
    expect(none.buckets.every((bucket) => bucket.frames === 0 && bucket.onlineMs === 0)).toBe(true);
  });

  it('cuts days at the viewer’s midnight, 8 hours behind UTC', async () => {
    // 12:00 UTC on DAY0 is 04:00 local in UTC−8; that local day started at 08:00 UTC.
    const { frame, series } = await consoleAt(DAY0 + 12 * HOUR_MS);
    const today = DAY0 + 8 * HOUR_MS;
    await frame('m1', today - 1); // 23:59:59.999 the day before, local
    await frame('m1', today); // local midnight
    await frame('m1', today + 3 * HOUR_MS); // 03:00 local
    await frame('m1', today - 29 * DAY_MS); // the first day of the range
    await frame('m1', today - 29 * DAY_MS - 1); // before it

    const days = await series({ range: '30d', tzOffsetMinutes: -480 });
    expect(days).toMatchObject({ bucketMs: DAY_MS, from: today - 29 * DAY_MS, to: today + DAY_MS });
    expect(days.buckets).toHaveLength(30);
    expect(framesPerBucket(days)).toEqual([
      [0, 1],
      [28, 1],
      [29, 2],
    ]);
  });

  it('cuts days at the viewer’s midnight, 5:30 ahead of UTC', async () => {
    // 12:00 UTC on DAY0 is 17:30 local; local midnight was 18:30 UTC the day before.
    const { frame, series } = await consoleAt(DAY0 + 12 * HOUR_MS);
    const today = DAY0 - 5 * HOUR_MS - 30 * MINUTE;
    await frame('m1', today + 30 * MINUTE); // 00:30 local, today
    await frame('m1', today + 90 * MINUTE); // 01:30 local, today
    await frame('m1', today - 31 * MINUTE); // 23:29 local, yesterday
    await frame('m1', DAY0 + 11 * HOUR_MS); // 16:30 local, today

    const days = await series({ range: '30d', tzOffsetMinutes: 330 });
    expect(days).toMatchObject({ from: today - 29 * DAY_MS, to: today + DAY_MS });
    expect(days.buckets.map((bucket) => bucket.start).slice(-2)).toEqual([today - DAY_MS, today]);
    expect(framesPerBucket(days)).toEqual([
      [28, 1],
      [29, 3],
    ]);
  });

  it('keeps a removed machine in the fleet’s year, and its credits granted late in their frame’s day', async () => {
    const now = DAY0 + 12 * HOUR_MS;
    const { core, frame, store, series } = await consoleAt(now);
    // 200 days ago, from a machine removed since: only the roll-ups know it by now.
    await frame('m2', now - 200 * DAY_MS, 'Goat', null);
    await store('m2', now - 200 * DAY_MS + HOUR_MS, {
      kind: 'frame-credits',
      frames: [{ jobId: 'job-1', credits: 7 }],
    });
    await core.repo.revokeMachine('m2', now - 100 * DAY_MS);
    await frame('m1', now - HOUR_MS);
    await core.sweeper.sweep();
    expect(await core.repo.recentFrames('m2', 10)).toEqual([]); // its raw frame is gone

    const year = await series({ range: '1y', tzOffsetMinutes: 0 });
    expect(year.buckets).toHaveLength(365);
    expect(framesPerBucket(year)).toEqual([
      [164, 1],
      [364, 1],
    ]);
    expect(year.buckets[164]).toMatchObject({ start: DAY0 - 200 * DAY_MS, credits: 7 });
    // Project totals read whole UTC days from the daily rows and the edges from the hourly ones.
    expect(year.projects).toEqual([
      { project: 'Goat', frames: 1, credits: 7, renderTimeMs: 1_000 },
      { project: 'Sheep', frames: 1, credits: 2, renderTimeMs: 1_000 },
    ]);
    const week = await series({ range: '7d', tzOffsetMinutes: 0 });
    expect(week.projects).toEqual([{ project: 'Sheep', frames: 1, credits: 2, renderTimeMs: 1_000 }]);
    // The machine's own year reads its days (its hours are kept 90 days).
    const machine = await series({ range: '1y', machineId: 'm2', tzOffsetMinutes: 0 });
    expect(framesPerBucket(machine)).toEqual([[164, 1]]);
    expect(machine.projects).toEqual([{ project: 'Goat', frames: 1, credits: 7, renderTimeMs: 1_000 }]);
  });

  it('names the ten projects with the most frames and sums the rest as Other; counts errors and connected time', async () => {
    const now = DAY0 + 12 * HOUR_MS;
    const { clock, core, frame, store, series } = await consoleAt(now - 2 * HOUR_MS);
    core.history.connected('m1');
    for (let project = 1; project <= 12; project++)
      for (let n = 0; n < project; n++) await frame('m1', now - 3 * HOUR_MS, `Project ${project}`);
    await store('m1', now - 90 * MINUTE, {
      kind: 'error',
      jobId: null,
      code: 'render',
      message: 'Blender crashed',
      logExcerpt: '',
    });
    await store('m1', now - 80 * MINUTE, {
      kind: 'job-stopped',
      jobId: 'x',
      project: 'Sheep',
      frame: 1,
      by: 'stop-now',
    });
    clock.now = now - 30 * MINUTE;
    core.history.disconnected('m1');
    clock.now = now;

    const day = await series({ range: '24h', tzOffsetMinutes: 0 });
    expect(day.projects.map(({ project, frames }) => [project, frames])).toEqual([
      ...Array.from({ length: 10 }, (_, i) => [`Project ${12 - i}`, 12 - i]),
      ['Other', 3],
    ]);
    expect(day.projects.at(-1)).toEqual({ project: 'Other', frames: 3, credits: 6, renderTimeMs: 3_000 });
    const hours = day.buckets.slice(-3).map(({ onlineMs, errors }) => [onlineMs, errors]);
    // Connected 10:00–11:30, an error at 10:30 (a job stopped by the user is not one), now 12:00.
    expect(hours).toEqual([
      [HOUR_MS, 1],
      [30 * MINUTE, 0],
      [0, 0],
    ]);
  });

  it('counts a connected machine’s time up to now, before the sweep stores it (machine and fleet)', async () => {
    const now = DAY0 + 12 * HOUR_MS + 20 * MINUTE;
    const { clock, core, series } = await consoleAt(now - 40 * MINUTE);
    core.history.connected('m1');
    core.history.connected('m2');
    clock.now = now - 30 * MINUTE;
    core.history.disconnected('m2');
    clock.now = now;
    // m1: 11:40 to now (12:20), nothing of it stored yet; m2: 11:40–11:50, stored at its disconnect.
    const machine = await series({ range: '24h', machineId: 'm1', tzOffsetMinutes: 0 });
    expect(machine.buckets.slice(-2).map(({ onlineMs }) => onlineMs)).toEqual([20 * MINUTE, 20 * MINUTE]);
    const fleet = await series({ range: '24h', tzOffsetMinutes: 0 });
    expect(fleet.buckets.slice(-2).map(({ onlineMs }) => onlineMs)).toEqual([30 * MINUTE, 20 * MINUTE]);
    const days = await series({ range: '30d', machineId: 'm1', tzOffsetMinutes: 0 });
    expect(days.buckets.at(-1)?.onlineMs).toBe(40 * MINUTE);
  });

  it('refuses a time zone offset beyond ±14 hours, an unknown range, and a caller without a session', async () => {
    const { cookie } = await consoleAt(DAY0);
    const console = running as RunningConsole;
    for (const input of [
      { range: '24h', tzOffsetMinutes: 841 },
      { range: '24h', tzOffsetMinutes: 1.5 },
      { range: '2d', tzOffsetMinutes: 0 },
      { range: '24h' },
    ])
      expect((await call(console, 'query', 'history.series', input, { cookie })).status).toBe(400);
    const anonymous = await call(console, 'query', 'history.series', { range: '24h', tzOffsetMinutes: 0 });
    expect(anonymous.status).toBe(401);
  });
});
