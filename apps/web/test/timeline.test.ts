// A machine's per-frame timeline through the real console: a simulated agent over the real link
// streams its states and events, the console stores its jobs' phases and its idle spans (why it was
// not rendering), and `timeline.machine` answers them within its bounds and roles.
import { join } from 'node:path';
import type { JobPhaseSpan } from '@flock/protocol';
import type { LinkClient } from 'flock-agent';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MachineTimeline } from '../src/server/api/routers/timeline';
import { openDatabase } from '../src/server/db/client';
import { ConsoleRepo } from '../src/server/db/repo';
import { TIMELINE_RETENTION_MS, TimelineRepo } from '../src/server/db/timeline-repo';
import type { RunningConsole } from '../src/server/start';
import { Sweeper } from '../src/server/sweeper';
import { call, dataOf, login, pairSimulatedAgent, startTestConsole, tempDir } from './support/console';
import { sessionsByRole } from './support/roles';

let running: RunningConsole | undefined;
const clients: LinkClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) await client.stop();
  await running?.stop();
  running = undefined;
});

const HOUR = 60 * 60_000;

async function timelineOf(cookie: string, machineId: string, from: number, to: number) {
  if (!running) throw new Error('console not running');
  return call(running, 'query', 'timeline.machine', { machineId, from, to }, { cookie });
}

function phasesEndingAt(end: number): JobPhaseSpan[] {
  return [
    { phase: 'download', startedAt: end - 900, endedAt: end - 800 },
    { phase: 'extract', startedAt: end - 800, endedAt: end - 700 },
    { phase: 'render', startedAt: end - 700, endedAt: end - 200 },
    { phase: 'upload', startedAt: end - 200, endedAt: end - 100 },
  ];
}

describe('timeline.machine', () => {
  it("returns a delivered frame's phases, a stopped job's, and the idle spans with their reasons, offline included", async () => {
    running = await startTestConsole();
    const { viewer } = await sessionsByRole(running);
    const admin = await login(running);
    const paired = await pairSimulatedAgent(running, admin, 'render-01');
    clients.push(paired.client);
    const { agent, machineId } = paired;
    const started = Date.now();
    await vi.waitFor(() => expect(running?.core.fleet.summary(machineId)?.online).toBe(true));

    agent.update({
      status: 'idle',
      reason: { code: 'no-job', message: 'The farm has no job for this machine.', until: null },
    });
    await vi.waitFor(() =>
      expect(running?.core.fleet.summary(machineId)?.reason?.message).toBe(
        'The farm has no job for this machine.',
      ),
    );
    agent.update({ status: 'rendering', reason: null });
    await vi.waitFor(() => expect(running?.core.fleet.summary(machineId)?.status).toBe('rendering'));
    const frameEnd = Date.now();
    agent.emit({
      kind: 'frame-done',
      jobId: 'j1',
      project: 'Sheep',
      frame: 7,
      renderTimeMs: 450,
      credits: null,
      thumbnail: null,
      phases: phasesEndingAt(frameEnd),
    });
    agent.emit({
      kind: 'job-stopped',
      jobId: 'j2',
      project: 'Sheep',
      frame: 8,
      by: 'pause-now',
      phases: [{ phase: 'download', startedAt: frameEnd, endedAt: Date.now() }],
    });
    agent.update({
      status: 'paused',
      reason: { code: 'paused-by-user', message: 'Paused from the console.', until: null },
    });
    await vi.waitFor(() => expect(running?.core.fleet.summary(machineId)?.status).toBe('paused'));
    // The link drops, then comes back: the time between is offline.
    await paired.client.stop();
    await vi.waitFor(() => expect(running?.core.fleet.summary(machineId)?.online).toBe(false));
    clients.push(paired.newClient());
    await vi.waitFor(() => expect(running?.core.fleet.summary(machineId)?.online).toBe(true));

    let timeline: MachineTimeline | undefined;
    await vi.waitFor(async () => {
      const { status, body } = await timelineOf(viewer, machineId, started - HOUR, Date.now() + 1000);
      expect(status).toBe(200);
      timeline = dataOf<MachineTimeline>(body);
      expect(timeline.jobs).toHaveLength(2);
      // The simulated agent starts idle ("Waiting for a job"): a new reason text is a new span.
      expect(timeline.idle.map((span) => span.status)).toEqual([
        'idle',
        'idle',
        'paused',
        'offline',
        'paused',
      ]);
    });
    const [frame, stopped] = timeline?.jobs ?? [];
    expect(frame).toMatchObject({
      jobId: 'j1',
      frame: 7,
      outcome: 'rendered',
      phases: phasesEndingAt(frameEnd),
    });
    expect(stopped).toMatchObject({ jobId: 'j2', outcome: 'stopped', detail: 'stopped (pause-now)' });
    const [waiting, noJob, paused, offline, pausedAgain] = timeline?.idle ?? [];
    expect(waiting?.endedAt).toBe(noJob?.startedAt);
    expect(noJob?.reason?.message).toBe('The farm has no job for this machine.');
    expect(noJob?.endedAt).toBeGreaterThanOrEqual(noJob?.startedAt ?? Infinity);
    expect(paused?.reason?.code).toBe('paused-by-user');
    // Each span ends where the next begins: the link's drop ends the pause, the return ends offline.
    expect(offline?.startedAt).toBe(paused?.endedAt);
    expect(pausedAgain?.startedAt).toBe(offline?.endedAt);
    expect(pausedAgain?.endedAt).toBeNull();
  });

  it("a failed job names its project and frame: from its event, or (an older agent's) from the machine's job", async () => {
    running = await startTestConsole();
    const { viewer } = await sessionsByRole(running);
    const admin = await login(running);
    const paired = await pairSimulatedAgent(running, admin, 'render-05');
    clients.push(paired.client);
    const { agent, machineId } = paired;
    const started = Date.now();
    await vi.waitFor(() => expect(running?.core.fleet.summary(machineId)?.online).toBe(true));
    const failure = {
      kind: 'error',
      code: 'RENDERER_CRASHED',
      message: 'Blender crashed',
      logExcerpt: '',
    } as const;
    agent.emit({ ...failure, jobId: 'f1', project: 'Sheep', frame: 11, phases: phasesEndingAt(Date.now()) });
    // An older agent's error names only the job; the machine's state still shows that job.
    const job = {
      id: 'f2',
      project: 'Goat',
      frame: 12,
      phase: 'render',
      progress: 0.5,
      etaSeconds: null,
      device: 'CPU',
      startedAt: Date.now() - 1000,
    } as const;
    agent.update({ status: 'rendering', job });
    await vi.waitFor(() => expect(running?.core.fleet.record(machineId)?.state?.job?.id).toBe('f2'));
    agent.emit({ ...failure, jobId: 'f2', phases: phasesEndingAt(Date.now()) });

    await vi.waitFor(async () => {
      const { body } = await timelineOf(viewer, machineId, started - HOUR, Date.now() + 1000);
      const jobs = dataOf<MachineTimeline>(body).jobs;
      expect(jobs.map(({ jobId, project, frame, outcome }) => ({ jobId, project, frame, outcome }))).toEqual([
        { jobId: 'f1', project: 'Sheep', frame: 11, outcome: 'failed' },
        { jobId: 'f2', project: 'Goat', frame: 12, outcome: 'failed' },
      ]);
    });
  });

  it('a frame whose phases end after its event was sent (a clock set back) is stored, without them', async () => {
    running = await startTestConsole();
    const admin = await login(running);
    const paired = await pairSimulatedAgent(running, admin, 'render-04');
    clients.push(paired.client);
    const future = Date.now() + HOUR;
    paired.agent.emit({
      kind: 'frame-done',
      jobId: 'late',
      project: 'Sheep',
      frame: 3,
      renderTimeMs: 450,
      credits: null,
      thumbnail: null,
      phases: phasesEndingAt(future),
    });
    await vi.waitFor(async () =>
      expect(await running?.core.repo.recentFrames(paired.machineId, 5)).toHaveLength(1),
    );
    const [frame] = (await running?.core.repo.recentFrames(paired.machineId, 5)) ?? [];
    expect(frame).toMatchObject({ jobId: 'late', phases: null });
  });

  it('refuses a window over 48 hours, a reversed one, and anyone not logged in', async () => {
    running = await startTestConsole();
    const admin = await login(running);
    const paired = await pairSimulatedAgent(running, admin, 'render-02');
    clients.push(paired.client);
    const now = Date.now();
    expect((await timelineOf(admin, paired.machineId, now - 49 * HOUR, now)).status).toBe(400);
    expect((await timelineOf(admin, paired.machineId, now, now - HOUR)).status).toBe(400);
    expect((await timelineOf(admin, 'no-such-machine', now - HOUR, now)).status).toBe(404);
    expect((await timelineOf('', paired.machineId, now - HOUR, now)).status).toBe(401);
    expect((await timelineOf(admin, paired.machineId, now - 48 * HOUR, now)).status).toBe(200);
  });

  it("a span left open when the console stopped ends at the machine's last contact on the next start", async () => {
    const dataDir = tempDir('flock-console-');
    running = await startTestConsole({ dataDir });
    const admin = await login(running);
    const paired = await pairSimulatedAgent(running, admin, 'render-03');
    paired.agent.update({ status: 'idle', reason: { code: 'no-job', message: 'No job.', until: null } });
    await vi.waitFor(() =>
      expect(running?.core.fleet.summary(paired.machineId)?.reason?.code).toBe('no-job'),
    );
    const before = await running.core.timeline.spansBetween(paired.machineId, 0, Date.now() + HOUR, 10);
    expect(before.map((span) => span.endedAt)).toEqual([null]);
    await running.stop();
    await paired.client.stop();
    running = await startTestConsole({ dataDir });
    const after = await running.core.timeline.spansBetween(paired.machineId, 0, Date.now() + HOUR, 10);
    expect(after).toHaveLength(1);
    expect(after[0]?.endedAt).toBeGreaterThanOrEqual(after[0]?.startedAt ?? Infinity);
  });
});

describe('idle span retention', () => {
  it('the sweeper deletes spans that ended over 30 days ago, and keeps the rest', async () => {
    const database = openDatabase(join(tempDir('flock-timeline-'), 'console.sqlite'));
    const repo = new ConsoleRepo(database.db);
    const timeline = new TimelineRepo(database.db);
    const now = 100 * 24 * HOUR;
    await repo.createMachine('m1', 'render-01', 'hash', 0);
    const old = await timeline.openSpan('m1', now - TIMELINE_RETENTION_MS - 2 * HOUR, 'idle', null);
    await timeline.closeSpan(old, now - TIMELINE_RETENTION_MS - HOUR);
    const recent = await timeline.openSpan('m1', now - TIMELINE_RETENTION_MS - HOUR, 'paused', null);
    await timeline.closeSpan(recent, now - HOUR);
    await timeline.openSpan('m1', now - HOUR, 'idle', null);
    const sweeper = new Sweeper(repo, () => now, { timeline });
    expect((await sweeper.sweep()).idleSpans).toBe(1);
    expect((await timeline.spansBetween('m1', 0, now, 10)).map((span) => span.status)).toEqual([
      'paused',
      'idle',
    ]);
    database.close();
  });
});
