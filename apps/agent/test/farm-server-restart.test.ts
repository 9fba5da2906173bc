// The console's farm server across restarts, with the real agent, a real console link (a minimal
// console over a real WebSocket) and the real sandbox farm: the server the console gave is kept with
// the account it gave and used by the next run before the console is reachable; a paired agent that
// knows no farm server waits for the console's settings instead of logging in to the public farm, and
// only for a bounded time.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { DEFAULT_SERVER } from '../src/config/index.js';
import { FARM_ACCOUNT_FILE } from '../src/farm/account.js';
import { type LinkClient, saveLinkCredentials, startConsoleLink } from '../src/link/index.js';
import { cleanUp, type TestAgent, tempDir, testAgent, testFarm, until } from './e2e-helpers.js';
import { FakeConsole } from './link-fake-console.js';

const links: LinkClient[] = [];
const consoles: FakeConsole[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) await link.stop();
  for (const fake of consoles.splice(0)) await fake.close();
  await cleanUp();
});

/** Neither a server nor an account of its own: both come from the console. */
const FROM_CONSOLE_ONLY = { server: undefined, login: undefined, password: undefined };
const SECRET = 's'.repeat(43);

async function startConsole(clock: ManualClock): Promise<FakeConsole> {
  const fake = new FakeConsole(() => clock.now());
  consoles.push(fake);
  await fake.listening();
  return fake;
}

/** Pairs the config dir with `consoleUrl` as `flock-agent pair` does. */
async function paired(consoleUrl: string): Promise<string> {
  const configDir = await tempDir('config');
  await saveLinkCredentials(configDir, { consoleUrl, machineId: 'machine-1', secret: SECRET });
  return configDir;
}

/** An agent built and linked as `flock-agent run` does (the link starts before the run). */
async function linkedAgent(
  farm: RunningFarm,
  configDir: string,
  clock: ManualClock,
  settings: Record<string, unknown> = FROM_CONSOLE_ONLY,
): Promise<TestAgent> {
  return testAgent(farm, {
    settings,
    configDir,
    clock,
    beforeRun: async (agent) => {
      const link = await startConsoleLink(agent, { agentVersion: '0.1.0', configDir, clock });
      if (link) links.push(link);
    },
  });
}

const doneFrames = (farm: RunningFarm, projectId: number) =>
  farm.frames(projectId).filter((frame) => frame.state === 'done').length;

/** Resolves once `condition` holds or the run ended (so a wrong exit fails at once, not by timeout). */
async function untilOrExit(
  t: TestAgent,
  condition: () => boolean,
  what: string,
): Promise<number | undefined> {
  let exit: number | undefined;
  void t.run.then((code) => {
    exit = code;
  });
  await until(() => condition() || exit !== undefined, { what, lines: t.lines });
  return exit;
}

describe('the farm server from the console, after a restart', () => {
  it('is kept with the account and used before the console is back', async () => {
    const farm = await testFarm();
    const project = await farm.addProject({
      frames: [1, 2],
      resolution: [64, 48],
      synthetic: { renderMs: 50 },
    });
    const clock = new ManualClock(Date.now());
    const fake = await startConsole(clock);
    const configDir = await paired(fake.url);

    const first = await linkedAgent(farm, configDir, clock, { ...FROM_CONSOLE_ONLY, 'max-frames': 1 });
    await until(() => fake.ofType('snapshot').length === 1, { what: 'the link', lines: first.lines });
    fake.send({
      type: 'fleet-settings',
      settings: { clientVersion: null, farmServer: farm.url, blockedProjects: [] },
    });
    fake.send({ type: 'farm-account', account: { login: 'demo', renderKey: 'demo' } });
    expect(await first.run).toBe(0);
    expect(doneFrames(farm, project.id)).toBe(1);
    await links.splice(0)[0]?.stop();
    await fake.close();

    // Restarted (an update, a reboot) while the console is away.
    const second = await linkedAgent(farm, configDir, clock);
    const exit = await untilOrExit(second, () => doneFrames(farm, project.id) === 2, 'the restarted run');
    expect(exit).toBeUndefined();
    expect(second.agent.store.state.session?.server).toBe(farm.url);
    expect(second.lines.join('\n')).not.toContain(DEFAULT_SERVER);
  });

  it('is waited for by a paired agent that kept none, instead of logging in to the public farm', async () => {
    const farm = await testFarm();
    const project = await farm.addProject({
      frames: [1, 1],
      resolution: [64, 48],
      synthetic: { renderMs: 50 },
    });
    const clock = new ManualClock(Date.now());
    const fake = await startConsole(clock);
    const configDir = await paired(fake.url);
    // What an earlier version kept: the console's account, without its farm server.
    await writeFile(join(configDir, FARM_ACCOUNT_FILE), JSON.stringify({ login: 'demo', renderKey: 'demo' }));

    const t = await linkedAgent(farm, configDir, clock);
    const waiting = () => /farm server from the console/.test(t.agent.store.state.reason?.message ?? '');
    expect(await untilOrExit(t, waiting, 'the wait for the console')).toBeUndefined();
    await until(() => fake.ofType('snapshot').length === 1, { what: 'the link', lines: t.lines });
    expect(t.agent.store.state.session).toBeNull();
    expect(t.lines.join('\n')).toMatch(/waiting for the farm server from the console/i);

    fake.send({
      type: 'fleet-settings',
      settings: { clientVersion: null, farmServer: farm.url, blockedProjects: [] },
    });
    expect(await untilOrExit(t, () => doneFrames(farm, project.id) === 1, 'the frame')).toBeUndefined();
    expect(t.agent.store.state.session?.server).toBe(farm.url);
    // One login, to the console's farm: not one to the public farm first, nor a second one after.
    expect(t.lines.filter((line) => line.includes('logging in server='))).toHaveLength(1);
    expect(t.lines.join('\n')).not.toContain(DEFAULT_SERVER);
  });

  it('is waited for a bounded time, then the public farm is tried, saying so', async () => {
    const farm = await testFarm();
    const clock = new ManualClock(Date.now());
    const fake = await startConsole(clock);
    const consoleUrl = fake.url;
    await fake.close(); // paired with a console that is away for good
    const configDir = await paired(consoleUrl);
    await writeFile(join(configDir, FARM_ACCOUNT_FILE), JSON.stringify({ login: 'demo', renderKey: 'demo' }));
    // Every farm request goes to a proxy that refuses: nothing leaves this machine.
    const t = await linkedAgent(farm, configDir, clock, {
      ...FROM_CONSOLE_ONLY,
      proxy: 'http://127.0.0.1:9',
    });
    await until(() => /farm server from the console/.test(t.agent.store.state.reason?.message ?? ''), {
      what: 'the wait',
      lines: t.lines,
    });
    expect(t.agent.store.state.reason?.until).toBeGreaterThan(clock.now());
    await until(() => t.lines.some((line) => line.includes(`logging in server=${DEFAULT_SERVER}`)), {
      clock,
      stepMs: 10_000,
      what: 'the login to the public farm',
      lines: t.lines,
    });
    expect(t.lines.join('\n')).toMatch(/no farm server from the console within 2 minutes/);
  });
});
