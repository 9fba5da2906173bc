import { encodeMessage, LINK_PROTOCOL_VERSION, linkAuthorization } from '@flock/protocol';
import type { LinkClient } from 'flock-agent';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { FleetUpdate } from '../src/server/api/routers/fleet';
import type { RunningConsole } from '../src/server/start';
import type { MachineSummary } from '../src/server/views';
import { call, dataOf, login, pairSimulatedAgent, startTestConsole, tempDir } from './support/console';
import { readSubscription } from './support/sse';

let running: RunningConsole | undefined;
const clients: LinkClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.stop();
  await running?.stop();
  running = undefined;
});

const consoleNow = (): RunningConsole => {
  if (!running) throw new Error('console not running');
  return running;
};

async function setup(options: Parameters<typeof startTestConsole>[0] = {}) {
  running = await startTestConsole(options);
  const cookie = await login(running);
  const paired = await pairSimulatedAgent(running, cookie, 'render-01');
  clients.push(paired.client);
  await vi.waitFor(() => expect(running?.core.fleet.summary(paired.machineId)?.online).toBe(true));
  return { cookie, ...paired };
}

async function summaryOf(cookie: string, id: string): Promise<MachineSummary | undefined> {
  const { body } = await call(consoleNow(), 'query', 'fleet.list', undefined, { cookie });
  return dataOf<{ machines: MachineSummary[] }>(body).machines.find((m) => m.id === id);
}

async function framesOf(cookie: string, id: string): Promise<{ frame: number; credits: number | null }[]> {
  const { body } = await call(consoleNow(), 'query', 'machines.history', { id }, { cookie });
  return dataOf<{ frames: { frame: number; credits: number | null }[] }>(body).frames;
}

const command = (cookie: string, ids: string[], cmd: unknown) =>
  call(consoleNow(), 'mutation', 'fleet.command', { ids, command: cmd }, { cookie });

const job = {
  id: 'job-1',
  project: 'Sheep',
  frame: 12,
  phase: 'render',
  progress: 0.42,
  etaSeconds: 40,
  device: 'CPU',
  startedAt: Date.now(),
} as const;

const frameDone = (frame: number) =>
  ({
    kind: 'frame-done',
    jobId: `j${frame}`,
    project: 'Sheep',
    frame,
    renderTimeMs: 900,
    credits: 4,
    thumbnail: null,
  }) as const;

describe('console link: state and commands', () => {
  it('shows a paired agent online with the state it streams', async () => {
    const { agent, cookie, machineId } = await setup();
    agent.update({ status: 'rendering', reason: null, job });
    await vi.waitFor(async () =>
      expect(await summaryOf(cookie, machineId)).toMatchObject({
        name: 'render-01',
        online: true,
        status: 'rendering',
        job: { frame: 12, progress: 0.42 },
      }),
    );
  });

  it('pushes state changes to the browser feed as they happen (SSE)', async () => {
    const { agent, cookie, machineId } = await setup();
    const updates: FleetUpdate[] = [];
    const stop = new AbortController();
    const reading = readSubscription(
      `${consoleNow().url}/api/trpc/fleet.live`,
      cookie,
      (data) => updates.push(data as FleetUpdate),
      stop.signal,
    );
    await vi.waitFor(() => expect(updates[0]?.kind).toBe('full'));
    agent.update({ status: 'rendering', reason: null, job });
    await vi.waitFor(() =>
      expect(
        updates.some(
          (u) => u.kind === 'delta' && u.machines.some((m) => m.id === machineId && m.job?.frame === 12),
        ),
      ).toBe(true),
    );
    stop.abort();
    await reading;
  });

  it('delivers a command, applies it once and reports the ack', async () => {
    const { agent, cookie, machineId } = await setup();
    const { body } = await command(cookie, [machineId], { type: 'set-limits', limits: { cores: 2 } });
    expect(dataOf(body)).toEqual([
      { machineId, commandId: expect.any(String), status: 'acked', result: { ok: true } },
    ]);
    expect(agent.executed).toEqual([{ type: 'set-limits', limits: { cores: 2 } }]);
    await vi.waitFor(async () => expect((await summaryOf(cookie, machineId))?.limits?.cores).toBe(2));
  });

  it('renames a machine for everyone watching', async () => {
    const { cookie, machineId } = await setup();
    const renamed = await call(
      consoleNow(),
      'mutation',
      'machines.rename',
      { id: machineId, name: 'attic-pc' },
      { cookie },
    );
    expect(renamed.status).toBe(200);
    expect((await summaryOf(cookie, machineId))?.name).toBe('attic-pc');
  });

  it('refuses a malformed command before it reaches any agent', async () => {
    const { agent, cookie, machineId } = await setup();
    const { status } = await command(cookie, [machineId], { type: 'set-limits', limits: { cores: -3 } });
    expect(status).toBe(400);
    expect(agent.executed).toEqual([]);
  });

  it('delivers a command issued while offline exactly once after reconnects', async () => {
    const { agent, client, newClient, cookie, machineId } = await setup();
    await client.stop();
    await vi.waitFor(() => expect(running?.core.fleet.summary(machineId)?.online).toBe(false));
    const { body } = await command(cookie, [machineId], { type: 'pause', when: 'after-frame' });
    expect(dataOf<{ status: string }[]>(body)[0]?.status).toBe('offline');

    const second = newClient();
    clients.push(second);
    await vi.waitFor(() => expect(consoleNow().core.fleet.summary(machineId)?.status).toBe('paused'));
    // Another reconnect: the command was acknowledged, so it is not applied again.
    await second.stop();
    const third = newClient();
    clients.push(third);
    await vi.waitFor(() => expect(third.status).toBe('connected'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(agent.executed).toEqual([{ type: 'pause', when: 'after-frame' }]);
  });

  it('does not keep limits the agent refused as the desired config', async () => {
    const { agent, cookie, machineId } = await setup();
    agent.execute = async () => ({ ok: false, reason: 'invalid', message: 'no GPU CUDA_9 on this machine' });
    const { body } = await command(cookie, [machineId], { type: 'set-limits', limits: { gpu: 'CUDA_9' } });
    expect(dataOf<{ result: unknown }[]>(body)[0]?.result).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await consoleNow().core.repo.getDesiredLimits(machineId)).toBeUndefined();
  });

  it('re-applies limits set from the console when a machine comes back with others', async () => {
    const { agent, client, newClient, cookie, machineId } = await setup();
    await command(cookie, [machineId], { type: 'set-limits', limits: { cores: 3, priority: 5 } });
    await client.stop();
    agent.update({ limits: { ...agent.state().limits, cores: 8 } }); // changed locally while away
    clients.push(newClient());
    await vi.waitFor(() => expect(agent.state().limits).toMatchObject({ cores: 3, priority: 5 }));
  });

  it('queues limits for an offline machine and says so; they are applied when it reconnects', async () => {
    const { agent, client, newClient, cookie, machineId } = await setup();
    await client.stop();
    await vi.waitFor(() => expect(consoleNow().core.fleet.summary(machineId)?.online).toBe(false));
    const { body } = await command(cookie, [machineId], { type: 'set-limits', limits: { cores: 2 } });
    expect(dataOf<{ status: string }[]>(body)[0]?.status).toBe('queued');
    clients.push(newClient());
    await vi.waitFor(() => expect(agent.state().limits.cores).toBe(2));
  });
});

describe('console link: reconnect, replay and offline detection', () => {
  it('stores events replayed after a console restart exactly once', async () => {
    const dataDir = tempDir('flock-console-');
    const { agent, client, machineId } = await setup({ dataDir });
    const port = Number(new URL(consoleNow().url).port);
    agent.emit(frameDone(1));
    await vi.waitFor(() => expect(client.pendingEvents).toBe(0));

    await consoleNow().stop();
    running = undefined;
    await vi.waitFor(() => expect(client.status).not.toBe('connected'));
    agent.emit(frameDone(2));
    agent.emit({
      kind: 'error',
      jobId: 'j3',
      code: 'RENDERER_CRASHED',
      message: 'Blender crashed',
      logExcerpt: 'SIGSEGV',
    });
    expect(client.pendingEvents).toBe(2);

    running = await startTestConsole({ dataDir, port });
    await vi.waitFor(() => expect(client.status).toBe('connected'));
    await vi.waitFor(() => expect(client.pendingEvents).toBe(0));
    const fresh = await login(consoleNow());
    const { body } = await call(
      consoleNow(),
      'query',
      'machines.history',
      { id: machineId },
      { cookie: fresh },
    );
    const history = dataOf<{ frames: { frame: number }[]; errors: { event: { logExcerpt: string } }[] }>(
      body,
    );
    expect(history.frames.map((f) => f.frame).sort()).toEqual([1, 2]);
    expect(history.errors.map((e) => e.event.logExcerpt)).toEqual(['SIGSEGV']);
  });

  it("stores the credits the agent reports for its frames, and sums them into today's totals", async () => {
    const { agent, cookie, machineId } = await setup();
    agent.emit({ ...frameDone(7), credits: null });
    agent.emit({ ...frameDone(8), credits: null });
    await vi.waitFor(async () => expect((await framesOf(cookie, machineId)).length).toBe(2));
    agent.emit({
      kind: 'frame-credits',
      frames: [
        { jobId: 'j7', credits: 6 },
        { jobId: 'j8', credits: 6 },
      ],
    });
    await vi.waitFor(async () =>
      expect((await framesOf(cookie, machineId)).map((f) => [f.frame, f.credits]).sort()).toEqual([
        [7, 6],
        [8, 6],
      ]),
    );
    expect((await consoleNow().core.fleet.totals()).creditsToday).toBe(12);

    // The session's total (shown on the card) changes nothing in the frames: only the agent knows
    // which frames earned what.
    agent.update({ stats: { framesRendered: 2, framesFailed: 0, creditsSession: 40, renderTimeMsTotal: 9 } });
    await vi.waitFor(() => expect(consoleNow().core.fleet.summary(machineId)?.creditsSession).toBe(40));
    expect((await consoleNow().core.fleet.totals()).creditsToday).toBe(12);
  });

  it('marks a silent machine offline instead of showing a stale "rendering"', async () => {
    running = await startTestConsole({ heartbeatMs: 100 });
    const cookie = await login(running);
    const paired = await pairSimulatedAgent(running, cookie, 'silent-01');
    await paired.client.stop();
    // A link that says hello and "rendering", then never speaks again (a frozen or cut-off agent).
    const socket = new WebSocket(`${running.url.replace('http', 'ws')}/link`, {
      headers: { authorization: linkAuthorization(paired.machineId, paired.secret) },
    });
    await new Promise((resolve) => socket.once('open', resolve));
    const state = { ...paired.agent.state(), status: 'rendering' as const, reason: null, job };
    socket.send(
      encodeMessage({
        type: 'hello',
        protocol: LINK_PROTOCOL_VERSION,
        machineId: paired.machineId,
        agentVersion: 'frozen',
        bootId: 'boot-1',
        machine: state.machine,
      }),
    );
    socket.send(encodeMessage({ type: 'snapshot', at: Date.now(), state }));
    await vi.waitFor(() =>
      expect(consoleNow().core.fleet.summary(paired.machineId)?.status).toBe('rendering'),
    );
    await vi.waitFor(() => expect(consoleNow().core.fleet.summary(paired.machineId)?.online).toBe(false));
    expect(await summaryOf(cookie, paired.machineId)).toMatchObject({
      status: 'offline',
      job: null,
      reason: null,
    });
    await vi.waitFor(() => expect(socket.readyState).toBe(WebSocket.CLOSED));
  });

  it('drops malformed agent messages and keeps the link', async () => {
    const { agent, cookie, machineId, secret } = await setup();
    expect(consoleNow().core.hub.onlineCount).toBe(1);
    // Agent-side bugs look like this on the wire; the console logs and ignores them.
    const raw = new WebSocket(`${consoleNow().url.replace('http', 'ws')}/link`, {
      headers: { authorization: linkAuthorization(machineId, secret) },
    });
    await new Promise((resolve) => raw.once('open', resolve));
    raw.send('{"type":"patch","at":1,"changes":{"status":"dancing"}}');
    raw.send('not json');
    raw.close();
    agent.update({ status: 'uploading' });
    await vi.waitFor(async () => expect((await summaryOf(cookie, machineId))?.status).toBe('uploading'));
  });
});
