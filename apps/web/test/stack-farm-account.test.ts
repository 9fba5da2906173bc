// The farm account set once in the console, end to end: an HTTPS console, an agent paired with its
// certificate pin and started with no SheepIt account of its own, the real sandbox farm. The agent
// renders with the console's account; an agent with its own keeps it, and the console shows which.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, FARM_ACCOUNT_FILE, type LinkClient, pair, startConsoleLink, toSettings } from 'flock-agent';
import { testMachineFacts } from 'flock-agent/testing';
import { type RunningFarm, startFarm } from 'flock-farm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import { addMachine, call, dataOf, login, startTestConsole, tempDir } from './support/console';

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

const FARM_ACCOUNTS = [
  { login: 'demo', password: 'demo' },
  { login: 'fleet-owner', password: 'fleet-render-key-5e1' },
];

async function farmAndConsole() {
  const farm: RunningFarm = await startFarm({
    dataDir: tempDir('flock-account-farm-'),
    renderer: 'synthetic',
    logLevel: 'warn',
    logSink: () => undefined,
    accounts: FARM_ACCOUNTS,
  });
  stops.push(() => farm.close());
  const project = await farm.addProject({
    frames: [1, 4],
    resolution: [64, 48],
    synthetic: { renderMs: 300 },
  });
  const running: RunningConsole = await startTestConsole({ transport: 'https' });
  stops.push(() => running.stop());
  const cookie = await login(running);
  return { farm, project, running, cookie };
}

/** Pairs with the pin from "Add machine" and runs the real agent, with or without its own account. */
async function agentOn(
  farm: RunningFarm,
  running: RunningConsole,
  cookie: string,
  name: string,
  own: { login?: string; password?: string },
) {
  const { code, pin } = await addMachine(running, cookie);
  const configDir = tempDir('flock-account-config-');
  await pair(running.url, code, { configDir, hostname: name, fingerprint: pin });
  const settings = toSettings({ server: farm.url, 'cache-dir': tempDir('flock-account-cache-'), ...own });
  const agent = await Agent.create({
    settings,
    machine: testMachineFacts(name),
    hwid: `${name}-hwid`,
    skipSpeedtest: true,
    configDir,
  });
  const link = (await startConsoleLink(agent, { configDir, agentVersion: 'account-test' })) as LinkClient;
  const run = agent.run();
  stops.push(async () => {
    await agent.execute({ type: 'stop', when: 'now' });
    await Promise.race([run, new Promise((resolve) => setTimeout(resolve, 5000))]);
    await link.stop();
  });
  return { agent, configDir };
}

const machineState = async (running: RunningConsole, cookie: string, name: string) => {
  const { machines } = dataOf<{ machines: { id: string; name: string }[] }>(
    (await call(running, 'query', 'fleet.list', undefined, { cookie })).body,
  );
  const id = machines.find((machine) => machine.name === name)?.id ?? '';
  return dataOf<{ state: { farmAccount?: unknown; reason?: { code: string } | null } | null }>(
    (await call(running, 'query', 'machines.get', { id }, { cookie })).body,
  ).state;
};

describe('the farm account from the console, end to end', () => {
  it('an agent with no account of its own waits, then renders with the one set in the console', async () => {
    const { farm, project, running, cookie } = await farmAndConsole();
    const { configDir } = await agentOn(farm, running, cookie, 'acct-01', {});
    await vi.waitFor(
      async () =>
        expect(await machineState(running, cookie, 'acct-01')).toMatchObject({
          farmAccount: { source: 'none', login: null },
          reason: { code: 'no-farm-account' },
        }),
      { timeout: 20_000, interval: 200 },
    );
    expect(farm.sessions()).toHaveLength(0);

    const setFleet = await call(
      running,
      'mutation',
      'farmAccount.setFleet',
      { login: 'fleet-owner', renderKey: 'fleet-render-key-5e1' },
      { cookie },
    );
    expect(setFleet.status).toBe(200);
    await vi.waitFor(
      () =>
        expect(farm.frames(project.id).filter((frame) => frame.state === 'done').length).toBeGreaterThan(0),
      { timeout: 30_000, interval: 200 },
    );
    expect([...new Set(farm.jobRequests().map((request) => request.login))]).toEqual(['fleet-owner']);
    expect(await machineState(running, cookie, 'acct-01')).toMatchObject({
      farmAccount: { source: 'console', login: 'fleet-owner' },
    });
    expect((await stat(join(configDir, FARM_ACCOUNT_FILE))).mode & 0o777).toBe(0o600);
  });

  it('an agent with its own account keeps it: local wins, and the console shows it', async () => {
    const { farm, project, running, cookie } = await farmAndConsole();
    await call(
      running,
      'mutation',
      'farmAccount.setFleet',
      { login: 'fleet-owner', renderKey: 'fleet-render-key-5e1' },
      { cookie },
    );
    await agentOn(farm, running, cookie, 'acct-02', { login: 'demo', password: 'demo' });
    await vi.waitFor(
      () =>
        expect(farm.frames(project.id).filter((frame) => frame.state === 'done').length).toBeGreaterThan(1),
      { timeout: 30_000, interval: 200 },
    );
    await vi.waitFor(async () =>
      expect(await machineState(running, cookie, 'acct-02')).toMatchObject({
        farmAccount: { source: 'local', login: 'demo' },
      }),
    );
    expect([...new Set(farm.jobRequests().map((request) => request.login))]).toEqual(['demo']);
  });
});
