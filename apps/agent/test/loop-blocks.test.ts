// "Block this project" against the real sandbox farm: no request storm whatever the farm does, blocks
// that survive a restart and are refused without a download, and undo.
import { ErrorType } from '@flock/protocol';
import type { RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { cleanUp, syntheticProject, tempDir, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const blockReports = (farm: RunningFarm) =>
  farm.errorReports().filter((report) => report.type === ErrorType.RENDERER_KILLED_BY_USER).length;
const doneFrames = (farm: RunningFarm, projectId: number) =>
  farm.frames(projectId).filter((frame) => frame.state === 'done').length;

describe('a blocked project', () => {
  it('a farm that ignores the block cannot make the agent spin: a handful of farm calls in an hour', async () => {
    const farm = await testFarm();
    farm.faults.add({ kind: 'ignore-block', endpoint: 'error' });
    await syntheticProject(farm, 200, { synthetic: { renderMs: 600_000 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    const blockedAt = clock.now();
    expect(await t.agent.execute({ type: 'block-project' })).toMatchObject({ ok: true });
    await until(() => clock.now() >= blockedAt + HOUR, {
      clock,
      stepMs: 30_000,
      timeoutMs: 60_000,
      what: 'an hour to pass',
      lines: t.lines,
    });
    // the request that brought the blocked job, then at most a few more in the whole hour
    expect(farm.jobRequests().length).toBeLessThanOrEqual(8);
    expect(blockReports(farm)).toBeLessThanOrEqual(8);
    expect(t.agent.store.state.stats.framesRendered).toBe(0);
  });

  it('survives a restart, is refused without a download, is listed, and can be unblocked', async () => {
    const downloads: string[] = [];
    const farm = await testFarm({
      logLevel: 'info',
      logSink: (line) => {
        if (line.includes('/server/archive.php') && line.includes('type=job')) downloads.push(line);
      },
    });
    const project = await syntheticProject(farm, 3, { synthetic: { renderMs: 600_000 } });
    const cacheDir = await tempDir('agent');
    const clock = new ManualClock(Date.now());
    const first = await testAgent(farm, { clock, cacheDir });
    await until(() => first.agent.store.state.job?.phase === 'render', {
      what: 'rendering',
      lines: first.lines,
    });
    await first.agent.execute({ type: 'block-project' });
    await until(() => blockReports(farm) === 1, { what: 'the block reported', lines: first.lines });
    expect(first.agent.store.state.blockedProjects).toEqual([
      expect.objectContaining({ archiveMd5: project.archiveMd5, scope: 'machine' }),
    ]);
    await first.agent.execute({ type: 'stop', when: 'now' });
    expect(await first.run).toBe(0);
    const downloadsBefore = downloads.length;
    expect(downloadsBefore).toBe(1); // the first agent downloaded the project once

    // A new agent process on the same cache dir: a new farm session, which gets the project again.
    const second = await testAgent(farm, { clock, cacheDir });
    await until(() => blockReports(farm) === 2, {
      clock,
      stepMs: 30_000,
      what: 'the project refused after the restart',
      lines: second.lines,
    });
    expect(second.agent.store.state.blockedProjects?.map((b) => b.archiveMd5)).toEqual([project.archiveMd5]);
    expect(downloads.length).toBe(downloadsBefore);
    expect(second.lines.join('\n')).toMatch(/refusing a job of a blocked project/);

    expect(
      await second.agent.execute({ type: 'unblock-project', archiveMd5: project.archiveMd5 }),
    ).toMatchObject({ ok: true });
    expect(second.agent.store.state.blockedProjects).toEqual([]);
    expect(
      await second.agent.execute({ type: 'unblock-project', archiveMd5: project.archiveMd5 }),
    ).toMatchObject({ ok: false, reason: 'invalid' });
    // The farm still keeps the project away from the session that blocked it: a new login takes it.
    await second.agent.execute({ type: 'stop', when: 'now' });
    await second.run;
    const third = await testAgent(farm, { clock, cacheDir });
    await until(() => third.agent.store.state.job?.phase === 'render', {
      clock,
      stepMs: 30_000,
      what: 'the unblocked project rendering',
      lines: third.lines,
    });
    expect(doneFrames(farm, project.id)).toBe(0);
  });
});
