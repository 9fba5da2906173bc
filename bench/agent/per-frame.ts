// Per-frame agent overhead: the real agent renders N frames of a synthetic project (render time ~1
// ms) from a sandbox farm in its own process; the baseline, in the same round, spawns the same
// synthetic renderer (`rend.exe` from the farm's renderer archive) N times sequentially with the
// same arguments (nice, the job's command line, the same script). Overhead per frame = (agent wall
// time − baseline wall time) / N: everything the agent adds around a render (job request,
// archive cache, extraction, script, output parsing, upload, state). Rounds alternate.
//
//   apps/agent/node_modules/.bin/tsx bench/agent/per-frame.ts [--frames 50] [--rounds 3]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { extractArchive } from '../../apps/agent/src/archive/index.js';
import { findNice, renderScript, withPriority } from '../../apps/agent/src/render/index.js';
import { descendantsOf } from '../../apps/agent/src/render/process-tree.js';
import { buildBlenderArgv, type Job } from '../../packages/protocol/src/index.js';
import { startFarmProcess } from './farm-client.js';
import {
  bundleForNode,
  flag,
  launcherNodeFlags,
  machineLine,
  median,
  run,
  timed,
  writeResult,
} from './lib.js';

const frames = Number(flag('frames', '50'));
const rounds = Number(flag('rounds', '3'));
const GOAL_MS = 15;
const fixtures = path.join(tmpdir(), 'flock-bench-fixtures');
mkdirSync(fixtures, { recursive: true });
const agentBundle = await bundleForNode(
  path.join(import.meta.dirname, 'per-frame-agent.ts'),
  path.join(fixtures, 'bundles', 'per-frame-agent.mjs'),
);

interface AgentRun {
  code: number;
  loggedInMs: number;
  deliveredMs: number[];
  runMs: number;
  cpuMs: number;
  firstJob: { job: Job; rendererDir: string };
  /** [ms since run start, "worker/job phase/uploads outstanding"] at every change. */
  trace: [number, string][];
}

/** Wall time per frame in each worker state / job phase of the agent, from its state trace. */
function phaseShares(agent: AgentRun): Map<string, number> {
  const shares = new Map<string, number>();
  agent.trace.forEach(([at, step], i) => {
    const next = agent.trace[i + 1]?.[0] ?? agent.runMs;
    const [worker, phase] = step.split('/');
    const key = phase === '-' ? `${worker}` : `${worker} (${phase})`;
    shares.set(key, (shares.get(key) ?? 0) + (next - at) / frames);
  });
  return shares;
}

interface Round {
  agent: AgentRun;
  baselineMs: number;
  /** CPU time of the farm's processes (tsx and the farm's node) while the agent ran. */
  farmCpuMs: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * CPU time (user + system, and that of their waited-for children) of every process below this one,
 * from /proc. Taken while the farm is the only child, it is the farm's CPU time.
 */
function descendantsCpuMs(): number {
  let total = 0;
  for (const pid of descendantsOf(process.pid).slice(1)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) * TICK_MS;
    } catch {
      // it ended meanwhile
    }
  }
  return total;
}

async function agentRound(
  work: string,
): Promise<{ agent: AgentRun; farmCpuMs: number; archive: string; password: string }> {
  const farm = await startFarmProcess(path.join(work, 'farm'), [
    '--frames',
    String(frames),
    '--render-ms',
    '1',
  ]);
  try {
    const cache = path.join(work, 'cache');
    const farmCpuBefore = descendantsCpuMs();
    const out = await run(process.execPath, [
      ...launcherNodeFlags(),
      agentBundle,
      farm.url,
      cache,
      String(frames),
    ]);
    const farmCpuMs = descendantsCpuMs() - farmCpuBefore;
    const agent = JSON.parse(out.trim().split('\n').at(-1) as string) as AgentRun;
    if (agent.code !== 0 || agent.deliveredMs.length !== frames)
      throw new Error(`agent exited ${agent.code} after ${agent.deliveredMs.length} of ${frames} frames`);
    const project = farm.project as { archiveMd5: string; archivePassword: string };
    return {
      agent,
      farmCpuMs,
      archive: path.join(cache, 'archives', `${project.archiveMd5}.zip`),
      password: project.archivePassword,
    };
  } finally {
    await farm.stop();
  }
}

/** The renderer run exactly as the agent's render port runs it, N times, output read line by line. */
async function baselineRound(work: string, agent: AgentRun, archive: string, password: string) {
  const { job, rendererDir } = agent.firstJob;
  const projectDir = path.join(work, 'project');
  await extractArchive(archive, projectDir, { password });
  const workDir = path.join(work, 'render');
  await mkdir(workDir, { recursive: true });
  const scriptPath = path.join(workDir, 'script_1');
  await writeFile(scriptPath, renderScript(job.script, undefined), { mode: 0o600 });
  const argvFor = (frame: number) =>
    withPriority(
      buildBlenderArgv({
        commandline: job.renderer.commandline,
        rendererPath: path.join(rendererDir, 'rend.exe'),
        blendPath: path.join(projectDir, ...job.path.split('/')),
        scriptPath,
        outputPrefix: path.join(workDir, `${job.id}_`),
        frame: String(frame).padStart(4, '0'),
      }),
      19,
      findNice(),
    );
  const { ms } = await timed(async () => {
    for (let frame = 1; frame <= frames; frame++) await spawnToEnd(argvFor(frame), workDir);
  });
  await rm(work, { recursive: true, force: true });
  return ms;
}

function spawnToEnd([command, ...args]: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr])
      createInterface({ input: stream }).on('line', () => {});
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`renderer exited ${code}`))));
  });
}

const results: Round[] = [];
for (let round = 1; round <= rounds; round++) {
  const work = mkdtempSync(path.join(tmpdir(), 'flock-bench-per-frame-'));
  try {
    const { agent, farmCpuMs, archive, password } = await agentRound(work);
    const baselineMs = await baselineRound(work, agent, archive, password);
    results.push({ agent, baselineMs, farmCpuMs });
    console.log(
      `round ${round}: agent ${agent.runMs.toFixed(0)} ms, baseline ${baselineMs.toFixed(0)} ms for ${frames} frames`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The per-round figures: whole run (login to logout), and steady state (first to last delivery). */
function figures({ agent, baselineMs, farmCpuMs }: Round) {
  const first = agent.deliveredMs[0] as number;
  const last = agent.deliveredMs.at(-1) as number;
  const baselinePerFrame = baselineMs / frames;
  return {
    agentMs: agent.runMs,
    baselineMs,
    framesPerSecond: (frames * 1000) / agent.runMs,
    msPerFrame: agent.runMs / frames,
    overhead: (agent.runMs - baselineMs) / frames,
    steadyMsPerFrame: (last - first) / (frames - 1),
    steadyOverhead: (last - first) / (frames - 1) - baselinePerFrame,
    baselinePerFrame,
    firstDeliveredMs: first,
    cpuPerFrame: agent.cpuMs / frames,
    farmCpuPerFrame: farmCpuMs / frames,
  };
}

const rows = results.map(figures);
const phases = results.map(({ agent }) => phaseShares(agent));
const phaseNames = [...new Set(phases.flatMap((shares) => [...shares.keys()]))];
const phaseRows = phaseNames
  .map((name) => ({ name, ms: median(phases.map((shares) => shares.get(name) ?? 0)) }))
  .filter((row) => row.ms >= 0.05)
  .sort((a, b) => b.ms - a.ms);
const med = (key: keyof ReturnType<typeof figures>) => median(rows.map((row) => row[key]));
const overhead = med('overhead');
const steady = med('steadyOverhead');
const f1 = (n: number) => n.toFixed(1);
const markdown = `# Agent: per-frame overhead (${frames} frames of a ~1 ms synthetic render)

Command: \`apps/agent/node_modules/.bin/tsx bench/agent/per-frame.ts --frames ${frames} --rounds ${rounds}\`
Date: ${new Date().toISOString()} · Machine: ${machineLine()}

Sandbox farm (synthetic renderer, project of ${frames} frames, 64×48, 4 samples, renderMs 1) in its
own process; the real \`Agent\` (bundled like dist/, on \`node ${launcherNodeFlags().join(' ')}\` as
launch.mjs runs it, no speed test, --max-frames ${frames}) in another: login, job requests, renderer + project archives (downloaded once, the
project extracted for every frame), the render port (\`nice\`, script, output parsing, memory
sampling), the upload queue, heartbeat, state file, logout. Baseline in the same round: the same
\`rend.exe\` (Node's synthetic renderer) spawned ${frames} times in a row with the agent's own argv.
Medians of ${rounds} rounds (each figure on its own; the overheads are medians of the per-round
differences, agent and baseline of a round having run one after the other).

| | wall time for ${frames} frames | per frame | frames/s |
|---|---:|---:|---:|
| baseline: \`nice rend.exe …\` × ${frames}, sequential | ${med('baselineMs').toFixed(0)} ms | ${f1(med('baselinePerFrame'))} ms | ${f1(1000 / med('baselinePerFrame'))} |
| Flock agent, login → logout | ${med('agentMs').toFixed(0)} ms | ${f1(med('msPerFrame'))} ms | ${f1(med('framesPerSecond'))} |
| Flock agent, steady state (first → last delivered frame) | — | ${f1(med('steadyMsPerFrame'))} ms | ${f1(1000 / med('steadyMsPerFrame'))} |

CPU time of the agent process itself (renderers not included) during the run: **${f1(med('cpuPerFrame'))} ms
per frame** — what the agent costs the machine per frame, whatever the load. The farm peer (its
request handling, validations, database; a separate process on the same ${cpus().length} cores, read from /proc)
used **${f1(med('farmCpuPerFrame'))} ms of CPU per frame** meanwhile: part of the job-request and upload
round trips the agent waits for, and competition for the cores the renderer runs on.

**Overhead per frame: ${f1(overhead)} ms** (login → logout, one-time login, downloads and logout
included); **steady state: ${f1(steady)} ms**. Goal ≤ ${GOAL_MS} ms: ${overhead <= GOAL_MS ? 'met' : 'NOT met'}.

Before the per-frame work of 2026-11-30 (commit 418031e, same command, medians of 3 rounds): overhead
41.7 ms per frame (steady state 38.5 ms), agent CPU 41.9 ms per frame; farm CPU not measured then.

Where the agent's wall time goes, per frame (medians of the rounds, from the agent's state
changes; \`rendering (render)\` is the renderer process from its start to its exit, the baseline's
counterpart; \`requesting\` is the job request's round trip, the farm's handling included):

| worker state (job phase) | ms per frame |
|---|---:|
${phaseRows.map((row) => `| ${row.name} | ${f1(row.ms)} |`).join('\n')}

Per round:

| round | baseline | agent | overhead/frame | steady ms/frame | steady overhead | agent CPU/frame | farm CPU/frame | first frame delivered at |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.map((r, i) => `| ${i + 1} | ${r.baselineMs.toFixed(0)} ms | ${r.agentMs.toFixed(0)} ms | ${f1(r.overhead)} ms | ${f1(r.steadyMsPerFrame)} ms | ${f1(r.steadyOverhead)} ms | ${f1(r.cpuPerFrame)} ms | ${f1(r.farmCpuPerFrame)} ms | ${r.firstDeliveredMs.toFixed(0)} ms |`).join('\n')}
`;
console.log(`\n${markdown}`);
writeResult(`per-frame-${frames}.md`, markdown);
