// The fleet's one-shot steps (builds, writing the agent's config, pairing it): each runs to its end
// with its output prefixed, in its own process group so that a Ctrl-C ends it through `stopSteps`
// (a build is turbo, pnpm and Next together: the group reaches them all).
import { type ChildProcess, spawn } from 'node:child_process';
import { showOutput } from './output.js';

const running = new Set<ChildProcess>();

export interface Step {
  /** Shown before each line of its output. */
  name: string;
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Resolves with the step's exit code (1 when it could not start or was killed). */
export function runStep({ name, file, args, cwd, env }: Step): Promise<number> {
  const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  showOutput(name, child);
  return new Promise((resolve) => {
    child.once('error', (error) => {
      console.log(`[${name}] could not run ${file}: ${error.message}`);
      running.delete(child);
      resolve(1);
    });
    child.once('close', (code) => {
      running.delete(child);
      resolve(code ?? 1);
    });
  });
}

/** Ends every step still running (the fleet is stopping). */
export function stopSteps(): void {
  for (const child of running) {
    if (child.pid === undefined) continue;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
