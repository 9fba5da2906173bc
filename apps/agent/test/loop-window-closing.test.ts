// Finish before the window closes, against the real sandbox farm: the agent asks for no job when its
// estimate of the next frame would not end before the request-time window closes, asks when it
// would, learns frame times from the frames it delivers, and keeps them across a restart.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorType } from '@flock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { BLOCKED_PROJECTS_FILE } from '../src/farm/blocked-projects.js';
import { type FrameTimes, frameDelivered, projectGiven } from '../src/farm/frame-estimate.js';
import { stateFilePath } from '../src/state/index.js';
import { cleanUp, doneFrames, syntheticProject, tempDir, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

const MINUTE = 60_000;
// Local times, as the windows are: Monday 5 January 2026 17:50, the window closing at 18:00 and
// opening again at 19:00.
const monday1750 = new Date(2026, 0, 5, 17, 50).getTime();
const nextOpening = new Date(2026, 0, 5, 19, 0).getTime();
const WINDOW = { 'request-time': 'mon 08:00-18:00, mon 19:00-23:00' };

/** A cache dir holding the state file of an earlier run that delivered frames of `project`. */
async function cacheDirWithFrames(project: string, minutes: number[]): Promise<string> {
  const cacheDir = await tempDir('agent');
  let frameTimes: FrameTimes = projectGiven({ lastGiven: null, projects: [] }, project);
  for (const value of minutes) frameTimes = frameDelivered(frameTimes, project, value * MINUTE);
  await mkdir(cacheDir, { recursive: true });
  await writeFile(
    stateFilePath(cacheDir),
    JSON.stringify({ pid: 1, writtenAt: monday1750 - MINUTE, running: false, local: { frameTimes } }),
  );
  return cacheDir;
}

describe('finish before the window closes', () => {
  it('asks for no job when the next frame would not end by the close, and resumes at the next opening', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    const cacheDir = await cacheDirWithFrames('slow project', [19, 20, 20, 21, 60]);
    const clock = new ManualClock(monday1750);
    const t = await testAgent(farm, { clock, cacheDir, settings: WINDOW });
    await until(() => t.agent.store.state.reason?.code === 'window-closing', {
      what: 'the window-closing reason',
      lines: t.lines,
    });
    const reason = t.agent.store.state.reason;
    expect(reason?.message).toMatch(
      /^the next frame \(about 20 min\) would not finish before the window closes at /,
    );
    expect(reason?.until).toBe(nextOpening);
    expect(farm.jobs()).toHaveLength(0);
    // past the close it is simply outside the window; at the next opening it asks again
    await clock.advance(15 * MINUTE);
    await until(() => t.agent.store.state.reason?.code === 'outside-request-time', { what: 'closed' });
    expect(farm.jobs()).toHaveLength(0);
    await clock.advance(nextOpening - clock.now());
    await until(() => doneFrames(farm, project.id) === 1, {
      clock,
      stepMs: 30_000,
      what: 'the frame after the next opening',
      lines: t.lines,
    });
  });

  it('asks for a job when the frame fits, learns its time, and keeps the times across a restart', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 2);
    const cacheDir = await cacheDirWithFrames('quick project', [5, 5, 6]);
    const clock = new ManualClock(monday1750);
    const first = await testAgent(farm, { clock, cacheDir, settings: { ...WINDOW, 'max-frames': 1 } });
    await until(() => first.agent.store.local.worker === 'stopped', {
      what: 'one frame delivered',
      lines: first.lines,
    });
    expect(await first.run).toBe(0);
    expect(doneFrames(farm, project.id)).toBe(1);
    const learned = first.agent.store.local.frameTimes;
    const projectName = learned.lastGiven;
    expect(projectName).toContain(project.name);
    expect(learned.projects.map((entry) => entry.name)).toEqual(['quick project', projectName]);
    expect(learned.projects.at(-1)?.wallMs).toHaveLength(1);

    const second = await testAgent(farm, { clock, cacheDir, settings: WINDOW, start: false });
    expect(second.agent.store.local.frameTimes).toEqual(learned);
  });

  it('does not take a refused job of a blocked project for the likeliest next one', async () => {
    const farm = await testFarm();
    const blocked = await syntheticProject(farm, 1);
    const cacheDir = await cacheDirWithFrames('quick project', [5]);
    const block = {
      archiveMd5: blocked.archiveMd5,
      name: blocked.name,
      blockedAt: monday1750,
      scope: 'machine',
    };
    await writeFile(path.join(cacheDir, BLOCKED_PROJECTS_FILE), JSON.stringify({ projects: [block] }));
    const clock = new ManualClock(monday1750);
    const t = await testAgent(farm, { clock, cacheDir, settings: WINDOW });
    const refusals = () =>
      farm.errorReports().filter((report) => report.type === ErrorType.RENDERER_KILLED_BY_USER).length;
    await until(() => refusals() === 1, { what: 'the blocked job refused', lines: t.lines });
    expect(t.agent.store.local.frameTimes.lastGiven).toBe('quick project');
  });
});
