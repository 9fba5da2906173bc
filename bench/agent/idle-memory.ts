// Where an idle agent's memory goes, and what another build of it used: the real `flock-agent run`
// bundle of this tree and of `--other` checkouts (e.g. the commit an older figure was measured on),
// each started with its own launcher's node flags, logged in to one sandbox farm without a project
// and waiting in their "no job" back-off side by side. VmRSS (median of 10 samples) at each of
// `--marks` seconds after the agents first said "next try at", then memory-probe.mjs's breakdown:
// node's machine code and read-only data (ICU's data lives there), malloc, V8's heap.
//
//   apps/agent/node_modules/.bin/tsx bench/agent/idle-memory.ts [--other DIR=LABEL,…] [--marks 10,60]
// A checkout needs its agent built (`node apps/agent/build.mjs` there; older trees name the bundle
// dist/cli.js) and node_modules.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startFarmProcess } from './farm-client.js';
import {
  agentDir,
  commandLine,
  flag,
  launcherNodeFlags,
  machineLine,
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

interface Build {
  label: string;
  agentDir: string;
}

const marks = flag('marks', '10,60').split(',').map(Number);
const builds: Build[] = [
  { label: 'this tree', agentDir },
  ...flag('other', '')
    .split(',')
    .filter((item) => item !== '')
    .map((item) => {
      const [dir = '', label = dir] = item.split('=');
      return { label, agentDir: path.resolve(dir, 'apps/agent') };
    }),
];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * VmRSS of a bare node (the launcher's flags) before and after its first local time formatted with
 * ICU (`toLocaleTimeString()`, what @flock/protocol's formatLocalTime calls), and after getHours()
 * alone (local time without ICU's formatting), in MiB.
 */
async function icuFormattingCost(): Promise<{ bare: number; getHours: number; toLocaleTimeString: number }> {
  const script = `
    const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    const bare = rss();
    new Date().getHours();
    const getHours = rss();
    new Date().toLocaleTimeString();
    console.log(JSON.stringify({ bare, getHours, toLocaleTimeString: rss() }));`;
  return JSON.parse(await run(process.execPath, [...launcherNodeFlags(), '-e', script]));
}

/** The bundle a checkout's build made (dist/flock-agent.mjs; dist/cli.js before it was renamed). */
function bundleOf(build: Build): string {
  const current = path.join(build.agentDir, 'dist/flock-agent.mjs');
  return existsSync(current) ? current : path.join(build.agentDir, 'dist/cli.js');
}

function startAgent(build: Build, server: string, cacheDir: string, probeFile: string): ChildProcess {
  const node = [...launcherNodeFlags(build.agentDir), ...PROBE_NODE_FLAGS];
  const args = ['run', '--server', server, '--login', 'demo', '--password', 'demo', '--cache-dir', cacheDir];
  return spawn(process.execPath, [...node, bundleOf(build), ...args, '--hostname', 'bench'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, [PROBE_FILE_ENV]: probeFile },
  });
}

function waiting(agent: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    createInterface({ input: agent.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      if (/next try at/i.test(line)) resolve();
    });
    agent.once('exit', (code) => reject(new Error(`an agent exited (${code}) before waiting`)));
  });
}

const work = mkdtempSync(path.join(tmpdir(), 'flock-bench-idle-'));
try {
  for (const build of builds) await run(process.execPath, [path.join(build.agentDir, 'build.mjs')]);
  const farm = await startFarmProcess(path.join(work, 'farm'), ['--frames', '0']);
  const probeFile = path.join(work, 'memory-probe.jsonl');
  const agents = builds.map((build, at) =>
    startAgent(build, farm.url, path.join(work, `cache-${at}`), probeFile),
  );
  const rows: string[] = [];
  let breakdown: string[] = [];
  try {
    await Promise.all(agents.map(waiting));
    const start = performance.now();
    const pids = agents.map((agent) => agent.pid as number);
    for (const mark of marks) {
      await sleep(start + mark * 1000 - performance.now());
      const rss = await medianRss(pids, 10, 50);
      rows.push(`| ${mark} s | ${rss.map(mib).join(' | ')} |`);
    }
    const probed = await probeMemory(probeFile, pids);
    breakdown = builds.flatMap((build, at) => breakdownRows(build.label, probed.get(pids[at] as number)));
  } finally {
    for (const agent of agents) agent.kill('SIGKILL');
    await farm.stop();
  }
  const icu = await icuFormattingCost();
  const markdown = `# Idle agent memory, build against build

Command: \`apps/agent/node_modules/.bin/tsx bench/agent/idle-memory.ts ${commandLine()}\`
Date: ${new Date().toISOString()}
Machine: ${machineLine()}

Builds: ${builds.map((build) => `${build.label} (\`node ${launcherNodeFlags(build.agentDir).join(' ')} ${path.relative(build.agentDir, bundleOf(build))}\`)`).join('; ')}.
All logged in to one sandbox farm without a project, waiting side by side; VmRSS (median of 10 samples over 0.5 s) after they first said "next try at":

| waited | ${builds.map((build) => build.label).join(' | ')} |
| ---: | ${builds.map(() => '---:').join(' | ')} |
${rows.join('\n')}

Where the memory is at the end (MiB; \`/proc/<pid>/smaps\` by mapping, \`process.memoryUsage()\`, V8's heap spaces):

${BREAKDOWN_HEADER.join('\n')}
${breakdown.join('\n')}

A bare \`node ${launcherNodeFlags().join(' ')}\`: ${icu.bare.toFixed(1)} MiB; after \`new Date().getHours()\` ${icu.getHours.toFixed(1)} MiB; after its first
\`new Date().toLocaleTimeString()\` ${icu.toLocaleTimeString.toFixed(1)} MiB (**+${(icu.toLocaleTimeString - icu.getHours).toFixed(1)} MiB**: ICU's date formatting data paged in from node's
read-only data, and its formatter objects in malloc).
`;
  console.log(markdown);
  writeResult('idle-memory.md', markdown);
} finally {
  rmSync(work, { recursive: true, force: true });
}
