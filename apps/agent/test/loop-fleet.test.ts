// What the console sets for the whole fleet, applied by the real agent against the real sandbox farm:
// the client version a farm demands (101, client too old) and projects blocked for every machine.
import { ErrorType } from '@flock/protocol';
import type { RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { cleanUp, syntheticProject, testAgent, testFarm, until } from './e2e-helpers.js';

afterEach(cleanUp);

const OFFICIAL_VERSION = '7.24086.0';
const doneFrames = (farm: RunningFarm, projectId: number) =>
  farm.frames(projectId).filter((frame) => frame.state === 'done').length;

describe('a login refused as "client too old" (101)', () => {
  it('without a console: exits 1 saying to use --client-version and where to read the version', async () => {
    const farm = await testFarm({ minClientVersion: OFFICIAL_VERSION });
    const t = await testAgent(farm);
    expect(await t.run).toBe(1);
    const error = t.agent.store.local.lastError ?? '';
    expect(error).toMatch(/101 CLIENT_TOO_OLD/);
    expect(error).toContain('client version 0.1.0');
    expect(error).toContain('--client-version');
    expect(error).toMatch(/download page/);
  });

  it('with a console: waits in error, then logs in with the version the console sets for the fleet', async () => {
    const farm = await testFarm({ minClientVersion: OFFICIAL_VERSION });
    const project = await syntheticProject(farm, 1);
    const t = await testAgent(farm, { start: false });
    t.agent.linkStarted();
    const run = t.agent.run();
    await until(() => t.agent.store.state.reason?.code === 'login-refused', {
      what: 'refused',
      lines: t.lines,
    });
    expect(t.agent.store.state.status).toBe('error');
    expect(t.agent.store.state.reason?.message).toMatch(/client version 0\.1\.0.*console.*--client-version/);
    expect(farm.sessions()).toHaveLength(0);

    t.agent.applyFleetSettings({ clientVersion: OFFICIAL_VERSION, farmServer: null, blockedProjects: [] });
    await until(() => doneFrames(farm, project.id) === 1, { what: 'the frame', lines: t.lines });
    expect(farm.sessions()[0]?.clientVersion).toBe(OFFICIAL_VERSION);
    await t.agent.execute({ type: 'stop', when: 'now' });
    expect(await run).toBe(0);
  });
});

describe('projects blocked for the whole fleet', () => {
  it('stop a render of that project, are listed as fleet blocks, and only the console undoes them', async () => {
    const farm = await testFarm();
    const blocked = await syntheticProject(farm, 3, { synthetic: { renderMs: 600_000 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    const fleetBlock = { archiveMd5: blocked.archiveMd5, name: 'Spam', blockedAt: clock.now() };
    t.agent.applyFleetSettings({ clientVersion: null, farmServer: null, blockedProjects: [fleetBlock] });
    await until(
      () => farm.errorReports().some((report) => report.type === ErrorType.RENDERER_KILLED_BY_USER),
      { what: 'the render stopped and reported', lines: t.lines },
    );
    expect(t.agent.store.state.blockedProjects).toEqual([{ ...fleetBlock, scope: 'fleet' }]);
    expect(await t.agent.execute({ type: 'unblock-project', archiveMd5: blocked.archiveMd5 })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/whole fleet/),
    });
    t.agent.applyFleetSettings({ clientVersion: null, farmServer: null, blockedProjects: [] });
    expect(t.agent.store.state.blockedProjects).toEqual([]);
  });
});
