// Console benchmark: N simulated agents speak the real link protocol to one real console process
// (pages included), each sending a state change every second; a browser-like subscriber on the fleet
// SSE feed measures the delay from an agent's send to the update's arrival. Console, agents and
// subscriber are three processes, so each one's event loop only measures itself.
//   pnpm --filter @flock/web build && node --import tsx bench/console/run.ts [N ...]   (default 100 1000 5000)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type FirstPaint, measureFirstPaint } from './first-paint';
import {
  child,
  login,
  processUsage,
  quantile,
  reply,
  seed,
  sleep,
  startConsole,
  waitHealthy,
} from './harness';

const WARMUP_MS = 5_000;
const MEASURE_MS = 20_000;
/** The fleet size at which the overview's first paint is measured in a real browser. */
const FIRST_PAINT_AT = 1000;

interface Result {
  agents: number;
  connectSeconds: number;
  updatesPerSecondSent: number;
  updatesPerSecondReceived: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  consoleCpuPercent: number;
  consolePeakRssMiB: number;
  /** The simulated agents' and the subscriber's own load (they share the same 2 cores). */
  agentsCpuPercent: number;
  subscriberCpuPercent: number;
  /** 1-minute load average at the end: other work on the machine skews every figure. */
  loadAverage: number;
  firstPaint?: FirstPaint | null;
}

async function benchmark(n: number, port: number): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flock-bench-console-'));
  const machines = seed(dataDir, n);
  const consoleProcess = startConsole(dataDir, port);
  const url = `http://127.0.0.1:${port}`;
  const agents = child('agents.ts');
  const subscriber = child('subscriber.ts');
  try {
    await waitHealthy(url);
    agents.send({ start: { url, machines } });
    const connectSeconds = await reply<number>(agents, 'connected');
    const cookie = await login(url);
    subscriber.send({ start: { url, cookie } });
    await sleep(WARMUP_MS);

    for (const c of [agents, subscriber]) c.send({ measure: true });
    const pid = consoleProcess.pid as number;
    const before = processUsage(pid);
    const agentsBefore = processUsage(agents.pid as number);
    const subscriberBefore = processUsage(subscriber.pid as number);
    let peakRss = before.rssMiB;
    const started = Date.now();
    while (Date.now() - started < MEASURE_MS) {
      await sleep(500);
      peakRss = Math.max(peakRss, processUsage(pid).rssMiB);
    }
    const after = processUsage(pid);
    const seconds = (Date.now() - started) / 1000;
    const cpuPercent = (from: { cpuSeconds: number }, to: { cpuSeconds: number }) =>
      Math.round(((to.cpuSeconds - from.cpuSeconds) / seconds) * 100);
    const agentsCpuPercent = cpuPercent(agentsBefore, processUsage(agents.pid as number));
    const subscriberCpuPercent = cpuPercent(subscriberBefore, processUsage(subscriber.pid as number));
    const sentReply = reply<number>(agents, 'sent');
    const delaysReply = reply<number[]>(subscriber, 'delays');
    for (const c of [agents, subscriber]) c.send({ report: true });
    const [sent, delays] = await Promise.all([sentReply, delaysReply]);
    // With the fleet still live: a browser opening the overview while every machine streams.
    const firstPaint = n === FIRST_PAINT_AT ? await measureFirstPaint(url, cookie, n) : undefined;
    for (const c of [agents, subscriber]) c.send({ stop: true });
    return {
      agents: n,
      connectSeconds,
      updatesPerSecondSent: Math.round(sent / seconds),
      updatesPerSecondReceived: Math.round(delays.length / seconds),
      p50Ms: quantile(delays, 0.5),
      p95Ms: quantile(delays, 0.95),
      maxMs: delays.at(-1) ?? NaN,
      consoleCpuPercent: cpuPercent(before, after),
      consolePeakRssMiB: Math.round(peakRss),
      agentsCpuPercent,
      subscriberCpuPercent,
      loadAverage: Number(loadavg()[0]?.toFixed(2)),
      ...(firstPaint === undefined ? {} : { firstPaint }),
    };
  } finally {
    for (const c of [agents, subscriber]) c.kill();
    consoleProcess.kill('SIGTERM');
    await new Promise((resolve) => consoleProcess.once('exit', resolve));
  }
}

const counts = process.argv.slice(2).map(Number);
const results: Result[] = [];
for (const [i, n] of (counts.length ? counts : [100, 1000, 5000]).entries()) {
  const result = await benchmark(n, 3400 + i);
  console.log(JSON.stringify(result));
  results.push(result);
}
const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
writeFileSync(
  join(import.meta.dirname, 'results.json'),
  `${JSON.stringify({ date: new Date().toISOString(), machine, command: `node --import tsx bench/console/run.ts ${process.argv.slice(2).join(' ')}`.trim(), warmupMs: WARMUP_MS, measureMs: MEASURE_MS, results }, null, 2)}\n`,
);
