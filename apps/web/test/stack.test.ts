// The real stack in one process: the sandbox farm (synthetic renderer), the real agent (wired as its
// CLI wires it) and the real console, joined by the real pairing and link. What a user does in the
// browser is done here through the same tRPC procedures.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, formatStatusLine, type LinkClient, pair, startConsoleLink, toSettings } from 'flock-agent';
import { testMachineFacts } from 'flock-agent/testing';
import { CREDITS_PER_FRAME, type RunningFarm, type StartFarmOptions, startFarm } from 'flock-farm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import type { MachineSummary } from '../src/server/views';
import { call, dataOf, login, startTestConsole } from './support/console';

const MACHINE = testMachineFacts('stack-01', { name: 'Stack Test CPU', cores: 4 });

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

interface StackOptions {
  farm?: Partial<StartFarmOptions>;
  frames?: [number, number];
  renderMs?: number;
  pairingCheckMs?: number;
}

async function stack(options: StackOptions = {}) {
  const farm: RunningFarm = await startFarm({
    dataDir: temp('flock-stack-farm-'),
    renderer: 'synthetic',
    logLevel: 'warn',
    logSink: () => undefined,
    ...options.farm,
  });
  stops.push(() => farm.close());
  const project = await farm.addProject({
    frames: options.frames ?? [1, 3],
    resolution: [64, 48],
    synthetic: { renderMs: options.renderMs ?? 1500 },
  });
  const running: RunningConsole = await startTestConsole();
  stops.push(() => running.stop());
  const cookie = await login(running);
  const { code } = dataOf<{ code: string }>(
    (await call(running, 'mutation', 'machines.addCode', { consoleUrl: running.url }, { cookie })).body,
  );
  const configDir = temp('flock-stack-config-');
  await pair(running.url, code, { configDir, hostname: 'stack-01' });

  const settings = toSettings({
    server: farm.url,
    login: 'demo',
    password: 'demo',
    'cache-dir': temp('flock-stack-cache-'),
  });
  const agent = await Agent.create({ settings, machine: MACHINE, hwid: 'stack-hwid', skipSpeedtest: true });
  const link = (await startConsoleLink(agent, {
    configDir,
    agentVersion: 'stack-test',
    ...(options.pairingCheckMs ? { pairingCheckMs: options.pairingCheckMs } : {}),
  })) as LinkClient;
  const run = agent.run();
  stops.push(async () => {
    await agent.execute({ type: 'stop', when: 'now' });
    await Promise.race([run, new Promise((resolve) => setTimeout(resolve, 5000))]);
    await link.stop();
  });
  const summary = async () =>
    dataOf<{ machines: MachineSummary[] }>(
      (await call(running, 'query', 'fleet.list', undefined, { cookie })).body,
    ).machines[0];
  const command = async (cmd: unknown) => {
    const ids = [(await summary())?.id];
    const { body } = await call(running, 'mutation', 'fleet.command', { ids, command: cmd }, { cookie });
    return dataOf<{ status: string; result?: { ok: boolean } }[]>(body)[0];
  };
  const doneFrames = () => farm.frames(project.id).filter((frame) => frame.state === 'done').length;
  const pairAgain = async () => {
    const { code: again } = dataOf<{ code: string }>(
      (await call(running, 'mutation', 'machines.addCode', { consoleUrl: running.url }, { cookie })).body,
    );
    await pair(running.url, again, { configDir, hostname: 'stack-01' });
  };
  const mutate = async (path: string, input: unknown) => call(running, 'mutation', path, input, { cookie });
  return { farm, project, running, cookie, agent, link, summary, command, mutate, doneFrames, pairAgain };
}

describe('the real stack: farm + agent + console', () => {
  it('shows the agent rendering live, pauses it after the frame, changes its limits, resumes it', async () => {
    const s = await stack();
    await vi.waitFor(
      async () => expect(await s.summary()).toMatchObject({ online: true, status: 'rendering' }),
      {
        timeout: 20_000,
        interval: 100,
      },
    );
    expect((await s.summary())?.job?.frame).toBeGreaterThanOrEqual(1);

    expect(await s.command({ type: 'pause', when: 'after-frame' })).toMatchObject({
      status: 'acked',
      result: { ok: true },
    });
    // The frame being rendered is finished and delivered, then the agent waits, paused.
    await vi.waitFor(
      async () => {
        expect(s.doneFrames()).toBe(1);
        expect(await s.summary()).toMatchObject({ status: 'paused', reason: { code: 'paused-by-user' } });
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(s.farm.jobs()).toHaveLength(1);
    // The agent announces the frame once the farm accepted its upload, which can be a moment after
    // the farm counts it done and the agent shows paused.
    await vi.waitFor(async () => {
      const history = dataOf<{ frames: { frame: number }[] }>(
        (
          await call(
            s.running,
            'query',
            'machines.history',
            { id: (await s.summary())?.id },
            { cookie: s.cookie },
          )
        ).body,
      );
      expect(history.frames.map((f) => f.frame)).toEqual([1]);
    });

    expect(await s.command({ type: 'set-limits', limits: { cores: 2 } })).toMatchObject({
      result: { ok: true },
    });
    expect(s.agent.controls.limits.cores).toBe(2);
    await vi.waitFor(async () => expect((await s.summary())?.limits?.cores).toBe(2));

    expect(await s.command({ type: 'resume' })).toMatchObject({ result: { ok: true } });
    await vi.waitFor(() => expect(s.doneFrames()).toBe(3), { timeout: 30_000, interval: 100 });
  });

  it('a removed machine stops dialling, says so, keeps rendering, and links again after a new pair', async () => {
    const s = await stack({ frames: [1, 4], pairingCheckMs: 100 });
    await vi.waitFor(
      async () => expect(await s.summary()).toMatchObject({ online: true, status: 'rendering' }),
      {
        timeout: 20_000,
        interval: 100,
      },
    );
    const removedId = (await s.summary())?.id;
    expect(
      (await call(s.running, 'mutation', 'machines.remove', { id: removedId }, { cookie: s.cookie })).status,
    ).toBe(200);
    await vi.waitFor(() => expect(s.agent.store.local.consoleLink?.removedAt).toEqual(expect.any(Number)));
    expect(s.link.status).toBe('unauthorized');
    expect(formatStatusLine(s.agent.store.snapshot(), Date.now(), 400)).toMatch(
      /removed from the console at [^;]+; run `flock-agent pair http:\/\/127\.0\.0\.1:\d+ <code>` to link it again/,
    );
    // The owner's machine goes on rendering for the farm without the console.
    const framesAtRemoval = s.doneFrames();
    await vi.waitFor(() => expect(s.doneFrames()).toBeGreaterThan(framesAtRemoval), {
      timeout: 30_000,
      interval: 100,
    });
    expect(await s.summary()).toBeUndefined();

    // Paired again while it runs: the same agent links again, as a new machine.
    await s.pairAgain();
    await vi.waitFor(
      async () => {
        const summary = await s.summary();
        expect(summary?.id).not.toBe(removedId);
        expect(summary?.online).toBe(true);
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(s.agent.store.local.consoleLink?.removedAt).toBeNull();
    expect(s.link.status).toBe('connected');
  });

  it('a farm refusing the client as too old: the machine shows it, the console sets the version, it renders', async () => {
    const s = await stack({ farm: { minClientVersion: '7.24086.0' } });
    await vi.waitFor(
      async () =>
        expect(await s.summary()).toMatchObject({
          online: true,
          status: 'error',
          reason: {
            code: 'login-refused',
            message: expect.stringMatching(/client version 0\.1\.0.*too old/),
          },
        }),
      { timeout: 20_000, interval: 100 },
    );
    expect(s.farm.sessions()).toHaveLength(0);
    expect((await s.mutate('fleetSettings.setClientVersion', { clientVersion: '7.24086.0' })).status).toBe(
      200,
    );
    await vi.waitFor(() => expect(s.doneFrames()).toBeGreaterThanOrEqual(1), {
      timeout: 30_000,
      interval: 100,
    });
    expect(s.farm.sessions()[0]?.clientVersion).toBe('7.24086.0');
  });

  it('blocking the project a machine renders for the whole fleet stops that render and is listed', async () => {
    const s = await stack({ renderMs: 600_000 });
    await vi.waitFor(async () => expect((await s.summary())?.job?.phase).toBe('render'), {
      timeout: 20_000,
      interval: 100,
    });
    const job = (await s.summary())?.job;
    expect(job?.archiveMd5).toBe(s.project.archiveMd5);
    const blocked = await s.mutate('fleetSettings.blockProject', {
      archiveMd5: job?.archiveMd5,
      name: job?.project,
    });
    expect(blocked.status).toBe(200);
    await vi.waitFor(
      async () => {
        expect(s.farm.errorReports().some((report) => report.type === 20)).toBe(true);
        expect((await s.summary())?.blockedProjects).toEqual([
          expect.objectContaining({ archiveMd5: s.project.archiveMd5, scope: 'fleet' }),
        ]);
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(s.doneFrames()).toBe(0);
  });

  it("each frame shows the credits the farm granted for it, and today's credits are their sum", async () => {
    const frames = 4;
    const s = await stack({ frames: [1, frames], renderMs: 200 });
    const id = async () => (await s.summary())?.id;
    const history = async () =>
      dataOf<{ frames: { frame: number; credits: number | null }[] }>(
        (await call(s.running, 'query', 'machines.history', { id: await id() }, { cookie: s.cookie })).body,
      ).frames;
    await vi.waitFor(() => expect(s.doneFrames()).toBe(frames), { timeout: 30_000, interval: 100 });
    // The farm reports the last frame's credits with the next job request only: ask it now (the agent
    // waits minutes after "no job").
    await vi.waitFor(
      async () => {
        await s.command({ type: 'retry-now' });
        const credits = (await history()).map((frame) => [frame.frame, frame.credits]);
        expect(credits.sort()).toEqual([1, 2, 3, 4].map((frame) => [frame, CREDITS_PER_FRAME]));
      },
      { timeout: 20_000, interval: 500 },
    );
    const { totals } = dataOf<{ totals: { creditsToday: number } }>(
      (await call(s.running, 'query', 'fleet.list', undefined, { cookie: s.cookie })).body,
    );
    expect(totals.creditsToday).toBe(frames * CREDITS_PER_FRAME);
    expect(s.farm.credits('demo')).toBe(frames * CREDITS_PER_FRAME);
  });

  it("one name per machine: the console's name reaches the farm and survives re-pairing", async () => {
    const s = await stack({ frames: [1, 20], pairingCheckMs: 100 });
    await vi.waitFor(async () => expect(await s.summary()).toMatchObject({ online: true }), {
      timeout: 20_000,
      interval: 100,
    });
    const firstId = (await s.summary())?.id;
    expect((await s.mutate('machines.rename', { id: firstId, name: 'alice desk' })).status).toBe(400);
    expect((await s.mutate('machines.rename', { id: firstId, name: 'alice-desk' })).status).toBe(200);
    // The Host row (the name the agent gives the farm) follows at once, the farm at the next login.
    await vi.waitFor(() => expect(s.agent.state().machine.hostname).toBe('alice-desk'));
    s.farm.faults.add({ kind: 'status', endpoint: 'request-job', status: 202, times: 1 });
    await vi.waitFor(() => expect(s.farm.sessions().at(-1)?.hostname).toBe('alice-desk'), {
      timeout: 20_000,
      interval: 100,
    });

    // Removed and paired again: a new machine for the console, with the name it had.
    await s.mutate('machines.remove', { id: firstId });
    await vi.waitFor(() => expect(s.link.status).toBe('unauthorized'));
    await s.pairAgain();
    await vi.waitFor(
      async () => expect(await s.summary()).toMatchObject({ online: true, name: 'alice-desk' }),
      { timeout: 20_000, interval: 100 },
    );
    expect((await s.summary())?.id).not.toBe(firstId);
  });
});
