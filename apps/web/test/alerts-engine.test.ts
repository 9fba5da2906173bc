import { join } from 'node:path';
import {
  AGENT_CRASHED,
  type AgentEvent,
  type AgentState,
  type Hello,
  LINK_PROTOCOL_VERSION,
} from '@flock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertEngine } from '../src/server/alerts/engine';
import { DEFAULT_ALERT_SETTINGS } from '../src/server/alerts/settings';
import type { AlertNotice } from '../src/server/alerts/types';
import { AlertsRepo } from '../src/server/db/alerts-repo';
import { openDatabase } from '../src/server/db/client';
import { ConsoleRepo } from '../src/server/db/repo';
import { Fleet } from '../src/server/link/fleet';
import { tempDir } from './support/console';

const MINUTE = 60_000;
const machine: AgentState['machine'] = {
  hostname: 'render-01',
  os: 'linux',
  arch: 'x64',
  cpu: { model: 'Test CPU', cores: 8 },
  ramBytes: 2 ** 34,
  gpus: [],
  blender: '3.4.1',
};
const idleState: AgentState = {
  machine,
  session: null,
  status: 'idle',
  reason: null,
  job: null,
  limits: {
    computeMethod: 'cpu',
    gpu: null,
    cores: null,
    memoryBytes: null,
    maxFrameTimeSeconds: null,
    priority: 19,
    requestTime: null,
  },
  usage: { cpuPercent: 0, memoryBytes: 0 },
  uploads: { queued: 0, inFlight: 0 },
  stats: { framesRendered: 0, framesFailed: 0, creditsSession: 0, renderTimeMsTotal: 0 },
  lastFramePath: null,
  recentLog: Array.from({ length: 50 }, (_, i) => ({ at: i, level: 'info' as const, message: `line ${i}` })),
};
const hello: Hello = {
  type: 'hello',
  protocol: LINK_PROTOCOL_VERSION,
  machineId: 'm1',
  agentVersion: 'test',
  bootId: 'boot',
  machine,
};

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** The engine on a real database and Fleet, with a clock the test moves. */
async function setup() {
  let clock = Date.UTC(2026, 0, 5, 12);
  const now = () => clock;
  const database = openDatabase(join(tempDir('flock-alerts-'), 'console.sqlite'));
  const repo = new ConsoleRepo(database.db);
  await repo.createMachine('m1', 'render-01', 'hash', now());
  const fleet = new Fleet(repo, now);
  await fleet.load();
  const notices: AlertNotice[] = [];
  const settings = structuredClone(DEFAULT_ALERT_SETTINGS);
  const alertsRepo = new AlertsRepo(database.db);
  const engine = new AlertEngine({
    fleet,
    repo: alertsRepo,
    settings: () => settings,
    notify: (notice) => notices.push(notice),
    now,
    tickMs: 3_600_000,
  });
  await engine.start();
  closers.push(async () => {
    await engine.stop();
    database.close();
  });
  const state = async (changes: Partial<AgentState>) => {
    fleet.stateChanged('m1', { ...idleState, ...changes }, now());
    await engine.settled();
  };
  const advance = async (ms: number) => {
    clock += ms;
    engine.evaluateAll();
    await engine.settled();
  };
  const event = async (agentEvent: AgentEvent) => {
    fleet.bus.emit('agentEvent', 'm1', agentEvent, now());
    await engine.settled();
  };
  const changes = (rule: string) =>
    notices.filter((notice) => notice.alert.rule === rule).map((notice) => notice.change);
  fleet.connected('m1', hello);
  await state({});
  return { fleet, engine, settings, notices, state, advance, event, changes, alertsRepo, now };
}

const farmUnreachable = {
  code: 'farm-unreachable' as const,
  message: 'The farm did not answer in time.',
  until: null,
  detail: 'request_job.php: Headers Timeout Error',
};
const crash = (n: number): AgentEvent => ({
  kind: 'error',
  jobId: `job-${n}`,
  code: 'RENDERER_CRASHED',
  message: 'Blender crashed',
  logExcerpt: `Fra:1 Mem:12M\nSegmentation fault (core dumped) #${n}`,
});
const frame: AgentEvent = {
  kind: 'frame-done',
  jobId: 'job-9',
  project: 'Classroom',
  frame: 9,
  renderTimeMs: 1000,
  credits: 3,
  thumbnail: null,
};

describe('alert engine (injected clock, real database)', () => {
  it('farm unreachable fires only after 10 minutes, once, and resolves once when the farm answers', async () => {
    const { state, advance, changes } = await setup();
    await state({ status: 'error', reason: farmUnreachable });
    await advance(9 * MINUTE);
    expect(changes('farm-unreachable')).toEqual([]);
    await advance(MINUTE);
    expect(changes('farm-unreachable')).toEqual(['fired']);
    await advance(30 * MINUTE);
    expect(changes('farm-unreachable')).toEqual(['fired']);
    await state({ status: 'idle', reason: null });
    await advance(MINUTE);
    expect(changes('farm-unreachable')).toEqual(['fired', 'resolved']);
  });

  it('a condition that ends before its delay leaves no alert', async () => {
    const { state, advance, changes, alertsRepo, now } = await setup();
    await state({ status: 'error', reason: farmUnreachable });
    await advance(5 * MINUTE);
    await state({ reason: null });
    await advance(20 * MINUTE);
    expect(changes('farm-unreachable')).toEqual([]);
    expect(await alertsRepo.recent(now() - 3_600_000, 10)).toEqual([]);
  });

  it('a Blender crash fires with its crash report; three errors make a streak; a frame resolves both', async () => {
    const { state, event, changes, notices } = await setup();
    await state({
      status: 'rendering',
      job: {
        id: 'job-1',
        project: 'Classroom',
        frame: 1,
        phase: 'render',
        progress: 0.5,
        etaSeconds: null,
        device: 'CPU',
        startedAt: 0,
      },
    });
    await event(crash(1));
    expect(changes('crash')).toEqual(['fired']);
    const fired = notices.find((notice) => notice.alert.rule === 'crash')?.alert;
    expect(fired?.evidence).toMatchObject({
      project: 'Classroom',
      crash: expect.stringContaining('Segmentation fault'),
    });
    expect(fired?.evidence.logLines).toHaveLength(20);
    expect(fired?.evidence.logLines.at(-1)?.message).toBe('line 49');
    await event(crash(2));
    expect(changes('error-streak')).toEqual([]);
    await event(crash(3));
    expect(changes('error-streak')).toEqual(['fired']);
    expect(changes('crash')).toEqual(['fired']);
    await event(frame);
    expect(changes('crash')).toEqual(['fired', 'resolved']);
    expect(changes('error-streak')).toEqual(['fired', 'resolved']);
  });

  it('an agent that stopped without shutting down fires a crash alert with its last lines', async () => {
    const { event, changes, notices } = await setup();
    await event({
      kind: 'error',
      jobId: null,
      code: AGENT_CRASHED,
      message: 'The agent stopped without shutting down (a crash, a kill or a power cut)',
      logExcerpt: '14:02:07 info  rendering frame 0042',
    });
    expect(changes('crash')).toEqual(['fired']);
    const fired = notices.find((notice) => notice.alert.rule === 'crash')?.alert;
    expect(fired?.title).toBe('render-01: the agent stopped without shutting down');
    expect(fired?.evidence.crash).toContain('rendering frame 0042');
    await event(frame);
    expect(changes('crash')).toEqual(['fired', 'resolved']);
  });

  it('no frame in 6 h while working fires; paused machines never do; a frame resolves it', async () => {
    const { state, advance, event, changes } = await setup();
    await state({ status: 'paused', reason: { code: 'paused-by-user', message: 'Paused', until: null } });
    await advance(7 * 60 * MINUTE);
    expect(changes('no-frames')).toEqual([]);
    await state({ status: 'idle', reason: { code: 'no-job', message: 'No job', until: null } });
    await advance(5 * 60 * MINUTE);
    expect(changes('no-frames')).toEqual([]);
    await advance(60 * MINUTE);
    expect(changes('no-frames')).toEqual(['fired']);
    await event(frame);
    expect(changes('no-frames')).toEqual(['fired', 'resolved']);
  });

  it('an owner rule or a closing window keeps a machine from rendering on purpose: no frame in 6 h does not fire', async () => {
    const { state, advance, changes } = await setup();
    const message = "asking for no new job: the computer is in use (rule 'only when idle')";
    await state({ status: 'idle', reason: { code: 'rule', message, until: null } });
    await advance(7 * 60 * MINUTE);
    await state({
      status: 'idle',
      reason: { code: 'window-closing', message: 'the next frame would not end in time', until: null },
    });
    await advance(7 * 60 * MINUTE);
    expect(changes('no-frames')).toEqual([]);
  });

  it('upload queue and full disk fire at once and resolve when they clear; disabled rules never fire', async () => {
    const { state, changes, settings } = await setup();
    await state({ uploads: { queued: 4, inFlight: 1 } });
    expect(changes('upload-queue')).toEqual([]);
    await state({ uploads: { queued: 5, inFlight: 1 } });
    expect(changes('upload-queue')).toEqual(['fired']);
    await state({ uploads: { queued: 0, inFlight: 0 } });
    expect(changes('upload-queue')).toEqual(['fired', 'resolved']);
    await state({ status: 'error', reason: { code: 'disk-full', message: 'Disk full', until: null } });
    expect(changes('disk-full')).toEqual(['fired']);
    await state({ status: 'idle', reason: null });
    expect(changes('disk-full')).toEqual(['fired', 'resolved']);
    settings.rules.diskFull.enabled = false;
    await state({ status: 'error', reason: { code: 'disk-full', message: 'Disk full', until: null } });
    expect(changes('disk-full')).toEqual(['fired', 'resolved']);
  });

  it('a disk with less free space than the rule asks fires "nearly full" before it is full', async () => {
    const { state, changes, settings, alertsRepo } = await setup();
    const GiB = 1024 ** 3;
    await state({ disk: { freeBytes: 5 * GiB, totalBytes: 500 * GiB } });
    expect(changes('disk-full')).toEqual([]);
    await state({ disk: { freeBytes: 1.5 * GiB, totalBytes: 500 * GiB } });
    expect(changes('disk-full')).toEqual(['fired']);
    const [open] = await alertsRepo.open();
    expect(open?.title).toMatch(/disk nearly full: 1\.5 GiB free of 500 GiB/);
    await state({ disk: { freeBytes: 3 * GiB, totalBytes: 500 * GiB } });
    expect(changes('disk-full')).toEqual(['fired', 'resolved']);
    settings.rules.diskFull.minFreeGib = 4;
    await state({ disk: { freeBytes: 3.5 * GiB, totalBytes: 500 * GiB } });
    expect(changes('disk-full')).toEqual(['fired', 'resolved', 'fired']);
  });

  it('an upload queue that grows for 30 minutes without shrinking fires below the count', async () => {
    const { state, advance, changes } = await setup();
    for (const queued of [1, 2, 3]) {
      await state({ uploads: { queued, inFlight: 1 } });
      await advance(10 * MINUTE);
    }
    expect(changes('upload-queue')).toEqual(['fired']);
    await state({ uploads: { queued: 2, inFlight: 1 } });
    expect(changes('upload-queue')).toEqual(['fired', 'resolved']);
    // Growing and shrinking in turn (uploads going through) never fires.
    for (const queued of [3, 2, 3, 2, 3, 2]) {
      await state({ uploads: { queued, inFlight: 1 } });
      await advance(10 * MINUTE);
    }
    expect(changes('upload-queue')).toEqual(['fired', 'resolved']);
  });

  it('an alert still open at restart is taken over, not fired again', async () => {
    const first = await setup();
    first.fleet.disconnected('m1');
    await first.engine.settled();
    await first.advance(3 * MINUTE);
    expect(first.changes('offline')).toEqual(['fired']);
    const [open] = await first.alertsRepo.open();
    const engine = new AlertEngine({
      fleet: first.fleet,
      repo: first.alertsRepo,
      settings: () => first.settings,
      notify: (notice) => first.notices.push(notice),
      now: first.now,
    });
    await first.engine.stop();
    await engine.start();
    closers.unshift(() => engine.stop());
    await engine.settled();
    expect(first.changes('offline')).toEqual(['fired']);
    first.fleet.connected('m1', hello);
    await engine.settled();
    expect(first.notices.at(-1)).toMatchObject({ change: 'resolved', alert: { id: open?.id } });
  });
});
