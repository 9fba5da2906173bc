// One long-running process of the fleet (farm, console, agent). Whatever ends it — a crash, a clean
// exit, a kill — it is started again after a back-off, and the others are left alone; only `stop`
// (the fleet's Ctrl-C or SIGTERM) ends it for good.
import { type ChildProcess, spawn } from 'node:child_process';
import { duration, say, showOutput } from './output.js';

export interface ChildSpec {
  name: string;
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Restart back-off: 1, 2, 4, 8, 16, then 30 s for each further exit in a row. */
export function restartDelayMs(exitsInARow: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(exitsInARow, 5));
}

/** A child that ran at least this long before it exited was healthy: its back-off starts over. */
export const HEALTHY_RUN_MS = 60_000;

export class SupervisedChild {
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private exitsInARow = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly exitWaiters: (() => void)[] = [];

  constructor(private readonly spec: ChildSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { name, file, args, cwd, env } = this.spec;
    // Its own process group: a terminal's Ctrl-C reaches the fleet runner only, which decides
    // what each child gets (the agent first finishes its frame, so it must not see the keypress
    // at the same time as the farm it uploads to).
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.startedAt = Date.now();
    showOutput(name, child);
    if (child.pid !== undefined) say(`${name} started (pid ${child.pid})`);
    child.once('error', (error) => {
      say(`${name} could not start: ${error.message}`);
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined)
        this.onExit(child, 'not started');
    });
    child.once('exit', (code, signal) => this.onExit(child, signal ?? `code ${code}`));
  }

  /** Sends `signal` to the child alone (its own children, e.g. Blender, are its business). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Kills the child's whole process group at once, e.g. an agent and the Blender it runs. */
  kill(): void {
    const pid = this.child?.pid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** No more restarts; sends `signal` and resolves once the child has exited. */
  stop(signal: NodeJS.Signals): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    if (!this.child) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    this.child.kill(signal);
    return exited;
  }

  private onExit(child: ChildProcess, how: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    for (const resolve of this.exitWaiters.splice(0)) resolve();
    if (this.stopped) return;
    const ranMs = Date.now() - this.startedAt;
    if (ranMs >= HEALTHY_RUN_MS) this.exitsInARow = 0;
    const delay = restartDelayMs(this.exitsInARow++);
    say(
      `${this.spec.name} exited (${how}) after ${duration(ranMs)}; restarting it in ${duration(delay)}` +
        ' (the rest of the fleet keeps running)',
    );
    this.restartTimer = setTimeout(() => this.start(), delay);
  }
}
