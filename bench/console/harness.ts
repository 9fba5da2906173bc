// What the console benchmarks share: a console process of the production build over a database seeded
// with N machines, the simulated agents and subscriber as child processes, and /proc usage figures.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken, newToken } from '../../apps/web/src/server/auth/tokens';
import { openDatabase } from '../../apps/web/src/server/db/client';
import { machines as machinesTable } from '../../apps/web/src/server/db/schema';

export const WEB = join(import.meta.dirname, '../../apps/web');
export const PASSWORD = 'bench admin password';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** Pairing is rate-limited by design, so the machines are written straight into the console's database. */
export function seed(dataDir: string, n: number): { id: string; secret: string }[] {
  const { db, close } = openDatabase(join(dataDir, 'console.sqlite'));
  const machines = Array.from({ length: n }, (_, i) => ({ id: `bench-${i}`, secret: newToken() }));
  const rows = machines.map((m, i) => ({
    id: m.id,
    name: `bench-${String(i).padStart(5, '0')}`,
    secretHash: hashToken(m.secret),
    createdAt: Date.now(),
  }));
  for (let i = 0; i < rows.length; i += 500)
    db.insert(machinesTable)
      .values(rows.slice(i, i + 500))
      .run();
  close();
  return machines;
}

export function startConsole(dataDir: string, port: number): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', 'server.ts', '--port', String(port), '--data', dataDir],
    {
      cwd: WEB,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        FLOCK_ADMIN_PASSWORD: PASSWORD,
        FLOCK_QUIET: '1',
        NEXT_TELEMETRY_DISABLED: '1',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

/** Runs one of bench/console's child scripts (agents.ts, subscriber.ts) in its own process. */
export const child = (script: string) =>
  fork(join(import.meta.dirname, script), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

export const reply = <T>(process: ChildProcess, key: string): Promise<T> =>
  new Promise((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message)) return;
      process.off('message', onMessage);
      resolve(message[key] as T);
    };
    process.on('message', onMessage);
    process.once('exit', (code) => reject(new Error(`${key}: child exited with ${code}`)));
  });

export async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error('console did not start');
}

/** utime + stime of a process in seconds, and its resident memory in MiB (Linux /proc). */
export function processUsage(pid: number): { cpuSeconds: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, rssMiB: rssKiB / 1024 };
}

export async function login(url: string): Promise<string> {
  const response = await fetch(`${url}/api/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ password: PASSWORD }),
  });
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}
