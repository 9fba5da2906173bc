// Cost of the owner rules' fact readers (apps/agent/src/rules/facts.ts) on this Linux machine:
//   1. one read of all facts as the agent makes it (slow facts cached), with no program watched and
//      with three watched (a listing of /proc each read), and each reader alone, uncached;
//   2. the process-listing candidates: /proc/*/comm read synchronously (kept on Linux), the same
//      with fs/promises, `ps -e -o comm=` (one spawn a listing, the macOS path's cost),
//      systeminformation processes();
//   3. the RSS of a bundled node process (the agent's esbuild options and launcher flags) reading the
//      facts every `--gap-ms` with three programs watched, against the same without any watched.
// Wall time per read (median, max) and CPU time per read, this process's plus its children's.
//
//   apps/agent/node_modules/.bin/tsx bench/agent/facts-readers.ts [--reads 200] [--rss-reads 600] [--gap-ms 100]
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Si from 'systeminformation';
import { createFactsReader, OwnerCpuAverage } from '../../apps/agent/src/rules/facts.js';
import { runningWatchedNames } from '../../apps/agent/src/rules/readers/processes.js';
import { runCommand } from '../../apps/agent/src/rules/readers/run-command.js';
import { cpuCelsiusFrom, readGpuCelsius } from '../../apps/agent/src/rules/readers/temperature.js';
import { createUserIdleReader } from '../../apps/agent/src/rules/readers/user-idle.js';
import {
  agentDir,
  bundleForNode,
  FIXTURES,
  flag,
  launcherNodeFlags,
  machineLine,
  median,
  run,
  writeResult,
} from './lib.js';

/** The agent's own systeminformation (bench/ has no dependencies of its own). */
const si = createRequire(path.join(agentDir, 'package.json'))('systeminformation') as typeof Si;

const reads = Number(flag('reads', '200'));
const rssReads = Number(flag('rss-reads', '600'));
const gapMs = Number(flag('gap-ms', '100'));
const WATCHED = ['blender', 'steam', 'ms-teams'];

function ownCpuMs(): number {
  const own = process.resourceUsage();
  return (own.userCPUTime + own.systemCPUTime) / 1000;
}

/** Children's CPU (spawned tools) from /proc/self/stat's cutime + cstime, in ms. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

interface Row {
  name: string;
  count: number;
  medianMs: number;
  maxMs: number;
  cpuMs: number;
}

/** `gapMs`: an untimed pause between reads (systeminformation answers from a cache for 500 ms). */
async function measure(name: string, read: () => Promise<unknown>, count: number, gap = 0): Promise<Row> {
  await read();
  const walls: number[] = [];
  const cpuStart = ownCpuMs() + childrenCpuMs();
  for (let i = 0; i < count; i += 1) {
    if (gap) await new Promise((resolve) => setTimeout(resolve, gap));
    const start = performance.now();
    await read();
    walls.push(performance.now() - start);
  }
  const cpuMs = (ownCpuMs() + childrenCpuMs() - cpuStart) / count;
  const row = { name, count, medianMs: median(walls), maxMs: Math.max(...walls), cpuMs };
  console.log(
    `${name}: median ${row.medianMs.toFixed(3)} ms, max ${row.maxMs.toFixed(1)} ms, CPU ${cpuMs.toFixed(3)} ms`,
  );
  return row;
}

/** The rejected variant of the Linux listing: the same /proc reads through fs/promises. */
async function procNamesAsync(): Promise<string[]> {
  const names: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d{1,10}$/.test(pid)) continue;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined);
    if (comm) names.push(comm.trim());
  }
  return names;
}

function processCount(): number {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).length;
}

interface DriverResult {
  loadedRss: number;
  afterRss: number;
  afterGcRss: number;
  afterGcHeapUsedMiB: number;
  peakRss: number;
  cpuMsPerRead: number;
  running: number;
}

async function rssRound(bundle: string, watched: string[]): Promise<DriverResult> {
  const out = await run(process.execPath, [
    ...launcherNodeFlags(),
    '--expose-gc',
    bundle,
    String(rssReads),
    String(gapMs),
    watched.join(','),
  ]);
  return JSON.parse(out.trim().split('\n').at(-1) as string) as DriverResult;
}

async function main() {
  const rows: Row[] = [];
  const facts = createFactsReader({ now: Date.now, ownerCpu: new OwnerCpuAverage() });
  const first = await facts.read(WATCHED);
  rows.push(
    await measure('all facts, nothing watched (as the agent reads them)', () => facts.read([]), reads),
  );
  rows.push(await measure(`all facts, ${WATCHED.length} programs watched`, () => facts.read(WATCHED), reads));
  facts.close?.();
  const idle = createUserIdleReader({ platform: 'linux', env: process.env, run: runCommand, now: Date.now });
  rows.push(
    await measure('user idle (this machine: logind, 30 s session-list cache)', () => idle.read(), reads),
  );
  rows.push(await measure('battery: systeminformation battery(), uncached', () => si.battery(), 20, 550));
  rows.push(
    await measure(
      'CPU temperature: systeminformation cpuTemperature(), uncached',
      async () => cpuCelsiusFrom(await si.cpuTemperature()),
      20,
      550,
    ),
  );
  rows.push(await measure('GPU temperature: nvidia-smi, uncached', () => readGpuCelsius(runCommand), 20));
  const linux = { platform: 'linux' as const, run: runCommand };
  rows.push(
    await measure(
      'processes: /proc/*/comm (kept on Linux)',
      () => runningWatchedNames(WATCHED, linux),
      reads,
    ),
  );
  rows.push(await measure('processes: /proc/*/comm with fs/promises (rejected)', procNamesAsync, reads));
  rows.push(
    await measure(
      'processes: ps -e -o comm= (a spawn, as on macOS)',
      () => runCommand('ps', ['-e', '-o', 'comm=']),
      reads,
    ),
  );
  rows.push(await measure('processes: systeminformation processes()', () => si.processes(), 20, 550));

  const bundle = await bundleForNode(
    path.join(import.meta.dirname, 'facts-driver.ts'),
    path.join(FIXTURES, 'bundles', 'facts-driver.mjs'),
  );
  const without = await rssRound(bundle, []);
  const withListing = await rssRound(bundle, WATCHED);
  console.log({ without, withListing });

  const table = rows
    .map(
      (r) =>
        `| ${r.name} | ${r.count} | ${r.medianMs.toFixed(3)} | ${r.maxMs.toFixed(1)} | ${r.cpuMs.toFixed(3)} |`,
    )
    .join('\n');
  const rssRow = (name: string, r: DriverResult) =>
    `| ${name} | ${r.loadedRss.toFixed(1)} | ${r.afterRss.toFixed(1)} | ${r.peakRss.toFixed(1)} | ${r.afterGcHeapUsedMiB.toFixed(1)} | ${r.cpuMsPerRead.toFixed(3)} |`;
  writeResult(
    'facts-readers.md',
    `# Cost of the owner rules' fact readers

\`apps/agent/node_modules/.bin/tsx bench/agent/facts-readers.ts --reads ${reads} --rss-reads ${rssReads} --gap-ms ${gapMs}\`, ${new Date().toISOString().slice(0, 10)}

Machine: ${machineLine()}; ${processCount()} processes; this machine has no desktop session, no battery
and no temperature sensor (facts read: session ${first.session}, battery ${first.onBattery}, CPU ${first.cpuCelsius} °C,
GPU ${first.gpuCelsius} °C), so the idle and sensor rows measure how cheaply a reader finds nothing.

## Per read

CPU is this process's user + system time plus its children's (spawned tools), per read.

| what | reads | median wall ms | max wall ms | CPU ms per read |
| --- | --- | --- | --- | --- |
${table}

## RSS of a process reading the facts

The readers bundled with the agent's esbuild options, alone in \`node ${launcherNodeFlags().join(' ')}\`,
reading all facts ${rssReads} times, ${gapMs} ms apart (\`--expose-gc\` added to collect once at the end). MiB.

| watched programs | RSS after loading | RSS after the reads | peak RSS | JS heap in use after a full GC | CPU ms per read |
| --- | --- | --- | --- | --- | --- |
${rssRow('none', without)}
${rssRow(WATCHED.join(', '), withListing)}

What the agent keeps: /proc read synchronously on Linux (the fs/promises variant costs far more CPU
for the same reads), one \`ps\` spawn a read on macOS, one \`tasklist\` on Windows; no listing at all
while no rule watches a program; battery, temperatures and the time zone read at most every 15 s.
"RSS after loading" is taken before the first read. Process listing adds the difference between
the two rows' "RSS after the reads": heap that the listing's garbage keeps reserved, not data it
keeps (the JS heap in use after a full GC is the same). The rest of the growth happens without any
listing too; it is not retained JS data either. What the readers add to the real agent's RSS is
measured on the real agent with rules on (the rules engine's benchmark).
`,
  );
}

await main();
