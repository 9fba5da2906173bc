// The one-line install against the real console: a freshly built agent served by the console, the
// Linux command from "Add machine" run through sh by a new user with an empty home, systemctl
// recorded by a stand-in. Then the installed agent, started with the unit's own command line,
// renders a frame for the sandbox farm and shows up in the console. Bad input of every kind gets one
// clear line and leaves nothing behind.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AgentManifestSchema } from '@flock/protocol';
import { requestUpdate } from 'flock-agent';
import { type RunningFarm, startFarm } from 'flock-farm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningConsole } from '../src/server/start';
import { addMachine, call, login, startTestConsole, tempDir } from './support/console';
import { giveToMachineUser, type NewMachine, newMachine, systemctlCalls } from './support/new-machine';

let agentDist: string;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

beforeAll(async () => {
  const buildScript = join(import.meta.dirname, '..', '..', 'agent', 'build.mjs');
  const { buildAgent } = (await import(buildScript)) as { buildAgent(outDir: string): Promise<string> };
  agentDist = await buildAgent(join(tempDir('flock-agent-dist-'), 'dist'));
}, 120_000);

const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

async function consoleWithAgent(
  options: Parameters<typeof startTestConsole>[0] = {},
): Promise<RunningConsole> {
  const running = await startTestConsole({ agentDist, ...options });
  stops.push(() => running.stop());
  return running;
}

/** "Add machine" as the admin: the code and the install commands. */
const addMachineAsAdmin = async (running: RunningConsole) => addMachine(running, await login(running));

const machineNamed = (running: RunningConsole, name: string) =>
  running.core.fleet.summaries().find((machine) => machine.name === name);

/** What a failed install must leave: no files at all in the home directory or the temp dir. */
function expectNothingInstalled(machine: NewMachine): void {
  expect(machine.files()).toEqual([]);
}

async function until(check: () => boolean, what: string | (() => string), timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `Key=value` lines of a unit; ExecStart split into words (the test's paths have no spaces). */
function unitValues(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

const agentHomeOf = (machine: NewMachine) => join(machine.home, '.local', 'share', 'flock-agent');
const unitFileOf = (machine: NewMachine) =>
  join(machine.home, '.config', 'systemd', 'user', 'flock-agent.service');
const versionsOf = (machine: NewMachine) =>
  JSON.parse(readFileSync(join(agentHomeOf(machine), 'versions.json'), 'utf8'));

/**
 * The agent's config holds only its cache dir: the farm server and the SheepIt account come from the
 * console, set once for the fleet (as `npm start`'s console does with --demo-farm).
 */
async function pointAtFarm(machine: NewMachine, farm: RunningFarm, running: RunningConsole): Promise<void> {
  writeFileSync(
    join(machine.home, '.config', 'flock', 'agent.json'),
    JSON.stringify({ 'cache-dir': join(machine.home, 'cache') }),
  );
  giveToMachineUser(machine.home);
  // The farm and its account come from the console, as `npm start`'s console hands them out.
  const cookie = await login(running);
  const account = { login: 'demo', renderKey: 'demo' };
  expect((await call(running, 'mutation', 'farmAccount.setFleet', account, { cookie })).status).toBe(200);
  const farmServer = { farmServer: farm.url };
  expect(
    (await call(running, 'mutation', 'fleetSettings.setFarmServer', farmServer, { cookie })).status,
  ).toBe(200);
}

/** Starts the installed agent exactly as its unit does: the unit's ExecStart and Environment. */
function startAsTheUnitDoes(machine: NewMachine) {
  const unit = readFileSync(unitFileOf(machine), 'utf8');
  const [node = '', ...args] = (unitValues(unit, 'ExecStart')[0] ?? '').split(' ');
  const env = Object.fromEntries(unitValues(unit, 'Environment').map((pair) => pair.split('=', 2)));
  const child = spawn(node, args, {
    ...machine.spawnOptions(),
    env: { ...machine.env, ...env },
    stdio: 'pipe',
  });
  let log = '';
  child.stderr?.on('data', (chunk) => (log += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  stops.push(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  return { env, exited, log: () => log, stop: (signal: NodeJS.Signals) => child.kill(signal) };
}

describe('install.sh from the console', () => {
  let farm: RunningFarm;
  beforeAll(async () => {
    farm = await startFarm({
      dataDir: tempDir('flock-install-farm-'),
      renderer: 'synthetic',
      logLevel: 'warn',
      logSink: () => {},
    });
    await farm.addProject({ frames: [1, 20], resolution: [64, 48], synthetic: { renderMs: 300 } });
  });
  afterAll(() => farm.close());

  it('installs, pairs and registers the service; the agent started as the unit starts it renders and links', async () => {
    const running = await consoleWithAgent();
    const { code, commands } = await addMachineAsAdmin(running);
    expect(commands.unix).toBe(`curl -fsSL ${running.url}/install.sh | sh -s -- ${code}`);
    const machine = newMachine();

    const result = await machine.sh(commands.unix);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('flock install: downloading the Flock agent 0.1.0');
    expect(result.stdout).toContain('Done: the agent appears in the console once it connects.');

    // The files: exactly the console's build, verified, in the XDG data dir.
    const manifest = AgentManifestSchema.parse(
      await (await fetch(`${running.url}/agent/manifest.json`)).json(),
    );
    const home = join(machine.home, '.local', 'share', 'flock-agent');
    const versionId = `${manifest.version}-${manifest.agent.sha256.slice(0, 12)}`;
    expect(sha256(join(home, 'versions', versionId, 'flock-agent.mjs'))).toBe(manifest.agent.sha256);
    expect(sha256(join(home, 'launcher.mjs'))).toBe(manifest.launcher.sha256);
    expect(manifest.agent.sha256).toBe(sha256(join(agentDist, 'flock-agent.mjs')));
    expect(JSON.parse(readFileSync(join(home, 'versions.json'), 'utf8'))).toEqual({
      current: versionId,
      previous: null,
      trial: null,
      rolledBack: null,
    });
    expect(machine.files().filter((file) => file.startsWith('tmp/'))).toEqual([]);

    // The service: a user unit, enabled and started; systemd-analyze finds nothing wrong with it.
    expect(systemctlCalls(machine)).toEqual([
      '--user show-environment',
      '--user daemon-reload',
      '--user enable flock-agent.service',
      '--user restart flock-agent.service',
    ]);
    const unitFile = unitFileOf(machine);
    const verify = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('systemd-analyze', ['verify', unitFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (chunk) => (stderr += chunk));
      child.on('close', (exitCode) => resolve({ code: exitCode, stderr }));
    });
    expect(verify).toEqual({ code: 0, stderr: '' });

    // The pairing: the machine is in the console under this host's name.
    expect(machineNamed(running, hostname())).toMatchObject({ status: 'never-connected' });

    // No SheepIt account on the machine: it renders with the one the console hands out.
    await pointAtFarm(machine, farm, running);
    const agent = startAsTheUnitDoes(machine);
    expect(agent.env).toEqual({ FLOCK_SUPERVISOR: 'systemd' });
    await until(
      () => farm.jobs().some((job) => job.state === 'validated'),
      () => `a validated frame (agent log:\n${agent.log()})`,
    );
    await until(
      () => machineNamed(running, hostname())?.online === true,
      'the machine online in the console',
    );
    expect(machineNamed(running, hostname())?.agentVersion).toBe(manifest.version);
    agent.stop('SIGTERM');
    expect(await agent.exited).toBe(0);
  }, 180_000);

  it('upgrades in place when run again after the agent was rebuilt: the old version kept as previous', async () => {
    const dataDir = tempDir('flock-install-console-');
    let running = await consoleWithAgent({ dataDir });
    const port = Number(new URL(running.url).port);
    const machine = newMachine();
    expect((await machine.sh((await addMachineAsAdmin(running)).commands.unix)).code).toBe(0);
    const before = AgentManifestSchema.parse(
      await (await fetch(`${running.url}/agent/manifest.json`)).json(),
    );
    await running.stop();

    // A rebuilt agent (another bundle) becomes the console's current build at its next start.
    const rebuilt = tempDir('flock-agent-rebuilt-');
    for (const file of ['flock-agent.mjs', 'launcher.mjs', 'build.json'])
      writeFileSync(join(rebuilt, file), readFileSync(join(agentDist, file)));
    writeFileSync(
      join(rebuilt, 'flock-agent.mjs'),
      `${readFileSync(join(agentDist, 'flock-agent.mjs'), 'utf8')}\n// rebuilt\n`,
    );
    running = await consoleWithAgent({ dataDir, agentDist: rebuilt, port }); // the same console, same URL
    const after = AgentManifestSchema.parse(await (await fetch(`${running.url}/agent/manifest.json`)).json());
    expect(after.agent.sha256).not.toBe(before.agent.sha256);
    expect(running.core.agentBuilds.builds.map((build) => build.sha256)).toEqual([
      after.agent.sha256,
      before.agent.sha256,
    ]);

    const again = await machine.sh((await addMachineAsAdmin(running)).commands.unix);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`already paired with ${running.url}: kept`);
    const id = (manifest: typeof before) => `${manifest.version}-${manifest.agent.sha256.slice(0, 12)}`;
    expect(again.stdout).toContain(`replaced version ${id(before)} with ${id(after)}`);
    const versions = JSON.parse(
      readFileSync(join(machine.home, '.local', 'share', 'flock-agent', 'versions.json'), 'utf8'),
    );
    expect(versions).toMatchObject({ current: id(after), previous: id(before) });
    expect(running.core.fleet.summaries()).toHaveLength(1);
  }, 120_000);
});

describe('updates on an installed machine (the launcher and the agent, real processes)', () => {
  let farm: RunningFarm;
  beforeAll(async () => {
    farm = await startFarm({
      dataDir: tempDir('flock-update-farm-'),
      renderer: 'synthetic',
      logLevel: 'warn',
      logSink: () => {},
    });
    await farm.addProject({ frames: [1, 50], resolution: [64, 48], synthetic: { renderMs: 300 } });
  });
  afterAll(() => farm.close());

  it('a new version runs on trial and stays once its console welcomes it; a broken one is rolled back and the old one links again', async () => {
    const running = await consoleWithAgent();
    const machine = newMachine();
    expect((await machine.sh((await addMachineAsAdmin(running)).commands.unix)).code).toBe(0);
    await pointAtFarm(machine, farm, running);
    const home = agentHomeOf(machine);
    const installed = versionsOf(machine).current as string;
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

    // A working new build (as the console's update will store it): confirmed on welcome.
    const next = Buffer.concat([
      readFileSync(join(agentDist, 'flock-agent.mjs')),
      Buffer.from('\n// next build\n'),
    ]);
    const nextId = requestUpdate(
      { home, versionId: installed, supervisor: 'systemd' },
      { version: '0.1.0', sha256: sha(next), bytes: next },
    );
    giveToMachineUser(machine.home);
    const trial = startAsTheUnitDoes(machine);
    // The agent writes versions.json, then logs the confirmation: wait for both (the log comes after).
    const confirmed = `version ${nextId} confirmed: it connected to the console`;
    await until(
      () => versionsOf(machine).current === nextId && trial.log().includes(confirmed),
      () => `the trial confirmed (agent log:\n${trial.log()})`,
    );
    expect(versionsOf(machine)).toEqual({
      current: nextId,
      previous: installed,
      trial: null,
      rolledBack: null,
    });
    trial.stop('SIGTERM');
    expect(await trial.exited).toBe(0);

    // A broken one: the launcher asks for a restart (75), and the restart runs the version before.
    const broken = Buffer.from('export function runCli( {\n');
    const brokenId = requestUpdate(
      { home, versionId: nextId, supervisor: 'systemd' },
      { version: '0.1.1', sha256: sha(broken), bytes: broken },
    );
    giveToMachineUser(machine.home);
    const failed = startAsTheUnitDoes(machine);
    expect(await failed.exited).toBe(75);
    expect(failed.log()).toContain(`rolled back from version ${brokenId}: it failed to start (SyntaxError`);
    const restarted = startAsTheUnitDoes(machine);
    await until(
      () => machineNamed(running, hostname())?.online === true,
      () => `the old version online (log:\n${restarted.log()})`,
    );
    expect(versionsOf(machine)).toMatchObject({ current: nextId, trial: null, rolledBack: { id: brokenId } });
    restarted.stop('SIGTERM');
    expect(await restarted.exited).toBe(0);
  }, 120_000);
});

describe('install.sh refuses, with one clear line, and leaves nothing behind', () => {
  it('a tampered agent file (hash mismatch)', async () => {
    const running = await consoleWithAgent();
    const { sha256: bundleSha } = running.core.agentBuilds.manifest()?.agent ?? { sha256: '' };
    const served = running.core.agentBuilds.file(bundleSha, 'flock-agent.mjs') ?? '';
    writeFileSync(served, `${readFileSync(served, 'utf8')};process.exit(0);`);
    const machine = newMachine();
    const result = await machine.sh((await addMachineAsAdmin(running)).commands.unix);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^flock install: flock-agent.mjs from the console does not match its SHA-256 \\(expected ${bundleSha}, got [0-9a-f]{64}\\): it was changed on the way or on the console; nothing was installed\\n$`,
      ),
    );
    expectNothingInstalled(machine);
    expect(running.core.fleet.summaries()).toEqual([]);
  }, 60_000);

  it('a wrong code, and an expired one', async () => {
    let now = Date.now();
    const running = await consoleWithAgent({ now: () => now });
    const machine = newMachine();
    const wrong = await machine.sh(`curl -fsSL ${running.url}/install.sh | sh -s -- WRNG-C0DE`);
    expect(wrong.code).toBe(1);
    const refused = `pairing with ${running.url} failed: pairing refused (403): pairing code unknown, already used or expired; nothing was installed`;
    expect(wrong.stderr).toBe(
      `flock-agent: ${refused}\nflock install: the install did not finish (see above)\n`,
    );
    expectNothingInstalled(machine);

    const { commands } = await addMachineAsAdmin(running);
    now += 11 * 60_000; // codes are valid for 10 minutes
    const expired = await machine.sh(commands.unix);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain(refused);
    expectNothingInstalled(machine);
    expect(running.core.fleet.summaries()).toEqual([]);
  }, 60_000);

  it('no code at all', async () => {
    const running = await consoleWithAgent();
    const machine = newMachine();
    const result = await machine.sh(`curl -fsSL ${running.url}/install.sh | sh`);
    expect(result).toMatchObject({
      code: 1,
      stderr: `flock install: the pairing code is missing: copy the whole command from the console's "Add machine"\n`,
    });
    expectNothingInstalled(machine);
  });

  it('Node missing, or too old', async () => {
    const running = await consoleWithAgent();
    const { commands } = await addMachineAsAdmin(running);
    const missing = newMachine();
    // Only the tools the script needs on PATH, node not among them.
    for (const tool of ['sh', 'curl', 'mktemp', 'rm', 'cut', 'sha256sum', 'basename'])
      missing.linkTool(
        tool,
        spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(),
      );
    missing.env.PATH = missing.standIns;
    const noNode = await missing.sh(commands.unix);
    expect(noNode).toMatchObject({
      code: 1,
      stderr:
        'flock install: Node.js 20.19.0 or newer is needed and there is no node on the PATH: install it (https://nodejs.org), then run this again\n',
    });
    expectNothingInstalled(missing);

    const old = newMachine();
    old.standIn(
      'node',
      '#!/bin/sh\n[ "$1" = --version ] && echo v18.19.1 && exit 0\necho "node stand-in: only --version" >&2; exit 9\n',
    );
    const tooOld = await old.sh(commands.unix);
    expect(tooOld).toMatchObject({
      code: 1,
      stderr:
        'flock install: Node.js v18.19.1 is too old: the agent needs Node.js 20.19.0 or newer (https://nodejs.org)\n',
    });
    expectNothingInstalled(old);
  });

  it('the console gone before the downloads', async () => {
    const running = await consoleWithAgent();
    const { code } = await addMachineAsAdmin(running);
    const script = await (await fetch(`${running.url}/install.sh`)).text();
    await running.stop();
    const machine = newMachine();
    const result = await machine.sh(`sh -s -- ${code}`, { stdin: script });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`flock install: could not download ${running.url}/agent/builds/`);
    expect(result.stderr).toMatch(
      /\(is the console running and reachable from here\?\); nothing was installed\n$/,
    );
    expectNothingInstalled(machine);
  });

  it('the console gone after the downloads, before the pairing', async () => {
    const running = await consoleWithAgent();
    const { commands } = await addMachineAsAdmin(running);
    const machine = newMachine();
    // curl as usual, but after the last download it waits until the test has stopped the console.
    const paused = join(machine.home, '..', 'curl-paused');
    machine.standIn(
      'curl',
      `#!/bin/sh\n/usr/bin/curl "$@"; status=$?\ncase "$*" in *launcher.mjs*) : > '${paused}'; while [ -e '${paused}' ]; do sleep 0.1; done;; esac\nexit $status\n`,
    );
    const finished = machine.sh(commands.unix);
    await until(() => existsSync(paused), 'the downloads');
    await running.stop();
    const { rmSync } = await import('node:fs');
    rmSync(paused);
    const result = await finished;
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `flock-agent: pairing with ${running.url} failed: cannot reach the console at ${running.url}`,
    );
    expect(result.stderr).toContain('; nothing was installed\n');
    expectNothingInstalled(machine);
  }, 60_000);
});
