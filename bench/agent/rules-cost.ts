// The cost of owner rules, in one run:
//   - CPU: two real `flock-agent run` processes (the esbuild bundle) logged in to the sandbox farm
//     (own process, no project: both wait in their "no job" back-off), one without rules and one with
//     every owner-rule flag (`--idle-only`, `--pause-while-running`, `--no-battery`,
//     `--max-temperature`: readings every 2 s, process listing included), side by side for
//     `--minutes`; CPU time (user + system, with waited-for children such as nvidia-smi) from /proc.
//   - RSS of both at the end (median of 30 samples), the rules one listing processes every 2 s.
//   - set-rules → obeyed: an in-process Agent linked to a minimal console over a real WebSocket;
//     the time from the console sending `set-rules` to the agent's loop showing it (a pause-now rule
//     stops the frame being rendered; then stop-requesting rules and their removal, `--rounds` times).
//
//   apps/agent/node_modules/.bin/tsx bench/agent/rules-cost.ts [--minutes 10] [--rounds 10]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Agent } from '../../apps/agent/src/agent.js';
import { systemClock } from '../../apps/agent/src/clock.js';
import { toSettings } from '../../apps/agent/src/config/index.js';
import { LinkClient } from '../../apps/agent/src/link/index.js';
import { Logger } from '../../apps/agent/src/log/index.js';
import { FakeConsole } from '../../apps/agent/test/link-fake-console.js';
import type { Rule } from '../../packages/protocol/src/index.js';
import { startFarmProcess } from './farm-client.js';
import { agentDir, flag, machineLine, median, mib, procMemoryBytes, run, writeResult } from './lib.js';

const minutes = Number(flag('minutes', '10'));
const rounds = Number(flag('rounds', '10'));
const CPU_GOAL_PERCENT = 1;
const OBEY_GOAL_MS = 1000;
const RSS_GOAL = 70e6;
const SETTLE_MS = 15_000;
const bundle = path.join(agentDir, 'dist/flock-agent.mjs');
const RULE_FLAGS = [
  ...['--idle-only', '10', '--pause-while-running', 'blender,steam,Teams.exe,flock-bench-game'],
  ...['--no-battery', '--max-temperature', '90'],
];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime + cutime + cstime of one process, in ms. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * TICK_MS;
}

/** The V8 flags of `apps/agent/launch.mjs`'s shebang (how users start the agent; see agent-rss.ts). */
const LAUNCHER_FLAGS = ['--liftoff-only', '--max-semi-space-size=1'];

function startAgent(server: string, cacheDir: string, extra: string[]): ChildProcess {
  const args = ['run', '--server', server, '--login', 'demo', '--password', 'demo', '--cache-dir', cacheDir];
  return spawn(process.execPath, [...LAUNCHER_FLAGS, bundle, ...args, '--hostname', 'bench', ...extra], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

function untilLine(agent: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: agent.stderr as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (pattern.test(line)) resolve();
    });
    agent.once('exit', (code) => reject(new Error(`the agent exited (${code}) before "${pattern}"`)));
  });
}

async function cpuAndRss(work: string) {
  const farm = await startFarmProcess(path.join(work, 'farm-idle'), ['--frames', '0']);
  const plain = startAgent(farm.url, path.join(work, 'cache-plain'), []);
  const ruled = startAgent(farm.url, path.join(work, 'cache-rules'), RULE_FLAGS);
  try {
    await Promise.all([untilLine(plain, /next try at/i), untilLine(ruled, /next try at/i)]);
    await sleep(SETTLE_MS);
    const pids = [plain.pid as number, ruled.pid as number];
    const start = { at: performance.now(), cpu: pids.map(processCpuMs) };
    await sleep(minutes * 60_000);
    const periodMs = performance.now() - start.at;
    const cpu = pids.map((pid, i) => processCpuMs(pid) - (start.cpu[i] as number));
    const rss = await Promise.all(
      pids.map(async (pid) => {
        const samples: number[] = [];
        for (let i = 0; i < 30; i++, await sleep(100)) samples.push(procMemoryBytes(pid, 'VmRSS'));
        return median(samples);
      }),
    );
    const percent = cpu.map((ms) => (ms / periodMs) * 100);
    return { periodMs, cpu, percent, rss };
  } finally {
    for (const agent of [plain, ruled]) agent.kill('SIGKILL');
    await farm.stop();
  }
}

const pauseNow: Rule[] = [
  { name: 'bench pause', when: { kind: 'time-window', window: 'all day' }, action: { type: 'pause-now' } },
];
const stopRequesting: Rule[] = [
  {
    name: 'bench stop',
    when: { kind: 'time-window', window: 'all day' },
    action: { type: 'stop-requesting' },
  },
];

async function obeyTimes(work: string) {
  const farm = await startFarmProcess(path.join(work, 'farm-link'), [
    '--frames',
    '100',
    '--render-ms',
    '600000',
  ]);
  const log = new Logger(systemClock);
  const settings = toSettings({
    server: farm.url,
    login: 'demo',
    password: 'demo',
    'cache-dir': path.join(work, 'cache-link'),
  });
  const agent = await Agent.create({ settings, log, skipSpeedtest: true });
  const fakeConsole = new FakeConsole(() => Date.now());
  await fakeConsole.listening();
  const link = new LinkClient({
    consoleUrl: fakeConsole.url,
    machineId: 'bench-machine',
    secret: 'bench-secret-0123456789abcdef0123456789abcdef',
    agent,
    agentVersion: '0.1.0',
  });
  link.start();
  const running = agent.run();
  const state = () => agent.store.state;
  const until = async (condition: () => boolean, what: string) => {
    const deadline = Date.now() + 60_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  let id = 0;
  const send = (rules: Rule[]) => {
    const started = performance.now();
    fakeConsole.send({
      type: 'command',
      id: `c${++id}`,
      issuedAt: Date.now(),
      command: { type: 'set-rules', rules },
    });
    return started;
  };
  try {
    await until(() => link.status === 'connected', 'the link');
    await until(() => state().job?.phase === 'render', 'a render');
    let started = send(pauseNow);
    await until(
      () => state().job === null && state().reason?.code === 'rule',
      'the frame stopped by the rule',
    );
    const pauseMs = performance.now() - started;
    started = send([]);
    await until(() => state().reason?.code !== 'rule', 'the rule lifted');
    const liftAfterPauseMs = performance.now() - started;
    const holds: number[] = [];
    const lifts: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await sleep(500);
      started = send(stopRequesting);
      await until(() => state().reason?.code === 'rule', 'stop requesting shown');
      holds.push(performance.now() - started);
      await sleep(500);
      started = send([]);
      await until(() => state().reason?.code !== 'rule', 'stop requesting lifted');
      lifts.push(performance.now() - started);
    }
    return { pauseMs, liftAfterPauseMs, holds, lifts };
  } finally {
    await agent.execute({ type: 'stop', when: 'now' });
    await running;
    await link.stop();
    await fakeConsole.close();
    await farm.stop();
  }
}

const work = mkdtempSync(path.join(tmpdir(), 'flock-bench-rules-'));
try {
  await run(process.execPath, [path.join(agentDir, 'build.mjs')]);
  console.log(`CPU and RSS over ${minutes} min…`);
  const cost = await cpuAndRss(work);
  console.log('set-rules over the link…');
  const obey = await obeyTimes(work);
  const pct = (value: number) => `${value.toFixed(3)} %`;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const [plainCpu, rulesCpu] = cost.percent as [number, number];
  const [plainRss, rulesRss] = cost.rss as [number, number];
  const maxObey = Math.max(obey.pauseMs, ...obey.holds);
  const markdown = `# Owner rules: cost and reaction

Command: \`apps/agent/node_modules/.bin/tsx bench/agent/rules-cost.ts --minutes ${minutes} --rounds ${rounds}\`
Date: ${new Date().toISOString()}
Machine: ${machineLine()}

## CPU and RSS of the agent (\`node ${LAUNCHER_FLAGS.join(' ')} dist/flock-agent.mjs run\`, as launch.mjs starts it), idle in its "no job" back-off, side by side for ${(cost.periodMs / 60_000).toFixed(1)} min

Rules agent flags: \`${RULE_FLAGS.join(' ')}\` (a reading every 2 s: the user's idle time, the watched
programs in the process list, battery and temperatures every 15 s).

| agent | CPU time | of one core | RSS (median of 30) |
| --- | --- | --- | --- |
| no rules | ${ms(cost.cpu[0] as number)} | ${pct(plainCpu)} | ${mib(plainRss)} |
| every owner-rule flag | ${ms(cost.cpu[1] as number)} | ${pct(rulesCpu)} | ${mib(rulesRss)} |
| **rules' cost** | ${ms((cost.cpu[1] as number) - (cost.cpu[0] as number))} | **${pct(rulesCpu - plainCpu)}** (goal ≤ ${CPU_GOAL_PERCENT} %: ${rulesCpu - plainCpu <= CPU_GOAL_PERCENT ? 'met' : 'NOT met'}) | ${mib(rulesRss - plainRss)} (the rules agent's idle RSS against the 70 MB goal: ${rulesRss <= RSS_GOAL ? 'met' : 'NOT met'}) |

## set-rules from the console to the agent's loop (in-process agent, real WebSocket link, sandbox farm)

| what | time |
| --- | --- |
| pause-now rule → the frame being rendered stopped, reason \`rule\` | ${ms(obey.pauseMs)} |
| its removal → reason no longer \`rule\` | ${ms(obey.liftAfterPauseMs)} |
| stop-requesting rule → reason \`rule\` (median / max of ${rounds}) | ${ms(median(obey.holds))} / ${ms(Math.max(...obey.holds))} |
| its removal → reason no longer \`rule\` (median / max of ${rounds}) | ${ms(median(obey.lifts))} / ${ms(Math.max(...obey.lifts))} |

Goal ≤ ${OBEY_GOAL_MS} ms: ${maxObey <= OBEY_GOAL_MS ? 'met' : 'NOT met'} (worst ${ms(maxObey)}).
`;
  console.log(markdown);
  writeResult(`rules-cost-${minutes}min.md`, markdown);
} finally {
  rmSync(work, { recursive: true, force: true });
}
