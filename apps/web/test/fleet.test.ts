// `npm start` for real: the fleet runner (scripts/fleet.ts) with farm, console and a local agent
// paired through a one-time code; a terminal's Ctrl-C (SIGINT to the whole process group, through
// npm → bootstrap.mjs → fleet.ts → launch.mjs) lets the frame in progress finish and be delivered;
// a child that exits is restarted while the others run on.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddProjectOptions, startFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const built = existsSync(join(import.meta.dirname, '..', '.next', 'BUILD_ID'));
if (!built)
  console.warn('fleet.test: SKIPPED — the console is not built (`pnpm --filter @flock/web build`).');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/** The fleet's output without the lines each frame adds, for failure messages. */
function outline(output: string): string {
  const perFrame = /request_job|send_frame|archive\.php|frame (rendered|validated|delivered)|job received/;
  return output
    .split('\n')
    .filter((line) => !perFrame.test(line))
    .join('\n')
    .slice(-6000);
}

/** Polls `condition` until it holds; fails with `what` and the fleet's last output. */
async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  output: () => string,
  timeoutMs: number,
): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `no ${what} within ${timeoutMs} ms; output without per-frame lines:\n${outline(output())}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface Fleet {
  child: ChildProcess;
  dataDir: string;
  farmUrl: string;
  consoleUrl: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

type Role = 'farm' | 'console' | 'agent';
const ROLE_MARKS: Record<Role, string> = {
  farm: 'apps/farm/src/cli.ts',
  console: 'server.ts',
  agent: 'launch.mjs',
};

/** The running processes of this fleet's children, found by their command lines (each names the data dir). */
function fleetProcesses(fleet: Fleet): { pid: number; role: Role | undefined }[] {
  const found: { pid: number; role: Role | undefined }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!args.some((arg) => arg.startsWith(fleet.dataDir))) continue;
    const role = (Object.keys(ROLE_MARKS) as Role[]).find((name) =>
      args.some((arg) => arg.endsWith(ROLE_MARKS[name])),
    );
    found.push({ pid: Number(entry), role });
  }
  return found;
}

const pidsOf = (fleet: Fleet, role: Role) =>
  fleetProcesses(fleet)
    .filter((process) => process.role === role)
    .map((process) => process.pid);

const fleets: Fleet[] = [];
afterEach(() => {
  // Whatever a failed test left: the chain's group, and each child's own group.
  for (const fleet of fleets.splice(0)) {
    for (const { pid } of fleetProcesses(fleet)) killGroup(pid);
    if (fleet.child.pid !== undefined) killGroup(fleet.child.pid);
    rmSync(fleet.dataDir, { recursive: true, force: true });
  }
});

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/** A farm data dir holding `project` (no demo then), as a farm the fleet then serves. */
async function seedFarm(dataDir: string, project: AddProjectOptions): Promise<void> {
  const farm = await startFarm({ dataDir: join(dataDir, 'farm'), renderer: 'synthetic', logLevel: 'silent' });
  await farm.addProject(project);
  await farm.close();
}

/** The fleet in its own process group (as a terminal runs a command); `command` defaults to fleet.ts. */
async function startFleet(
  dataDir: string,
  command: { file: string; args: string[]; env?: Record<string, string> } = {
    file: process.execPath,
    args: ['--import', 'tsx', join(root, 'scripts', 'fleet.ts')],
  },
): Promise<Fleet> {
  const [farmPort, consolePort] = [await freePort(), await freePort()];
  let output = '';
  const child = spawn(command.file, command.args, {
    cwd: root,
    env: {
      ...process.env,
      ...command.env,
      FLOCK_DATA_DIR: dataDir,
      FLOCK_FARM_PORT: String(farmPort),
      FLOCK_CONSOLE_PORT: String(consolePort),
      FLOCK_QUIET: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const fleet: Fleet = {
    child,
    dataDir,
    farmUrl: `http://127.0.0.1:${farmPort}`,
    consoleUrl: `http://127.0.0.1:${consolePort}`,
    output: () => output,
    exited,
  };
  fleets.push(fleet);
  return fleet;
}

/** Ctrl-C as a terminal sends it: SIGINT to every process of the foreground group. */
function pressCtrlC(fleet: Fleet): void {
  process.kill(-(fleet.child.pid as number), 'SIGINT');
}

async function farmState(fleet: Fleet) {
  // The farm made its admin token at first start, in its data dir (mode 0600).
  const tokenFile = join(fleet.dataDir, 'farm', 'admin-token');
  if (!existsSync(tokenFile)) return undefined;
  const token = readFileSync(tokenFile, 'utf8').trim();
  const response = await fetch(`${fleet.farmUrl}/admin/state`, {
    headers: { authorization: `Bearer ${token}` },
  }).catch(() => undefined);
  if (!response?.ok) return undefined;
  return (await response.json()) as { projects: { framesRendering: number; framesDone: number }[] };
}

const answers = (url: string) =>
  fetch(url, { redirect: 'manual' }).then(
    () => true,
    () => false,
  );

const tempDataDir = () => mkdtempSync(join(tmpdir(), 'flock-fleet-'));

describe.skipIf(!built)('npm start (scripts/fleet.ts)', () => {
  it('starts farm and agent first, then the console; the agent pairs, links and renders; Ctrl-C stops all three', async () => {
    const fleet = await startFleet(tempDataDir());
    const { output } = fleet;
    await until(() => /\[console\].*link .*: connected/.test(output()), 'link', output, 240_000);
    await until(() => /\[farm\].*frame validated/.test(output()), 'validated frame', output, 120_000);
    // The agent logged in to the farm before the console said anything: it did not wait for the build.
    expect(output().search(/\[agent\].*logging in/)).toBeLessThan(output().search(/\[console\]/));
    expect(statSync(join(fleet.dataDir, 'agent', 'console-link.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(fleet.dataDir, 'agent', 'agent.json')).mode & 0o777).toBe(0o600);
    expect(output()).not.toMatch(/password["=:]\s*"?demo/);

    pressCtrlC(fleet);
    expect((await fleet.exited).code).toBe(0);
    expect(output()).toMatch(/\[agent\].*logged out/);
    expect(output()).toMatch(/\[farm\].*session logged out/);
    expect(output()).toMatch(/\[console\].*disconnected/);
    expect(fleetProcesses(fleet)).toEqual([]);
  }, 420_000);

  it('npm start, one Ctrl-C to its process group: the frame in progress is delivered, the agent logs out, all exit', async () => {
    const dataDir = tempDataDir();
    await seedFarm(dataDir, { frames: [1, 3], resolution: [64, 48], synthetic: { renderMs: 8000 } });
    // A newcomer's shell: npm and node, no pnpm on PATH.
    const fleet = await startFleet(dataDir, {
      file: 'npm',
      args: ['start'],
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    });
    const { output } = fleet;
    const rendering = async () => ((await farmState(fleet))?.projects[0]?.framesRendering ?? 0) > 0;
    await until(rendering, 'frame in progress', output, 240_000);

    pressCtrlC(fleet);
    await fleet.exited;
    // npm ends once everything it started has ended: nothing is left running.
    expect(fleetProcesses(fleet)).toEqual([]);
    expect(await answers(fleet.farmUrl)).toBe(false);
    expect(output()).toMatch(/\[agent\].*stopping after the current frame/);
    expect(output()).not.toMatch(/stopping now/);
    expect(output()).toMatch(/\[agent\].*frame delivered/);
    expect(output()).toMatch(/\[agent\].*logged out/);

    const farm = await startFarm({ dataDir: join(dataDir, 'farm'), logLevel: 'silent' });
    try {
      const jobs = farm.jobs();
      expect(jobs[0]?.state).toBe('validated');
      expect(jobs.filter((job) => job.state === 'assigned')).toEqual([]);
      expect(farm.sessions().map((session) => session.state)).toEqual(['logged-out']);
    } finally {
      await farm.close();
    }
  }, 420_000);

  it('a child that exits is started again after a back-off; the others run on untouched', async () => {
    const dataDir = tempDataDir();
    await seedFarm(dataDir, { frames: [1, 200], resolution: [64, 48], synthetic: { renderMs: 500 } });
    const fleet = await startFleet(dataDir);
    const { output } = fleet;
    await until(() => /Flock is running/.test(output()), 'running fleet', output, 240_000);
    const farmPids = pidsOf(fleet, 'farm');
    const agentPids = pidsOf(fleet, 'agent');
    const [consolePid] = pidsOf(fleet, 'console');
    expect([farmPids.length, agentPids.length]).toEqual([1, 1]);
    const links = () => output().match(/\[console\].*link .*: connected/g)?.length ?? 0;
    await until(() => links() === 1, 'the agent linked', output, 60_000);

    process.kill(consolePid as number, 'SIGTERM'); // the console alone ends, cleanly (exit 0)
    const restarted = () => pidsOf(fleet, 'console').some((pid) => pid !== consolePid);
    await until(restarted, 'console restart', output, 60_000);
    expect(output()).toMatch(/\[fleet\] console exited \(code 0\) after .*; restarting it in 1 s/);
    await until(() => answers(fleet.consoleUrl), 'console answering again', output, 60_000);
    await until(() => links() === 2, 'the agent linked again', output, 90_000);

    expect([pidsOf(fleet, 'farm'), pidsOf(fleet, 'agent')]).toEqual([farmPids, agentPids]);
    expect(output()).not.toMatch(/\[fleet\] stopping|\[agent\].*stopping/);

    pressCtrlC(fleet);
    expect((await fleet.exited).code).toBe(0);
  }, 420_000);
});
