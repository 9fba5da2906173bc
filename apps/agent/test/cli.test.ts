// The CLI as a user runs it: a real child process against the real sandbox farm.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { RunningFarm } from 'flock-farm';
import { afterEach, describe, expect, it } from 'vitest';
import { SETTING_KEYS } from '../src/config/index.js';
import { readStateFile } from '../src/state/index.js';
import { cleanUp, syntheticProject, tempDir, testFarm, until } from './e2e-helpers.js';

const running = new Set<ChildProcess>();
afterEach(async () => {
  // A test that failed may leave its agent running (in its own group: the test runner's end would not reach it).
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
  await cleanUp();
});

const CLI = path.join(import.meta.dirname, '..', 'src', 'cli.ts');
const LAUNCHER = path.join(import.meta.dirname, '..', 'launch.mjs');

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Started {
  child: ChildProcess;
  done: Promise<Finished>;
  /** What the agent has logged so far. */
  stderr: () => string;
}

/**
 * The CLI through tsx, or `launcher` (apps/agent/launch.mjs, as `pnpm agent` runs it). `ownGroup`
 * starts it in its own process group, so a test can signal the group as a terminal's Ctrl-C does.
 */
function startCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { ownGroup?: boolean; launcher?: boolean } = {},
): Started {
  const command = options.launcher ? [LAUNCHER] : [process.execPath, '--import', 'tsx', CLI];
  const [file = '', ...prefix] = command;
  const child = spawn(file, [...prefix, ...args], {
    cwd: path.join(import.meta.dirname, '..'),
    env: { ...process.env, XDG_CONFIG_HOME: '/nonexistent-flock-test', FLOCK_PASSWORD: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownGroup ?? false,
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<Finished>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, stderr: () => stderr };
}

/** Ctrl-C as a terminal sends it: SIGINT to every process of the group. */
function interruptGroup(child: ChildProcess): void {
  if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
}

const runCli = (args: string[], env?: NodeJS.ProcessEnv) => startCli(args, env).done;

/** Polls an async condition (the state file) until it holds. */
async function untilAsync(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function agentArgs(farm: RunningFarm, cacheDir: string, extra: string[] = []): string[] {
  return [
    'run',
    '--server',
    farm.url,
    '--login',
    'demo',
    '--password',
    'demo',
    '--cache-dir',
    cacheDir,
    ...extra,
  ];
}

describe('flock-agent CLI', () => {
  it('--help explains every flag', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    for (const key of SETTING_KEYS) expect(result.stdout).toContain(`--${key}`);
  });

  it.each([
    [['run', '--frobnicate']],
    [['run', '--login', 'demo', '--cache-dir', '/tmp/x']],
    [['run', '--login', 'demo', '--password', 'p', '--cache-dir', '/tmp/x', '--memory', 'lots']],
    [['pair', 'http://127.0.0.1:9']],
    [['pair', 'http://127.0.0.1:9', 'CODE', 'extra']],
    [['retry', '--now', '--cache-dir', '/tmp/x']],
    [['retry', 'extra']],
  ])('%j: one clear line, exit 2', async (args) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^flock-agent: [a-z-]+: /);
  });

  it('pair with an unreachable console: one line naming it, exit 1, nothing saved', async () => {
    const configDir = await tempDir('flock-pair-');
    const result = await runCli(['pair', 'http://127.0.0.1:9', 'ABCD-EFGH'], { XDG_CONFIG_HOME: configDir });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^flock-agent: cannot reach the console at http:\/\/127\.0\.0\.1:9/);
    expect(await readdir(configDir)).toEqual([]);
  });

  it('save-config writes the flags to the config file (0600) and run reads them from there', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    const dir = await tempDir('cli-config');
    const file = path.join(dir, 'agent.json');
    const cacheDir = path.join(dir, 'cache');
    const saved = await runCli([
      'save-config',
      '--config',
      file,
      '--server',
      farm.url,
      '--login',
      'demo',
      '--cache-dir',
      cacheDir,
    ]);
    expect(saved.code, saved.stderr).toBe(0);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const result = await runCli(['run', '--config', file, '--max-frames', '1'], { FLOCK_PASSWORD: 'demo' });
    expect(result.code, result.stderr).toBe(0);
    expect(farm.frames(project.id).filter((f) => f.state === 'done')).toHaveLength(1);
  });

  it('a refused login: one line with the meaning, exit 1, the password never printed', async () => {
    const farm = await testFarm();
    const cacheDir = await tempDir('cli');
    const result = await runCli(['run', '--server', farm.url, '--login', 'demo', '--cache-dir', cacheDir], {
      FLOCK_PASSWORD: 'not-the-password',
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      /^flock-agent: login refused: 102 AUTHENTICATION_FAILED/,
    );
    expect(result.stderr).not.toContain('not-the-password');
  });

  it('renders --max-frames frames, exits 0, logs JSON lines off a terminal; `status` reads the state', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 3);
    const cacheDir = await tempDir('cli');
    const result = await runCli(agentArgs(farm, cacheDir, ['--max-frames', '2', '--log-format', 'json']));
    expect(result.code, result.stderr).toBe(0);
    expect(farm.frames(project.id).filter((f) => f.state === 'done')).toHaveLength(2);
    const lines = result.stderr.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.map((line) => JSON.parse(line).message)).toContain('frame delivered');
    const status = await runCli(['status', '--cache-dir', cacheDir]);
    expect(status.code).toBe(1); // not running any more
    expect(status.stdout).toContain('not running');
    expect(status.stdout).toMatch(/delivered 2/);
  });

  it('kill -9 during an upload, then restart: the frame is delivered once, nothing lost', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 1);
    const cacheDir = await tempDir('cli');
    // the farm takes the frame, then keeps the agent waiting for its answer
    farm.faults.add({ kind: 'delay', endpoint: 'validation', ms: 60_000, times: 1 });
    const first = startCli(agentArgs(farm, cacheDir, ['--max-frames', '1']));
    const queued = async () =>
      (await readdir(path.join(cacheDir, 'uploads')).catch(() => [])).filter((n) => n.endsWith('.json'));
    let queue: string[] = [];
    await until(() => farm.frames(project.id)[0]?.state === 'done', {
      timeoutMs: 30_000,
      what: 'the farm to take the frame',
    });
    queue = await queued();
    expect(queue).toHaveLength(1);
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    expect(await queued()).toEqual(queue);

    const second = await runCli(agentArgs(farm, cacheDir, ['--max-frames', '1']));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('frame from an earlier run waits for upload');
    expect(second.stderr).toContain('frame delivered');
    expect(await queued()).toEqual([]);
    expect(farm.jobs()).toHaveLength(1); // nothing rendered twice
    expect(farm.credits('demo')).toBe(10); // credited once
    expect(farm.frames(project.id).filter((f) => f.state === 'done')).toHaveLength(1);
  });

  it('Ctrl-C once finishes the frame and its upload, logs out and exits 0', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 3, { synthetic: { renderMs: 2000 } });
    const cacheDir = await tempDir('cli');
    const agent = startCli(agentArgs(farm, cacheDir));
    await until(() => farm.jobs().length === 1, { timeoutMs: 30_000, what: 'a job to be taken' });
    agent.child.kill('SIGINT');
    const result = await agent.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('stopping after the current frame');
    expect(farm.frames(project.id).filter((f) => f.state === 'done')).toHaveLength(1);
    expect(farm.jobs()).toHaveLength(1);
    expect(farm.sessions()[0]?.state).toBe('logged-out');
  });

  it('Ctrl-C twice stops the render at once (reported as type 20) and exits 0', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 1, { synthetic: { renderMs: 120_000 } });
    const agent = startCli(agentArgs(farm, await tempDir('cli')));
    await until(() => farm.jobs().length === 1, { timeoutMs: 30_000, what: 'a job to be taken' });
    agent.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 200));
    agent.child.kill('SIGINT');
    const result = await agent.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('stopping now');
    expect(farm.errorReports().map((r) => r.type)).toContain(20);
    expect(farm.sessions()[0]?.state).toBe('logged-out');
  });

  it('retry, pause, resume and stop reach the running agent through its control socket', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 5);
    // the farm hands out a frame before the injected error spoils its answer: spare frames above
    farm.faults.add({ kind: 'http-status', endpoint: 'request-job', status: 503, times: 1 });
    const cacheDir = await tempDir('cli');
    const agent = startCli(agentArgs(farm, cacheDir));
    let until503 = 0;
    await until(
      () => {
        void readStateFile(cacheDir).then((content) => {
          if (content?.state.reason?.code === 'farm-unreachable') until503 = content.state.reason.until ?? 0;
        });
        return until503 > 0;
      },
      { timeoutMs: 30_000, what: 'the agent backing off' },
    );
    const retry = await runCli(['retry', '--cache-dir', cacheDir]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout.trim()).toBe('retrying now');
    await until(() => farm.frames(project.id).some((f) => f.state === 'done'), {
      timeoutMs: 30_000,
      what: 'a frame after the retry',
    });
    // the second job request went out before the back-off would have ended
    expect(farm.jobRequests()[1]?.createdAt).toBeLessThan(until503);

    expect((await runCli(['pause', '--now', '--cache-dir', cacheDir])).stdout.trim()).toBe('paused now');
    expect((await runCli(['resume', '--cache-dir', cacheDir])).stdout.trim()).toBe('resumed');
    const stop = await runCli(['stop', '--now', '--cache-dir', cacheDir]);
    expect(stop.stdout.trim()).toBe('stopping now');
    expect((await agent.done).code).toBe(0);
    const gone = await runCli(['retry', '--cache-dir', cacheDir]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^flock-agent: no agent is running with --cache-dir/);
    // five CLI processes (the agent and four commands) each start through tsx
  }, 120_000);

  it('--pause-while-running holds the agent while the program runs; `snooze 30m` and `snooze off` reach it', async () => {
    const farm = await testFarm();
    await syntheticProject(farm, 200);
    const cacheDir = await tempDir('cli');
    const program = path.join(await tempDir('busy'), 'flock-cli-busy');
    await symlink('/bin/sleep', program);
    const busy = spawn(program, ['300'], { stdio: 'ignore' });
    running.add(busy);
    const agent = startCli(agentArgs(farm, cacheDir, ['--pause-while-running', 'flock-cli-busy']));
    const reasonIs = (expected: string) => async () =>
      (await readStateFile(cacheDir))?.state.reason?.code === expected;
    await untilAsync(reasonIs('rule'), 'the rule as the reason');
    expect(farm.jobRequests()).toHaveLength(0);
    const refused = await runCli(['snooze', '2d', '--cache-dir', cacheDir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/snooze: "2d" is not a time like 2h/);
    const snooze = await runCli(['snooze', '30m', '--cache-dir', cacheDir]);
    expect(snooze.code, snooze.stderr).toBe(0);
    expect(snooze.stdout).toMatch(/^rules ignored until /);
    await until(() => farm.jobRequests().length > 0, { timeoutMs: 30_000, what: 'requests while snoozed' });
    const off = await runCli(['snooze', 'off', '--cache-dir', cacheDir]);
    expect(off.stdout.trim()).toBe('rules in force again');
    await untilAsync(reasonIs('rule'), 'the rule again');
    busy.kill('SIGKILL');
    await runCli(['stop', '--now', '--cache-dir', cacheDir]);
    expect((await agent.done).code).toBe(0);
  }, 120_000);

  it('launch.mjs: one SIGINT to its process group finishes the frame and its upload, then logs out', async () => {
    const farm = await testFarm();
    const project = await syntheticProject(farm, 3, { synthetic: { renderMs: 3000 } });
    const agent = startCli(agentArgs(farm, await tempDir('cli')), {}, { ownGroup: true, launcher: true });
    await until(() => farm.jobs().length === 1, { timeoutMs: 30_000, what: 'a job to be taken' });
    interruptGroup(agent.child);
    const result = await agent.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('stopping after the current frame');
    expect(result.stderr).not.toContain('stopping now');
    expect(farm.frames(project.id).filter((f) => f.state === 'done')).toHaveLength(1);
    expect(farm.jobs().map((job) => job.state)).toEqual(['validated']);
    expect(farm.sessions()[0]?.state).toBe('logged-out');
  });
});

describe('Ctrl-C before the first job', () => {
  // The farm holds these answers for 10 minutes: only an abortable login ends before the test's timeout.
  const HELD = 600_000;

  it('while the farm does not answer the login: "stopping", exit 0 without waiting for it', async () => {
    const farm = await testFarm();
    farm.faults.add({ kind: 'delay', endpoint: 'config', ms: HELD });
    const agent = startCli(agentArgs(farm, await tempDir('cli')), {}, { ownGroup: true });
    await until(() => agent.stderr().includes('logging in'), { what: 'the login to start' });
    interruptGroup(agent.child);
    const result = await agent.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stopping/);
    expect(result.stderr).not.toContain('logged in');
    expect(farm.jobs()).toEqual([]);
  });

  it('during the speed test (mirrors that do not answer): exit 0 and logged out', async () => {
    const farm = await testFarm();
    farm.faults.add({ kind: 'delay', endpoint: 'speedtest-payload', ms: HELD });
    const agent = startCli(agentArgs(farm, await tempDir('cli')), {}, { ownGroup: true });
    await until(() => agent.stderr().includes('logged in'), { what: 'the speed test to start' });
    interruptGroup(agent.child);
    const result = await agent.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stopping/);
    expect(farm.jobs()).toEqual([]);
    expect(farm.sessions()[0]?.state).toBe('logged-out');
  });

  it('while the farm does not answer the speed test answer: exit 0 and logged out', async () => {
    const farm = await testFarm();
    farm.faults.add({ kind: 'delay', endpoint: 'speedtest-answer', ms: HELD });
    const agent = startCli(agentArgs(farm, await tempDir('cli')), {}, { ownGroup: true });
    await until(() => agent.stderr().includes('speed test done'), { what: 'the speed test answer' });
    interruptGroup(agent.child);
    const result = await agent.done;
    expect(result.code, result.stderr).toBe(0);
    expect(farm.sessions()[0]?.state).toBe('logged-out');
  });
});
