// The cost of owner rules, in one run:
//   - CPU: two real `flock-agent run` processes (the esbuild bundle) logged in to the sandbox farm
//     (own process, no project: both wait in their "no job" back-off), one without rules and one with
//     every owner-rule flag (`--idle-only`, `--pause-while-running`, `--no-battery`,
//     `--max-temperature`: readings every 2 s, process listing included), side by side for
//     `--minutes`; CPU time (user + system, with waited-for children such as nvidia-smi) from /proc.
//   - RSS of both after 10 s of waiting (as agent-rss.ts takes it), each minute, and at the end
//     (median of 30 samples), the rules one listing processes every 2 s; then where each one's
//     memory is (memory-probe.mjs: V8 heap, external, file-backed pages), before and after a full GC.
//     `--before-dir` adds the same two agents from another checkout (the commit before a change),
//     built there and started with the node flags of its own launcher.
//   - set-rules → obeyed: an in-process Agent linked to a minimal console over a real WebSocket;
//     the time from the console sending `set-rules` to the agent's loop showing it (a pause-now rule
//     stops the frame being rendered; then stop-requesting rules and their removal, `--rounds` times).
//
//   apps/agent/node_modules/.bin/tsx bench/agent/rules-cost.ts [--minutes 10] [--rounds 10]
//     [--before-dir OTHER-CHECKOUT --before-label TEXT]
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
import {
  agentDir,
  commandLine,
  flag,
  launcherNodeFlags,
  machineLine,
  median,
  medianRss,
  mib,
  run,
  writeResult,
} from './lib.js';
import {
  BREAKDOWN_HEADER,
  breakdownRows,
  PROBE_FILE_ENV,
  PROBE_NODE_FLAGS,
  probeMemory,
} from './memory-breakdown.js';

const minutes = Number(flag('minutes', '10'));
const rounds = Number(flag('rounds', '10'));
const CPU_GOAL_PERCENT = 1;
const OBEY_GOAL_MS = 1000;
const RSS_GOAL = 70e6;
/** As agent-rss.ts: idle means waiting; V8's memory reducer shrinks the heap some seconds after start-up. */
const SETTLE_MS = 10_000;
const bundle = path.join(agentDir, 'dist/flock-agent.mjs');
/** Another checkout of the repository (e.g. the commit before a change), its agent run beside this tree's. */
const beforeDir = flag('before-dir', '');
const beforeAgentDir = beforeDir && path.resolve(beforeDir, 'apps/agent');
const beforeLabel = flag('before-label', 'before');
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
const LAUNCHER_FLAGS = launcherNodeFlags();

interface AgentVariant {
  name: string;
  bundle: string;
  /** Node flags: its launcher's. */
  node: string[];
  flags: string[];
}

/** The agents run side by side: this tree's without and with rules, then `--before-dir`'s. */
const variants: AgentVariant[] = [
  { name: 'no rules', bundle, node: LAUNCHER_FLAGS, flags: [] },
  { name: 'every owner-rule flag', bundle, node: LAUNCHER_FLAGS, flags: RULE_FLAGS },
  ...(beforeAgentDir
    ? [[], RULE_FLAGS].map((flags) => ({
        name: `${flags.length ? 'every owner-rule flag' : 'no rules'}, ${beforeLabel}`,
        bundle: path.join(beforeAgentDir, 'dist/flock-agent.mjs'),
        node: launcherNodeFlags(beforeAgentDir),
        flags,
      }))
    : []),
];

function startAgent(
  variant: AgentVariant,
  server: string,
  cacheDir: string,
  probeFile: string,
): ChildProcess {
  const args = ['run', '--server', server, '--login', 'demo', '--password', 'demo', '--cache-dir', cacheDir];
  const node = [...variant.node, ...PROBE_NODE_FLAGS];
  return spawn(
    process.execPath,
    [...node, variant.bundle, ...args, '--hostname', 'bench', ...variant.flags],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, [PROBE_FILE_ENV]: probeFile },
    },
  );
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
  const probeFile = path.join(work, 'memory-probe.jsonl');
  const agents = variants.map((variant, at) =>
    startAgent(variant, farm.url, path.join(work, `cache-${at}`), probeFile),
  );
  try {
    await Promise.all(agents.map((agent) => untilLine(agent, /next try at/i)));
    await sleep(SETTLE_MS);
    const pids = agents.map((agent) => agent.pid as number);
    // RSS as the agents wait: after SETTLE_MS (as agent-rss.ts takes it), then every minute.
    const timeline: { minute: number; rss: number[] }[] = [
      { minute: 0, rss: await medianRss(pids, 30, 100) },
    ];
    const start = { at: performance.now(), cpu: pids.map(processCpuMs) };
    for (let minute = 1; minute <= minutes; minute++) {
      await sleep(start.at + minute * 60_000 - performance.now());
      timeline.push({ minute, rss: await medianRss(pids, 30, 100) });
    }
    const periodMs = performance.now() - start.at;
    const cpu = pids.map((pid, i) => processCpuMs(pid) - (start.cpu[i] as number));
    const rss = timeline.at(-1)?.rss ?? [];
    const probed = await probeMemory(probeFile, pids);
    const breakdown = variants.flatMap((variant, at) =>
      breakdownRows(variant.name, probed.get(pids[at] as number)),
    );
    const percent = cpu.map((ms) => (ms / periodMs) * 100);
    return { periodMs, cpu, percent, rss, timeline, breakdown };
  } finally {
    for (const agent of agents) agent.kill('SIGKILL');
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
  if (beforeAgentDir) await run(process.execPath, [path.join(beforeAgentDir, 'build.mjs')]);
  console.log(`CPU and RSS over ${minutes} min…`);
  const cost = await cpuAndRss(work);
  console.log('set-rules over the link…');
  const obey = await obeyTimes(work);
  const pct = (value: number) => `${value.toFixed(3)} %`;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const [plainCpu, rulesCpu] = cost.percent as [number, number];
  const [plainRss, rulesRss] = cost.rss as [number, number];
  const maxObey = Math.max(obey.pauseMs, ...obey.holds);
  const beforeNote = beforeAgentDir
    ? `; ${beforeLabel}: \`node ${launcherNodeFlags(beforeAgentDir).join(' ')}\` and that checkout's bundle`
    : '';
  const markdown = `# Owner rules: cost and reaction

Command: \`apps/agent/node_modules/.bin/tsx bench/agent/rules-cost.ts ${commandLine()}\`
Date: ${new Date().toISOString()}
Machine: ${machineLine()}

## CPU and RSS of the agent (\`node ${LAUNCHER_FLAGS.join(' ')} dist/flock-agent.mjs run\`, as launch.mjs starts it${beforeNote}), idle in its "no job" back-off, side by side for ${(cost.periodMs / 60_000).toFixed(1)} min

Rules agent flags: \`${RULE_FLAGS.join(' ')}\` (a reading every 2 s: the user's idle time, the watched
programs in the process list, battery and temperatures every 15 s). Each agent also loads
\`memory-probe.mjs\` (\`${PROBE_NODE_FLAGS.slice(0, 2).join(' ')}\`), which does nothing until it is asked for the breakdown at the end.

| agent | CPU time | of one core | RSS at the end (median of 30) |
| --- | --- | --- | --- |
${variants.map((variant, at) => `| ${variant.name} | ${ms(cost.cpu[at] as number)} | ${pct(cost.percent[at] as number)} | ${mib(cost.rss[at] as number)} |`).join('\n')}
| **rules' cost** | ${ms((cost.cpu[1] as number) - (cost.cpu[0] as number))} | **${pct(rulesCpu - plainCpu)}** (goal ≤ ${CPU_GOAL_PERCENT} %: ${rulesCpu - plainCpu <= CPU_GOAL_PERCENT ? 'met' : 'NOT met'}) | ${mib(rulesRss - plainRss)} (the rules agent's idle RSS against the 70 MB goal: ${rulesRss <= RSS_GOAL ? 'met' : 'NOT met'}) |

RSS (median of 30 samples over 3 s) after ${SETTLE_MS / 1000} s of waiting (minute 0, when \`agent-rss.ts\` takes its idle figure), then each minute:

| minute | ${variants.map((variant) => variant.name).join(' | ')} |
| ---: | ${variants.map(() => '---:').join(' | ')} |
${cost.timeline.map(({ minute, rss }) => `| ${minute} | ${rss.map(mib).join(' | ')} |`).join('\n')}

Where the memory is at the end (MiB; \`/proc/<pid>/smaps\` by mapping, \`process.memoryUsage()\`, V8's heap spaces):

${BREAKDOWN_HEADER.join('\n')}
${cost.breakdown.join('\n')}

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
