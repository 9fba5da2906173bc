// Cost of one sample of a render's process-tree memory (RSS of a root and all its descendants), the
// check the agent makes every 200 ms (Linux) or every second (macOS, Windows) while Blender runs.
// On this Linux machine, for a tree of `sh` + 2 `sleep` among all the machine's processes:
//   - /proc: what the agent does on Linux (render/process-tree.ts, tree rescanned every 10th sample);
//   - ps: what the agent does on macOS and the BSDs (`ps -A -o pid=,ppid=,rss=`, one spawn a sample);
//   - systeminformation processes(): the library already in the agent, as a candidate;
//   - pidtree + pidusage (candidates, not dependencies): only with `--eval-libs DIR`, a node_modules
//     holding them (`npm install pidtree@1.0.0 pidusage@4.1.0` in a temp dir).
// Wall time and this process's CPU time (user + system, children included) per sample.
//
//   apps/agent/node_modules/.bin/tsx bench/agent/process-sample.ts [--samples 200] [--eval-libs DIR]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Si from 'systeminformation';
import { createTreeMemorySampler } from '../../apps/agent/src/render/memory-sampler.js';
import { ProcessTreeSampler } from '../../apps/agent/src/render/process-tree.js';
import { agentDir, flag, machineLine, median, writeResult } from './lib.js';

/** The agent's own systeminformation (bench/ has no dependencies of its own). */
const si = createRequire(path.join(agentDir, 'package.json'))('systeminformation') as typeof Si;

const samples = Number(flag('samples', '200'));
const evalLibs = flag('eval-libs', '');

type Sample = () => Promise<number | undefined>;

function cpuMs(): number {
  const own = process.resourceUsage();
  return (own.userCPUTime + own.systemCPUTime) / 1000;
}

/** Children's CPU (the spawned ps, …) from /proc/self/stat's cutime + cstime, in ms. */
async function childrenCpuMs(): Promise<number> {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** `gapMs`: a pause between samples, not timed (systeminformation answers from a cache for 500 ms). */
async function measure(name: string, sample: Sample, count: number, gapMs = 0) {
  const first = await sample();
  if (first === undefined || first <= 0) throw new Error(`${name}: no figure for the tree`);
  const walls: number[] = [];
  const cpuStart = cpuMs() + (await childrenCpuMs());
  for (let i = 0; i < count; i += 1) {
    if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs));
    const start = performance.now();
    await sample();
    walls.push(performance.now() - start);
  }
  const cpu = (cpuMs() + (await childrenCpuMs()) - cpuStart) / count;
  const row = { name, count, medianMs: median(walls), maxMs: Math.max(...walls), cpuMs: cpu, kib: first };
  console.log(
    `${name}: median ${row.medianMs.toFixed(3)} ms, max ${row.maxMs.toFixed(1)} ms, CPU ${cpu.toFixed(3)} ms/sample`,
  );
  return row;
}

async function main() {
  const tree = spawn('sh', ['-c', 'sleep 600 & sleep 600 & wait'], { stdio: 'ignore', detached: true });
  const root = tree.pid ?? 0;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const rows = [];
  try {
    const proc = new ProcessTreeSampler(root);
    rows.push(await measure('/proc (Linux, kept)', async () => proc.rssKiB(), samples * 10));
    const ps = createTreeMemorySampler(root, 'darwin');
    rows.push(await measure('ps -A -o pid=,ppid=,rss= (macOS path)', () => ps.sample(), samples));
    rows.push(
      await measure(
        'systeminformation processes()',
        async () => {
          const { list } = await si.processes();
          const members = new Set([root]);
          for (const p of list) if (members.has(p.parentPid)) members.add(p.pid);
          return list.filter((p) => members.has(p.pid)).reduce((sum, p) => sum + p.memRss, 0);
        },
        Math.min(samples, 20),
        550,
      ),
    );
    if (evalLibs) {
      const load = (name: string) => import(pathToFileURL(path.join(evalLibs, name, 'index.js')).href);
      const pidtree = (await load('pidtree')).default as (pid: number, o: object) => Promise<number[]>;
      const pidusage = (await load('pidusage')).default as (
        pids: number[],
      ) => Promise<Record<string, { memory: number }>>;
      rows.push(
        await measure(
          'pidtree 1.0.0 + pidusage 4.1.0',
          async () => {
            const pids = await pidtree(root, { root: true });
            const stats = await pidusage(pids);
            return Object.values(stats).reduce((sum, s) => sum + s.memory / 1024, 0);
          },
          samples,
        ),
      );
    }
  } finally {
    process.kill(-root, 'SIGKILL');
  }
  const table = rows
    .map(
      (r) =>
        `| ${r.name} | ${r.count} | ${r.medianMs.toFixed(3)} | ${r.maxMs.toFixed(1)} | ${r.cpuMs.toFixed(3)} |`,
    )
    .join('\n');
  writeResult(
    'process-sample.md',
    `# Cost of one process-tree memory sample

\`apps/agent/node_modules/.bin/tsx bench/agent/process-sample.ts --samples ${samples}${evalLibs ? ' --eval-libs DIR' : ''}\`, ${new Date().toISOString().slice(0, 10)}

Machine: ${machineLine()}

Tree: \`sh\` with two \`sleep\` children, among every process of the machine. CPU is this process's
user + system time plus its children's (the spawned \`ps\`), per sample.

| method | samples | median wall ms | max wall ms | CPU ms per sample |
| --- | --- | --- | --- | --- |
${table}

The agent keeps /proc on Linux, uses \`ps\` on macOS and the BSDs (one spawn a sample, every second)
and one long-lived PowerShell session on Windows (Get-CimInstance every second; PowerShell itself is
started once per render, not per sample).
`,
  );
}

await main();
