// The farm loop against the real sandbox farm (synthetic renderer): the full loop, and the fault
// matrix — each fault asserts the agent's reaction, the error report the farm received and that
// the agent keeps going.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import path from 'node:path';
import { ErrorType } from '@flock/protocol';
import type { RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import {
  cleanUp,
  doneFrames,
  renderedUntilDone,
  reportTypes,
  syntheticProject,
  tempDir,
  testAgent,
  testFarm,
  until,
} from './e2e-helpers.js';

afterEach(cleanUp);

const MINUTE = 60_000;

/**
 * A healthy project to render after a failed frame. Its frame number differs from the failed one:
 * the farm never hands a session a frame number it failed (the check does not look at the project).
 */
function afterFailureProject(farm: RunningFarm) {
  return syntheticProject(farm, 1, { frames: [10, 10] });
}

describe('the full loop', () => {
  it('renders, uploads and gets credited for 3 frames, then exits 0 at --max-frames', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 3);
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock, settings: { 'max-frames': 3 } });
    await until(() => t.agent.store.local.worker === 'stopped', {
      clock,
      stepMs: 30_000,
      what: 'the agent to stop',
      lines: t.lines,
    });
    expect(await t.run).toBe(0);
    expect(doneFrames(farm, project.id)).toBe(3);
    expect(farm.credits('demo')).toBeGreaterThanOrEqual(30);
    expect(t.agent.store.local.framesDelivered).toBe(3);
    expect(t.agent.store.state.stats.framesRendered).toBe(3);
    // the type-0 config report after login, and nothing else went wrong
    expect(reportTypes(farm)).toEqual([0]);
    const [session] = farm.sessions();
    expect(session?.state).toBe('logged-out');
    expect(session?.speedtest?.length).toBeGreaterThan(0);
    expect(session?.hostname).toBe('test-box');
    expect(t.agent.store.state.machine.blender).toMatch(/^3\.4/);
    expect(readdirSync(path.join(t.settings.cacheDir, 'jobs'))).toEqual([]); // no spare project left
    expect(t.lines.join('\n')).not.toContain('password=demo');
  });
});

describe('job-request statuses', () => {
  it.each([
    [200, 'no-job'],
    [204, 'server-busy'],
    [206, 'server-busy'],
    [207, 'server-busy'],
  ])('%i: waits with the reason %s and a time, then goes on', async (status, code) => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    farm.faults.add({ kind: 'status', endpoint: 'request-job', status, times: 1 });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.reason?.code === code, { what: `reason ${code}`, lines: t.lines });
    const reason = t.agent.store.state.reason;
    expect(reason?.until).toBeGreaterThan(clock.now());
    expect(reason?.message).toMatch(/\w/);
    await renderedUntilDone(farm, t, clock, project.id, 1);
  });

  it.each([
    [203, 'session-error'],
    [205, 'no-job-for-hardware'],
    [208, 'session-error'],
  ])('%i: stops requesting and says why until the user acts', async (status, code) => {
    const farm = await testFarm();
    await syntheticProject(farm, 1);
    farm.faults.add({ kind: 'status', endpoint: 'request-job', status });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.reason?.code === code, { what: `reason ${code}`, lines: t.lines });
    const requests = farm.faults.list()[0]?.hits;
    await clock.advance(3 * 60 * MINUTE);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(farm.faults.list()[0]?.hits).toBe(requests);
    expect(t.agent.store.state.reason?.message).toContain(String(status));
    await t.agent.execute({ type: 'stop', when: 'now' });
    expect(await t.run).toBe(0);
  });

  it('201: exits non-zero with one line', async () => {
    const farm = await testFarm();
    farm.faults.add({ kind: 'status', endpoint: 'request-job', status: 201 });
    const t = await testAgent(farm);
    expect(await t.run).toBe(1);
    expect(t.agent.store.local.lastError).toMatch(/201 NO_RIGHTS/);
  });

  it('202: logs in again and goes on', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    farm.faults.add({ kind: 'status', endpoint: 'request-job', status: 202, times: 1 });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await renderedUntilDone(farm, t, clock, project.id, 1);
    expect(farm.sessions().length).toBe(2);
  });

  it('a login refused (102) exits non-zero with the meaning', async () => {
    const farm = await testFarm();
    const t = await testAgent(farm, { settings: { password: 'wrong' } });
    expect(await t.run).toBe(1);
    expect(t.agent.store.local.lastError).toMatch(/102 AUTHENTICATION_FAILED/);
    expect(t.lines.join('\n')).not.toContain('wrong');
  });
});

describe('download faults', () => {
  it.each([
    { kind: 'truncate', endpoint: 'download-job', times: 1 } as const,
    { kind: 'wrong-md5', endpoint: 'download-job', times: 1 } as const,
    { kind: 'drop-connection', endpoint: 'download-binary', times: 1 } as const,
    { kind: 'slow', endpoint: 'download-job', bytesPerSecond: 200_000, times: 1 } as const,
  ])('%j: the download is retried and the frame delivered', async (fault) => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    farm.faults.add(fault);
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await renderedUntilDone(farm, t, clock, project.id, 1);
    expect(reportTypes(farm)).toEqual([0]);
  });

  it('an archive that stays wrong is reported as type 9, and the agent goes on after the pause', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    const fault = farm.faults.add({ kind: 'wrong-md5', endpoint: 'download-job' });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => reportTypes(farm).includes(ErrorType.DOWNLOAD_FILE), {
      clock,
      stepMs: 1000,
      what: 'report 9',
      lines: t.lines,
    });
    await until(() => t.agent.store.state.reason?.code === 'backing-off', {
      what: 'the 5-minute pause',
      lines: t.lines,
    });
    farm.faults.remove(fault);
    await renderedUntilDone(farm, t, clock, project.id, 1);
  });
});

describe('render failures', () => {
  it.each([
    ['crash', ErrorType.RENDERER_CRASHED],
    ['python-error', ErrorType.RENDERER_CRASHED_PYTHON_ERROR],
    ['no-output', ErrorType.NOOUTPUTFILE],
    ['out-of-memory', ErrorType.RENDERER_OUT_OF_MEMORY],
  ] as const)('%s is reported as type %i with the job log attached', async (outcome, type) => {
    const farm = await testFarm();
    const bad = await syntheticProject(farm, 1, { synthetic: { renderMs: 20, outcome } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => reportTypes(farm).includes(type), {
      clock,
      stepMs: 30_000,
      what: `report ${type}`,
      lines: t.lines,
    });
    farm.cancelProject(bad.id);
    const good = await afterFailureProject(farm);
    const report = farm.errorReports().find((r) => r.type === type);
    expect(report?.jobId).toBeGreaterThan(0);
    expect(report?.log).toContain('Project :::');
    expect(report?.log).toMatch(/Fra:|Blender/);
    await renderedUntilDone(farm, t, clock, good.id, 1);
  });

  it('a render over --max-frame-time is stopped and reported as type 23', async () => {
    const farm = await testFarm();
    const slow = await syntheticProject(farm, 1, { synthetic: { renderMs: 600_000 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock, settings: { 'max-frame-time': 1 } });
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    await until(() => reportTypes(farm).includes(ErrorType.RENDERER_KILLED_BY_USER_OVER_TIME), {
      clock,
      stepMs: 20_000,
      what: 'report 23',
      lines: t.lines,
    });
    farm.cancelProject(slow.id);
    // the limit is changed at runtime; the next frame renders without one
    expect(
      await t.agent.execute({ type: 'set-limits', limits: { maxFrameTimeSeconds: null } }),
    ).toMatchObject({ ok: true });
    const good = await afterFailureProject(farm);
    await renderedUntilDone(farm, t, clock, good.id, 1);
  });
});

describe('a frame that cannot be stored for upload', () => {
  it('is reported with the job log while the agent goes on, and the job dir is still removed', async () => {
    const farm = await testFarm();
    const lost = await syntheticProject(farm, 1, { synthetic: { renderMs: 20 } });
    const cacheDir = await tempDir('agent');
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock, cacheDir, start: false });
    // The queue dir turns into a file: moving the rendered frame into it fails (ENOTDIR).
    const uploads = path.join(cacheDir, 'uploads');
    rmSync(uploads, { recursive: true });
    writeFileSync(uploads, 'not a directory');
    const run = t.agent.run();
    await until(() => farm.errorReports().some((r) => r.log?.includes('could not be stored')), {
      clock,
      stepMs: 30_000,
      what: 'the lost frame reported',
      lines: t.lines,
    });
    const report = farm.errorReports().find((r) => r.log?.includes('could not be stored'));
    expect(report?.type).toBe(ErrorType.UNKNOWN);
    expect(report?.log).toContain('Fra:');
    expect(t.agent.store.state.stats).toMatchObject({ framesRendered: 0, framesFailed: 1 });
    rmSync(uploads);
    mkdirSync(uploads);
    farm.cancelProject(lost.id);
    const good = await afterFailureProject(farm);
    await renderedUntilDone(farm, t, clock, good.id, 1);
    // No job is left: the job dirs and the spare project made for a next frame are removed.
    await until(() => readdirSync(path.join(cacheDir, 'jobs')).length === 0, {
      clock,
      stepMs: 30_000,
      what: 'an empty jobs dir',
      lines: t.lines,
    });
    await t.agent.execute({ type: 'stop', when: 'now' });
    await run;
  });
});

describe('memory limit', () => {
  it('a render above --memory is killed and reported as type 21; the agent goes on', async () => {
    const farm = await testFarm();
    const hog = await syntheticProject(farm, 1, { synthetic: { renderMs: 60_000, allocateMiB: 400 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock, settings: { memory: '200M' } });
    await until(() => reportTypes(farm).includes(ErrorType.RENDERER_OUT_OF_MEMORY), {
      what: 'report 21',
      lines: t.lines,
    });
    farm.cancelProject(hog.id);
    const good = await afterFailureProject(farm);
    await renderedUntilDone(farm, t, clock, good.id, 1);
  });
});

describe('heartbeat', () => {
  it('status 400 kills the render and reports type 22; the agent goes on', async () => {
    const farm = await testFarm({ maxPeriodSeconds: 60 });
    const slow = await syntheticProject(farm, 1, { synthetic: { renderMs: 600_000 } });
    const clock = new ManualClock(Date.now());
    const t = await testAgent(farm, { clock });
    await until(() => t.agent.store.state.job?.phase === 'render', { what: 'rendering', lines: t.lines });
    farm.faults.add({ kind: 'status', endpoint: 'keepmealive', status: 400, times: 1 });
    await until(() => reportTypes(farm).includes(ErrorType.RENDERER_KILLED_BY_SERVER), {
      clock,
      stepMs: 15_000,
      what: 'report 22',
      lines: t.lines,
    });
    farm.cancelProject(slow.id);
    const good = await afterFailureProject(farm);
    await renderedUntilDone(farm, t, clock, good.id, 1);
  });
});

/** A minimal HTTP CONNECT proxy (what undici's ProxyAgent speaks) that counts its tunnels. */
async function connectProxy(): Promise<{ url: string; tunnels: () => number; close: () => Promise<void> }> {
  let tunnels = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.once('data', (head) => {
      const match = /^CONNECT ([^:\s]+):(\d+) HTTP/.exec(head.toString('latin1'));
      if (!match) return client.destroy();
      tunnels++;
      const upstream = netConnect(Number(match[2]), match[1], () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels: () => tunnels,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('--proxy', () => {
  it('sends every farm request through the proxy', async () => {
    const proxy = await connectProxy();
    try {
      const farm = await testFarm();
      const project = await syntheticProject(farm, 1);
      const clock = new ManualClock(Date.now());
      const t = await testAgent(farm, { clock, settings: { proxy: proxy.url } });
      await renderedUntilDone(farm, t, clock, project.id, 1);
      expect(proxy.tunnels()).toBeGreaterThan(0);
      await t.agent.execute({ type: 'stop', when: 'now' });
      expect(await t.run).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});
