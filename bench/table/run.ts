// Fleet table benchmark: N simulated live agents (bench/console's agents.ts: the real link client,
// each machine's state changing once a second) on one real console process (production build); Chromium
// opens the overview as a table and as cards, times the first paint of each and scrolls each while
// the fleet streams, recording every frame's duration.
//   npm run build && node --import tsx bench/table/run.ts [N]   (default 5000; FLOCK_BENCH_TABLE_PORT, default 3342)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../apps/web/src/server/db/client';
import { frames, historyMachines, historyProjects, machineTags } from '../../apps/web/src/server/db/schema';
import { child, login, processUsage, reply, seed, startConsole, waitHealthy } from '../console/harness';
import { measureViews } from './browser';

/** The console's port: `FLOCK_BENCH_TABLE_PORT`, 3342 by default (runs side by side need their own). */
const PORT = portFrom(process.env.FLOCK_BENCH_TABLE_PORT ?? '3342');

function portFrom(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`FLOCK_BENCH_TABLE_PORT must be a port number (1–65535), not "${text}"`);
  }
  return port;
}
const DAY_MS = 86_400_000;
/** Stored frames per machine over the last 7 days: what the table's per-machine figures are read from. */
const FRAMES_PER_MACHINE = 12;

/** Tags and a week of frames for every seeded machine, so the table's columns have real rows behind them. */
function seedHistory(dataDir: string, machines: { id: string }[]): void {
  const { db, close } = openDatabase(join(dataDir, 'console.sqlite'));
  const now = Date.now();
  const tagRows = machines.flatMap(({ id }, i) => [
    { machineId: id, tag: `rack-${i % 10}`, createdAt: now },
    ...(i % 3 === 0 ? [{ machineId: id, tag: 'gpu', createdAt: now }] : []),
  ]);
  // Frames name their machine by its history key, as the console's first frame of a machine makes it.
  const keys = new Map<string, number>();
  for (let i = 0; i < machines.length; i += 500)
    for (const { key, machineId } of db
      .insert(historyMachines)
      .values(machines.slice(i, i + 500).map(({ id }) => ({ machineId: id, name: id })))
      .returning()
      .all())
      keys.set(machineId, key);
  // And their project by its history key.
  const projectKeys = db
    .insert(historyProjects)
    .values(Array.from({ length: 40 }, (_, p) => ({ name: `project ${p}` })))
    .returning()
    .all()
    .map(({ key }) => key);
  const frameRows = machines.flatMap(({ id }, i) =>
    Array.from({ length: FRAMES_PER_MACHINE }, (_, k) => ({
      machine: keys.get(id) as number,
      jobId: `job-${k}`,
      project: projectKeys[i % 40] as number,
      frame: k,
      renderTimeMs: 60_000,
      credits: 10 + ((i + k) % 30),
      finishedAt: now - ((k * 7 * DAY_MS) / FRAMES_PER_MACHINE + (i % 3600) * 1000),
    })),
  );
  for (let i = 0; i < tagRows.length; i += 500)
    db.insert(machineTags)
      .values(tagRows.slice(i, i + 500))
      .run();
  for (let i = 0; i < frameRows.length; i += 500)
    db.insert(frames)
      .values(frameRows.slice(i, i + 500))
      .run();
  close();
}

const n = Number(process.argv[2] ?? 5000);
const dataDir = mkdtempSync(join(tmpdir(), 'flock-bench-table-'));
const machines = seed(dataDir, n);
seedHistory(dataDir, machines);
const consoleProcess = startConsole(dataDir, PORT);
const url = `http://127.0.0.1:${PORT}`;
const agents = child('agents.ts');
try {
  await waitHealthy(url);
  agents.send({ start: { url, machines, connectWithinMs: 600_000 } });
  const connectSeconds = await reply<number>(agents, 'connected');
  const cookie = await login(url);
  const pid = consoleProcess.pid as number;
  const before = processUsage(pid);
  const started = Date.now();
  const views = await measureViews(url, cookie, n);
  const after = processUsage(pid);
  const result = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    command: `node --import tsx bench/table/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    agents: n,
    connectSeconds,
    storedFrames: n * FRAMES_PER_MACHINE,
    consoleCpuPercent: Math.round(
      ((after.cpuSeconds - before.cpuSeconds) / ((Date.now() - started) / 1000)) * 100,
    ),
    consoleRssMiB: Math.round(after.rssMiB),
    loadAverage: Number(loadavg()[0]?.toFixed(2)),
    views,
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  agents.send({ stop: true });
} finally {
  agents.kill();
  consoleProcess.kill('SIGTERM');
  await new Promise((resolve) => consoleProcess.once('exit', resolve));
}
