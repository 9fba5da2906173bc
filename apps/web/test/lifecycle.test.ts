// Remote lifecycle through the real console, installed agents and their launcher (real processes,
// restarted as systemd restarts them): Stop rendering and Start with no process exit between,
// Restart, Update to a rebuilt agent and back, and a broken build rolled back by itself on the
// first machine, which stops the roll-out before the second.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentVersionId } from '@flock/protocol';
import { type RunningFarm, startFarm } from 'flock-farm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import type { Rollout } from '../src/server/updates/rollout';
import { addMachine, call, dataOf, login, startTestConsole, tempDir } from './support/console';
import { type SupervisedAgent, superviseAsTheUnit, versionsOf } from './support/installed-agent';
import { giveToMachineUser, type NewMachine, newMachine } from './support/new-machine';

let agentDist: string;
let farm: RunningFarm;

beforeAll(async () => {
  const buildScript = join(import.meta.dirname, '..', '..', 'agent', 'build.mjs');
  const { buildAgent } = (await import(buildScript)) as { buildAgent(outDir: string): Promise<string> };
  agentDist = await buildAgent(join(tempDir('flock-agent-dist-'), 'dist'));
  farm = await startFarm({
    dataDir: tempDir('flock-lifecycle-farm-'),
    renderer: 'synthetic',
    logLevel: 'warn',
    logSink: () => {},
  });
  await farm.addProject({ frames: [1, 400], resolution: [32, 24], synthetic: { renderMs: 400 } });
}, 120_000);
afterAll(() => farm.close());

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

async function until(check: () => boolean, what: string | (() => string), timeoutMs = 90_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startConsole(options: Parameters<typeof startTestConsole>[0] = {}) {
  const running = await startTestConsole({ agentDist, heartbeatMs: 1000, ...options });
  stops.push(() => running.stop());
  return { running, cookie: await login(running) };
}

/** Installs the agent with the console's Linux line, with the farm account in its own config. */
async function installMachine(running: RunningConsole, cookie: string): Promise<NewMachine> {
  const { commands } = await addMachine(running, cookie);
  const machine = newMachine();
  const result = await machine.sh(commands.unix);
  expect(result.code, result.stderr).toBe(0);
  writeFileSync(
    join(machine.home, '.config', 'flock', 'agent.json'),
    JSON.stringify({
      server: farm.url,
      login: 'demo',
      password: 'demo',
      'cache-dir': join(machine.home, 'cache'),
    }),
  );
  giveToMachineUser(machine.home);
  return machine;
}

function supervise(machine: NewMachine): SupervisedAgent {
  const agent = superviseAsTheUnit(machine);
  stops.push(() => agent.stop());
  return agent;
}

/** The console's record of the machine installed in `machine` (machines are told apart by their secret's id). */
const machineIdOf = (machine: NewMachine): string =>
  JSON.parse(readFileSync(join(machine.home, '.config', 'flock', 'console-link.json'), 'utf8')).machineId;

const recordOf = (running: RunningConsole, machine: NewMachine) =>
  running.core.fleet.record(machineIdOf(machine));

const validatedFrames = () => farm.jobs().filter((job) => job.state === 'validated').length;

async function command(running: RunningConsole, cookie: string, machine: NewMachine, body: object) {
  const { status, body: answer } = await call(
    running,
    'mutation',
    'fleet.command',
    { ids: [machineIdOf(machine)], command: body },
    { cookie },
  );
  expect(status).toBe(200);
  return dataOf<{ status: string; result?: { ok: boolean; message: string } }[]>(answer)[0];
}

/** A copy of the agent's dist/ as another version; `bundle` changes the bundle's text further. */
function rebuiltDist(version: string, bundle: (text: string) => string = (text) => text): string {
  const dir = tempDir('flock-agent-rebuilt-');
  cpSync(join(agentDist, 'launcher.mjs'), join(dir, 'launcher.mjs'));
  writeFileSync(join(dir, 'build.json'), JSON.stringify({ version, node: '>=20.19' }));
  const original = readFileSync(join(agentDist, 'flock-agent.mjs'), 'utf8');
  const renamed = original.replace(
    'name:"flock-agent",version:"0.1.0"',
    `name:"flock-agent",version:"${version}"`,
  );
  expect(renamed).not.toBe(original);
  writeFileSync(join(dir, 'flock-agent.mjs'), bundle(renamed));
  return dir;
}

async function rollOut(running: RunningConsole, cookie: string, sha256: string): Promise<Rollout> {
  const { status, body } = await call(running, 'mutation', 'updates.start', { sha256 }, { cookie });
  expect(status, JSON.stringify(body)).toBe(200);
  return dataOf<Rollout>(body);
}

describe('stop rendering, start and restart from the console', () => {
  it('Stop logs out and waits with the process running; Start renders again; Restart exits 75 and comes back', async () => {
    const { running, cookie } = await startConsole();
    const machine = await installMachine(running, cookie);
    const agent = supervise(machine);
    await until(
      () => recordOf(running, machine)?.online === true && validatedFrames() > 0,
      () => `rendering (log:\n${agent.log()})`,
    );
    const bootId = recordOf(running, machine)?.hello?.bootId;

    expect(await command(running, cookie, machine, { type: 'stop', when: 'after-frame' })).toMatchObject({
      status: 'acked',
      result: { ok: true },
    });
    await until(
      () => recordOf(running, machine)?.state?.reason?.code === 'stopped-by-user',
      () => `stopped (log:\n${agent.log()})`,
    );
    const stopped = running.core.fleet.summary(machineIdOf(machine));
    expect(stopped).toMatchObject({ online: true, status: 'stopped' });
    expect(stopped?.reason?.message).toContain('press Start');
    const framesWhenStopped = validatedFrames();
    expect(farm.sessions().at(-1)?.state).toBe('logged-out');

    expect(await command(running, cookie, machine, { type: 'start' })).toMatchObject({
      result: { ok: true },
    });
    await until(
      () => validatedFrames() > framesWhenStopped,
      () => `a frame after Start (log:\n${agent.log()})`,
    );
    expect(agent.exits).toEqual([]); // no process exit between Stop and Start
    expect(recordOf(running, machine)?.hello?.bootId).toBe(bootId);

    expect(await command(running, cookie, machine, { type: 'restart' })).toMatchObject({
      result: { ok: true, message: 'restarting after the current frame and its upload' },
    });
    await until(() => agent.exits.length === 1, 'the restart');
    expect(agent.exits).toEqual([75]);
    await until(
      () =>
        recordOf(running, machine)?.online === true && recordOf(running, machine)?.hello?.bootId !== bootId,
      () => `back after the restart (log:\n${agent.log()})`,
    );
    const framesAfterRestart = validatedFrames();
    await until(() => validatedFrames() > framesAfterRestart, 'a frame after the restart');
    expect(await agent.stop()).toBe(0);
  }, 240_000);
});

describe("the console's Stop across a restart", () => {
  it('a machine stopped from the console and restarted comes back stopped, and renders on Start', async () => {
    const { running, cookie } = await startConsole();
    const machine = await installMachine(running, cookie);
    const agent = supervise(machine);
    await until(
      () => recordOf(running, machine)?.online === true && validatedFrames() > 0,
      () => `rendering (log:\n${agent.log()})`,
    );
    const bootId = recordOf(running, machine)?.hello?.bootId;
    await command(running, cookie, machine, { type: 'stop', when: 'now' });
    await until(
      () => recordOf(running, machine)?.state?.reason?.code === 'stopped-by-user',
      () => `stopped (log:\n${agent.log()})`,
    );
    expect(await command(running, cookie, machine, { type: 'restart' })).toMatchObject({
      result: { ok: true },
    });
    await until(
      () =>
        recordOf(running, machine)?.online === true &&
        recordOf(running, machine)?.hello?.bootId !== bootId &&
        recordOf(running, machine)?.state?.reason?.code === 'stopped-by-user',
      () => `back after the restart, still stopped (log:\n${agent.log()})`,
    );
    expect(agent.exits).toEqual([75]);
    const framesWhenBack = validatedFrames();
    expect(running.core.fleet.summary(machineIdOf(machine))).toMatchObject({ status: 'stopped' });

    await command(running, cookie, machine, { type: 'start' });
    await until(
      () => validatedFrames() > framesWhenBack,
      () => `a frame after Start (log:\n${agent.log()})`,
    );
    expect(await agent.stop()).toBe(0);
  }, 240_000);
});

describe('updates rolled out from the console', () => {
  it('"Update" moves a machine to a rebuilt agent that reconnects; "Roll back" moves it back', async () => {
    const dataDir = tempDir('flock-lifecycle-console-');
    let { running, cookie } = await startConsole({ dataDir });
    const port = Number(new URL(running.url).port);
    const machine = await installMachine(running, cookie);
    const installed = versionsOf(machine).current as string;
    await running.stop();
    // The agent was rebuilt as 0.1.1: the console serves it from its next start, and keeps 0.1.0.
    ({ running, cookie } = await startConsole({ dataDir, port, agentDist: rebuiltDist('0.1.1') }));
    const [next, previous] = running.core.agentBuilds.builds;
    if (!next || !previous) throw new Error('the console keeps both builds');
    const nextId = agentVersionId(next.version, next.sha256);
    expect(agentVersionId(previous.version, previous.sha256)).toBe(installed);

    const agent = supervise(machine);
    await until(
      () => recordOf(running, machine)?.state?.lifecycle?.versionId === installed,
      'the machine online',
    );
    expect(running.core.fleet.summary(machineIdOf(machine))).toMatchObject({
      agentVersion: '0.1.0',
      lifecycle: { version: '0.1.0', versionId: installed, supervisor: 'systemd', update: null },
    });

    const started = await rollOut(running, cookie, next.sha256);
    expect(started).toMatchObject({ canaryId: machineIdOf(machine), phase: 'canary' });
    await until(
      () => running.core.rollouts.rollout?.phase === 'done',
      () => `the update (log:\n${agent.log()})`,
    );
    expect(running.core.rollouts.rollout?.machines).toEqual([
      expect.objectContaining({ from: '0.1.0', status: { kind: 'done', at: expect.any(Number) } }),
    ]);
    expect(running.core.fleet.summary(machineIdOf(machine))).toMatchObject({
      online: true,
      agentVersion: '0.1.1',
      lifecycle: { versionId: nextId, update: { kind: 'confirmed', versionId: nextId } },
    });
    expect(versionsOf(machine)).toEqual({
      current: nextId,
      previous: installed,
      trial: null,
      rolledBack: null,
    });
    expect(agent.exits).toEqual([75]);

    // "Roll back to 0.1.0" is the same path with the previous build.
    await rollOut(running, cookie, previous.sha256);
    await until(
      () => running.core.rollouts.rollout?.phase === 'done',
      () => `the rollback (log:\n${agent.log()})`,
    );
    expect(recordOf(running, machine)?.state?.lifecycle?.versionId).toBe(installed);
    expect(versionsOf(machine)).toMatchObject({ current: installed, previous: nextId });
    const frames = validatedFrames();
    await until(() => validatedFrames() > frames, 'a frame on the version rolled back to');
  }, 300_000);

  it('a broken build is rolled back by itself on the first machine, which stops the roll-out before the second', async () => {
    const dataDir = tempDir('flock-lifecycle-console-');
    let { running, cookie } = await startConsole({ dataDir });
    const port = Number(new URL(running.url).port);
    const machines = [await installMachine(running, cookie), await installMachine(running, cookie)];
    const installed = versionsOf(machines[0] as NewMachine).current as string;
    await running.stop();
    // A "new version" that cannot even be loaded.
    ({ running, cookie } = await startConsole({
      dataDir,
      port,
      agentDist: rebuiltDist('0.1.2', (text) => `${text}\nexport function broken( {\n`),
    }));
    const broken = running.core.agentBuilds.builds[0];
    if (!broken) throw new Error('no build');
    const brokenId = agentVersionId(broken.version, broken.sha256);
    const agents = machines.map(supervise);
    await until(
      () =>
        machines.every((machine) => recordOf(running, machine)?.state?.lifecycle?.versionId === installed),
      'both machines online',
    );

    const started = await rollOut(running, cookie, broken.sha256);
    const canary = machines.find((machine) => machineIdOf(machine) === started.canaryId) as NewMachine;
    const other = machines.find((machine) => machine !== canary) as NewMachine;
    await until(
      () => running.core.rollouts.rollout?.phase === 'halted',
      () => `the roll-out stopped (logs:\n${agents.map((agent) => agent.log()).join('\n=====\n')})`,
    );
    const rollout = running.core.rollouts.rollout as Rollout;
    const statusOf = (machine: NewMachine) =>
      rollout.machines.find((entry) => entry.id === machineIdOf(machine))?.status;
    expect(statusOf(canary)).toEqual({
      kind: 'rolled-back',
      at: expect.any(Number),
      reason: expect.stringMatching(/^it failed to start \(SyntaxError/),
    });
    expect(statusOf(other)).toEqual({
      kind: 'skipped',
      reason: expect.stringMatching(/^not updated: the first machine, .+, rolled back$/),
    });
    // The canary is back online on the old version and says so; the other was never touched.
    expect(recordOf(running, canary)).toMatchObject({ online: true });
    expect(recordOf(running, canary)?.state?.lifecycle).toMatchObject({
      versionId: installed,
      update: { kind: 'rolled-back', versionId: brokenId },
    });
    expect(versionsOf(canary)).toMatchObject({
      current: installed,
      trial: null,
      rolledBack: { id: brokenId },
    });
    expect(versionsOf(other)).toEqual({ current: installed, previous: null, trial: null, rolledBack: null });
    expect(agents.map((agent) => agent.exits)).toEqual(
      machines.map((machine) => (machine === canary ? [75, 75] : [])),
    );
  }, 300_000);
});

describe('who may update', () => {
  it('only admins roll builds out, only through the roll-out, and only builds the console keeps', async () => {
    const { running, cookie } = await startConsole();
    const mutation = (path: string, input: unknown, as = cookie) =>
      call(running, 'mutation', path, input, { cookie: as });
    expect(
      (
        await mutation('users.add', {
          username: 'operator',
          password: 'operator password 1',
          role: 'operator',
        })
      ).status,
    ).toBe(200);
    const { setCookie } = await call(running, 'mutation', 'auth.login', {
      username: 'operator',
      password: 'operator password 1',
    });
    const operator = setCookie?.split(';')[0] ?? '';
    const sha256 = running.core.agentBuilds.current?.sha256 ?? '';

    expect((await mutation('updates.start', { sha256 }, operator)).status).toBe(403);
    expect((await call(running, 'mutation', 'updates.start', { sha256 })).status).toBe(401);
    // The generic command route does not take an update, from anyone.
    const direct = await mutation('fleet.command', {
      ids: ['any'],
      command: { type: 'update', version: '0.1.0', sha256 },
    });
    expect(direct.status).toBe(400);
    expect(JSON.stringify(direct.body)).toContain('updates are rolled out from the Updates panel');

    const unknown = await mutation('updates.start', { sha256: 'f'.repeat(64) });
    expect(unknown.status).toBe(412);
    expect(JSON.stringify(unknown.body)).toContain('this console keeps no such agent build.');
    // No machine that could try it first: a clear refusal, and no roll-out.
    const none = await mutation('updates.start', { sha256 });
    expect(JSON.stringify(none.body)).toContain('there are no machines to update.');
    expect(running.core.rollouts.rollout).toBeNull();
  });
});
