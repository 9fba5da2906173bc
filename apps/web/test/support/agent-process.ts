import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface SimAgentProcess {
  child: ChildProcess;
  /** The JSON lines it reported (`{ event: 'link', status }`, …). */
  events: Record<string, unknown>[];
  exited: Promise<void>;
}

/**
 * The simulated agent (`sim-agent.ts`) as its own process, so a test can kill or freeze it. With a
 * code it pairs first; without, it links with the credentials already in `configDir`.
 */
export function spawnSimAgent(
  consoleUrl: string,
  configDir: string,
  name: string,
  code?: string,
): SimAgentProcess {
  const args = ['--console', consoleUrl, '--name', name, '--config-dir', configDir, '--step-ms', '100'];
  if (code) args.push('--code', code);
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/sim-agent.ts', ...args], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const events: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      events.push(JSON.parse(line));
    } catch {
      // Not one of its reports (a stray log line).
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, events, exited };
}
