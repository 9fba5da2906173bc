// Child side of facts-readers.ts, bundled like the agent and run on plain node with the launcher's
// flags: reads the owner rules' facts `reads` times, `gapMs` apart, watching `watched` (comma list,
// empty: none), and prints one JSON line with its RSS after loading, after the reads, and its peak.
import { readFileSync } from 'node:fs';
import { createFactsReader, OwnerCpuAverage } from '../../apps/agent/src/rules/facts.js';

const [reads = '100', gapMs = '100', watchedList = ''] = process.argv.slice(2);
const watched = watchedList === '' ? [] : watchedList.split(',');
const rssMiB = () => process.memoryUsage.rss() / 1024 ** 2;
const peakMiB = () =>
  Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

const reader = createFactsReader({ now: Date.now, ownerCpu: new OwnerCpuAverage() });
const loadedRss = rssMiB();
let running = 0;
const start = process.hrtime.bigint();
const cpuStart = process.cpuUsage();
for (let read = 0; read < Number(reads); read++) {
  const facts = await reader.read(watched);
  running = Math.max(running, facts.runningWatched.length);
  await new Promise((resolve) => setTimeout(resolve, Number(gapMs)));
}
const cpu = process.cpuUsage(cpuStart);
reader.close?.();
const afterRss = rssMiB();
const { heapUsed, heapTotal } = process.memoryUsage();
// With --expose-gc: what is left once V8 collects (garbage waiting for a major GC, or kept memory).
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
console.log(
  JSON.stringify({
    loadedRss,
    afterRss,
    heapUsedMiB: heapUsed / 1024 ** 2,
    heapTotalMiB: heapTotal / 1024 ** 2,
    ...(gc && { afterGcRss: rssMiB(), afterGcHeapUsedMiB: process.memoryUsage().heapUsed / 1024 ** 2 }),
    peakRss: peakMiB(),
    wallMs: Number(process.hrtime.bigint() - start) / 1e6,
    cpuMsPerRead: (cpu.user + cpu.system) / 1000 / Number(reads),
    running,
  }),
);
