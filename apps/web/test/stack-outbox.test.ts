// Frames rendered while the console is away reach it once it is back, even across an agent restart:
// the real agent (wired as its CLI wires it, with its outbox journal in the cache dir) renders for the
// sandbox farm while the real console is down, is restarted, renders more, and the console, started
// again on its data, stores every frame exactly once; the same events replayed once more (a crash
// before the journal was compacted) are not stored twice.
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Agent,
  type LinkClient,
  loadLinkCredentials,
  OUTBOX_JOURNAL_FILE,
  pair,
  startConsoleLink,
  toSettings,
} from 'flock-agent';
import { testMachineFacts } from 'flock-agent/testing';
import { type RunningFarm, startFarm } from 'flock-farm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import { call, dataOf, login, startTestConsole, tempDir } from './support/console';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

const FRAMES = 4;

/** One run of the agent, as `flock-agent run` starts it: linked, its outbox journal in its cache dir. */
async function runAgent(farm: RunningFarm, configDir: string, cacheDir: string, maxFrames?: number) {
  const settings = toSettings({
    server: farm.url,
    login: 'demo',
    password: 'demo',
    'cache-dir': cacheDir,
    ...(maxFrames ? { 'max-frames': maxFrames } : {}),
  });
  const agent = await Agent.create({
    settings,
    machine: testMachineFacts('outbox-01'),
    hwid: 'outbox-hwid',
    skipSpeedtest: true,
  });
  const link = (await startConsoleLink(agent, {
    configDir,
    agentVersion: 'outbox-test',
    outboxJournal: join(cacheDir, OUTBOX_JOURNAL_FILE),
  })) as LinkClient;
  const run = agent.run();
  const stop = async () => {
    await agent.execute({ type: 'stop', when: 'now' });
    await Promise.race([run, new Promise((resolve) => setTimeout(resolve, 5000))]);
    await link.stop();
  };
  stops.push(stop);
  return { agent, link, run, stop };
}

describe('frames rendered while the console is away', () => {
  it('arrive exactly once after the agent was restarted and the console came back', async () => {
    const farm = await startFarm({
      dataDir: tempDir('flock-outbox-farm-'),
      renderer: 'synthetic',
      logLevel: 'warn',
      logSink: () => undefined,
    });
    stops.push(() => farm.close());
    const project = await farm.addProject({
      frames: [1, FRAMES],
      resolution: [64, 48],
      synthetic: { renderMs: 50 },
    });
    const doneOnFarm = () => farm.frames(project.id).filter((frame) => frame.state === 'done').length;

    const dataDir = tempDir('flock-outbox-console-');
    let running: RunningConsole | undefined = await startTestConsole({ dataDir });
    const port = Number(new URL(running.url).port);
    const cookie = await login(running);
    const { code } = dataOf<{ code: string }>(
      (await call(running, 'mutation', 'machines.addCode', { consoleUrl: running.url }, { cookie })).body,
    );
    const configDir = tempDir('flock-outbox-config-');
    await pair(running.url, code, { configDir, hostname: 'outbox-01' });
    const machineId = (await loadLinkCredentials(configDir))?.machineId;
    await running.stop();
    running = undefined;

    // The console is down: two frames, then the agent ends (an update, a reboot).
    const cacheDir = tempDir('flock-outbox-cache-');
    const first = await runAgent(farm, configDir, cacheDir, 2);
    expect(await first.run).toBe(0);
    await first.link.stop();
    expect(doneOnFarm()).toBe(2);
    expect(first.link.pendingEvents).toBeGreaterThanOrEqual(2);

    // Started again, still without its console: it renders the rest.
    const second = await runAgent(farm, configDir, cacheDir);
    await vi.waitFor(() => expect(doneOnFarm()).toBe(FRAMES), { timeout: 30_000, interval: 100 });
    const journal = join(tempDir('flock-outbox-copy-'), 'journal');
    await vi.waitFor(async () => {
      const text = await readFile(join(cacheDir, OUTBOX_JOURNAL_FILE), 'utf8');
      expect(text.match(/"kind":"frame-done"/g)?.length).toBe(FRAMES);
    });
    await copyFile(join(cacheDir, OUTBOX_JOURNAL_FILE), journal);

    // The console comes back on its data.
    running = await startTestConsole({ dataDir, port });
    const back = running;
    stops.push(() => back.stop());
    const framesInConsole = async () => {
      const fresh = await login(back);
      const { body } = await call(back, 'query', 'machines.history', { id: machineId }, { cookie: fresh });
      return dataOf<{ frames: { frame: number }[] }>(body)
        .frames.map((row) => row.frame)
        .sort();
    };
    await vi.waitFor(() => expect(second.link.pendingEvents).toBe(0), { timeout: 30_000, interval: 200 });
    expect(await framesInConsole()).toEqual([1, 2, 3, 4]);
    await second.stop();

    // A crash before the journal was compacted: the next run sends every event again.
    await copyFile(journal, join(cacheDir, OUTBOX_JOURNAL_FILE));
    const third = await runAgent(farm, configDir, cacheDir);
    await vi.waitFor(() => expect(third.link.status).toBe('connected'), { timeout: 30_000 });
    await vi.waitFor(() => expect(third.link.pendingEvents).toBe(0), { timeout: 30_000, interval: 200 });
    expect(await framesInConsole()).toEqual([1, 2, 3, 4]);
  }, 120_000);
});
