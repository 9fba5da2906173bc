// The console's Stop, Start, Restart and Update as the agent applies them, against the real sandbox
// farm: a stopped agent stays up and renders again on Start; a restart or an update ends the run
// with code 75 only after the frame and its upload; an update is downloaded from a real HTTP
// server, checked and stored as the launcher's version on trial.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { agentBuildPath } from '@flock/protocol';
import type { RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agent.js';
import { EXIT_RESTART } from '../src/install/layout.js';
import { readVersions, sha256Of } from '../src/install/versions.js';
import { saveLinkCredentials } from '../src/link/credentials.js';
import { cleanUp, syntheticProject, tempDir, testAgent, testFarm, until } from './e2e-helpers.js';
import { makeHome, standInBundle } from './support/agent-home.js';

const servers: Server[] = [];
afterEach(async () => {
  await cleanUp();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

const doneFrames = (farm: RunningFarm, projectId: number) =>
  farm.frames(projectId).filter((frame) => frame.state === 'done').length;
const pending = Symbol('pending');
const settled = (run: Promise<number>) =>
  Promise.race([run, new Promise<typeof pending>((resolve) => setTimeout(() => resolve(pending), 200))]);

describe("the console's Stop and Start", () => {
  it('stop finishes the frame and its upload, logs out and waits linked; start logs in and renders again', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 4, { synthetic: { renderMs: 800 } });
    const t = await testAgent(farm);
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    expect(await t.agent.executeFromConsole({ type: 'stop', when: 'after-frame' })).toMatchObject({
      ok: true,
    });
    await until(() => t.agent.store.state.reason?.code === 'stopped-by-user', {
      what: 'stopped',
      lines: t.lines,
    });
    expect(t.agent.store.state.status).toBe('stopped');
    expect(t.agent.store.state.reason?.message).toContain('Start');
    expect(doneFrames(farm, project.id)).toBe(1);
    expect(farm.sessions()[0]?.state).toBe('logged-out');
    expect(await settled(t.run)).toBe(pending); // the process goes on

    expect(await t.agent.executeFromConsole({ type: 'start' })).toMatchObject({ ok: true });
    await until(() => doneFrames(farm, project.id) >= 2, { what: 'a frame after Start', lines: t.lines });
    expect(farm.sessions()).toHaveLength(2);
    expect(t.agent.store.state.reason?.code).not.toBe('stopped-by-user');

    // This machine's own stop (Ctrl-C, `flock-agent stop`) still ends the process.
    await t.agent.execute({ type: 'stop', when: 'now' });
    expect(await t.run).toBe(0);
  });

  it('while its uploads finish, a console-stopped agent says it is stopping, not exiting', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 3, { synthetic: { renderMs: 300 } });
    farm.faults.add({ kind: 'delay', endpoint: 'validation', ms: 3000, times: 1 });
    const t = await testAgent(farm);
    await until(() => t.agent.store.state.uploads.inFlight > 0, { what: 'an upload', lines: t.lines });
    await t.agent.executeFromConsole({ type: 'stop', when: 'after-frame' });
    await until(() => t.agent.store.state.reason?.code === 'stopping', { what: 'stopping', lines: t.lines });
    expect(t.agent.store.state.reason?.message).toBe('finishing the uploads before stopping');
    await until(() => t.agent.store.state.reason?.code === 'stopped-by-user', { what: 'stopped' });
  });

  it("a stopped agent restarts on the console's Restart when supervised", async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 2, { synthetic: { renderMs: 300 } });
    const t = await testAgent(farm, { supervisor: 'fleet' });
    await until(() => t.agent.store.state.job !== null, { what: 'a job', lines: t.lines });
    await t.agent.executeFromConsole({ type: 'stop', when: 'now' });
    await until(() => t.agent.store.state.reason?.code === 'stopped-by-user', { what: 'stopped' });
    expect(await t.agent.executeFromConsole({ type: 'restart' })).toMatchObject({ ok: true });
    expect(await t.run).toBe(EXIT_RESTART);
  });
});

describe("the console's Stop holds across a restart", () => {
  // As the CLI starts it: the link first, whose fleet settings and name may arrive before the run.
  const linked = async (agent: Agent) => {
    agent.linkStarted();
    agent.applyMachineName('render-07');
  };

  async function stoppedThenRestarted(farm: RunningFarm, cacheDir: string) {
    const first = await testAgent(farm, { cacheDir, supervisor: 'systemd', beforeRun: linked });
    await until(() => first.agent.store.state.job !== null, { what: 'a job', lines: first.lines });
    await first.agent.executeFromConsole({ type: 'stop', when: 'now' });
    await until(() => first.agent.store.state.reason?.code === 'stopped-by-user', { what: 'stopped' });
    expect(await first.agent.executeFromConsole({ type: 'restart' })).toMatchObject({ ok: true });
    expect(await first.run).toBe(EXIT_RESTART);
  }

  it('a machine stopped from the console comes back from a restart still stopped, until Start', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 3, { synthetic: { renderMs: 300 } });
    const cacheDir = await tempDir('agent-stopped');
    await stoppedThenRestarted(farm, cacheDir);
    const sessionsBefore = farm.sessions().length;

    const again = await testAgent(farm, { cacheDir, supervisor: 'systemd', beforeRun: linked });
    await until(() => again.agent.store.state.reason?.code === 'stopped-by-user', {
      what: 'stopped after the restart',
      lines: again.lines,
    });
    expect(again.agent.store.state.status).toBe('stopped');
    expect(farm.sessions()).toHaveLength(sessionsBefore); // it did not log in
    expect(await settled(again.run)).toBe(pending);

    expect(await again.agent.executeFromConsole({ type: 'start' })).toMatchObject({ ok: true });
    await until(() => doneFrames(farm, project.id) === 3, {
      what: 'rendering after Start',
      lines: again.lines,
    });
    await again.agent.executeFromConsole({ type: 'restart' });
    expect(await again.run).toBe(EXIT_RESTART);

    // Started, it no longer holds: the next run logs in at once.
    const third = await testAgent(farm, { cacheDir, supervisor: 'systemd', beforeRun: linked });
    await until(() => farm.sessions().length > sessionsBefore + 1, { what: 'a login', lines: third.lines });
    expect(third.agent.store.state.reason?.code).not.toBe('stopped-by-user');
  });

  it('an agent no longer linked to a console renders: nothing could press Start', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 2, { synthetic: { renderMs: 200 } });
    const cacheDir = await tempDir('agent-unlinked');
    await stoppedThenRestarted(farm, cacheDir);
    const unlinked = await testAgent(farm, { cacheDir });
    await until(() => doneFrames(farm, project.id) === 2, { what: 'rendering', lines: unlinked.lines });
  });
});

describe("the console's Restart", () => {
  it('is refused with a clear reason when nothing would start the agent again', async () => {
    const farm = await testFarm();
    const t = await testAgent(farm);
    expect(await t.agent.executeFromConsole({ type: 'restart' })).toEqual({
      ok: false,
      reason: 'unsupported',
      message:
        'cannot restart: nothing starts this agent again when it exits (it was started by hand); restart it on the machine',
    });
    expect(t.agent.store.state.lifecycle).toMatchObject({ supervisor: null, versionId: null });
  });

  it('finishes the frame and its upload, logs out and ends with code 75', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 3, { synthetic: { renderMs: 800 } });
    const t = await testAgent(farm, { supervisor: 'systemd' });
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    expect(await t.agent.executeFromConsole({ type: 'restart' })).toMatchObject({ ok: true });
    expect(await t.run).toBe(EXIT_RESTART);
    expect(doneFrames(farm, project.id)).toBe(1);
    expect(farm.sessions()[0]?.state).toBe('logged-out');
  });
});

/** A console stand-in serving one build at its real path (and counting requests). */
async function buildServer(bytes: Buffer, sha256 = sha256Of(bytes)) {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url !== agentBuildPath(sha256, 'flock-agent.mjs')) return void res.writeHead(404).end();
    res.writeHead(200).end(bytes);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

describe("the console's Update", () => {
  async function installedTestAgent(farm: RunningFarm, consoleUrl: string) {
    const dir = await tempDir('lifecycle-home');
    const { layout, ids } = makeHome(
      dir,
      (id) => ({ current: id.old, previous: null, trial: null, rolledBack: null }),
      { old: standInBundle('old') },
    );
    // The console it downloads from is the one `pair` stored.
    const configDir = await tempDir('lifecycle-config');
    await saveLinkCredentials(configDir, { consoleUrl, machineId: 'm1', secret: 's'.repeat(43) });
    const t = await testAgent(farm, {
      configDir,
      installed: { home: layout.home, versionId: ids.old, supervisor: 'systemd' },
      supervisor: 'systemd',
    });
    return { t, layout, ids };
  }

  it('downloads the build, stores it as the trial and restarts after the frame and its upload', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 3, { synthetic: { renderMs: 800 } });
    const bundle = Buffer.from(standInBundle('new'));
    const sha256 = sha256Of(bundle);
    const served = await buildServer(bundle);
    const { t, layout } = await installedTestAgent(farm, served.url);
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });

    const answer = await t.agent.executeFromConsole({ type: 'update', version: '0.2.0', sha256 });
    const versionId = `0.2.0-${sha256.slice(0, 12)}`;
    expect(answer).toEqual({ ok: true, message: `updating to ${versionId}: downloading it` });
    expect(await t.run).toBe(EXIT_RESTART);
    expect(doneFrames(farm, project.id)).toBe(1);
    expect(readVersions(layout).versions.trial).toEqual({ id: versionId, startedAt: null });
    expect(t.agent.store.state.lifecycle?.update).toMatchObject({ kind: 'restarting', versionId });
    expect(served.requests).toEqual([agentBuildPath(sha256, 'flock-agent.mjs')]);
  });

  it('a download that does not match its SHA-256 is refused: nothing stored, the agent renders on', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 3, { synthetic: { renderMs: 300 } });
    const announced = sha256Of(Buffer.from('the build the console announced'));
    const served = await buildServer(Buffer.from('something else'), announced);
    const { t, layout } = await installedTestAgent(farm, served.url);
    expect(
      await t.agent.executeFromConsole({ type: 'update', version: '0.2.0', sha256: announced }),
    ).toMatchObject({ ok: true });
    await until(() => t.agent.store.state.lifecycle?.update?.kind === 'failed', { what: 'the failure' });
    expect(t.agent.store.state.lifecycle?.update?.message).toMatch(
      new RegExp(`^the download's SHA-256 is [0-9a-f]{64}, the console announced ${announced}$`),
    );
    expect(readVersions(layout).versions.trial).toBeNull();
    await until(() => doneFrames(farm, project.id) === 3, { what: 'rendering on', lines: t.lines });
    expect(await settled(t.run)).toBe(pending);
  });

  it('is refused by an agent that runs from a clone', async () => {
    const farm = await testFarm();
    const t = await testAgent(farm, { supervisor: 'fleet' });
    const answer = await t.agent.executeFromConsole({
      type: 'update',
      version: '0.2.0',
      sha256: 'a'.repeat(64),
    });
    expect(answer).toMatchObject({ ok: false, reason: 'unsupported' });
    expect(answer.ok ? '' : answer.message).toContain('runs from a clone of the repository');
  });
});
