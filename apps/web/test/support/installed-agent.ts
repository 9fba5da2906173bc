// An installed agent run as its service manager runs it: the unit's own ExecStart and Environment,
// started again whenever it exits (systemd's Restart=always), until the test stops it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NewMachine } from './new-machine';

export const agentHomeOf = (machine: NewMachine) => join(machine.home, '.local', 'share', 'flock-agent');
export const unitFileOf = (machine: NewMachine) =>
  join(machine.home, '.config', 'systemd', 'user', 'flock-agent.service');
export const versionsOf = (machine: NewMachine) =>
  JSON.parse(readFileSync(join(agentHomeOf(machine), 'versions.json'), 'utf8'));

/** `Key=value` lines of a unit; ExecStart split into words (the tests' paths have no spaces). */
export function unitValues(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

export interface SupervisedAgent {
  /** Every exit code so far, in order. */
  exits: (number | null)[];
  log(): string;
  /** SIGTERM, and no restart after it; resolves with the last exit code. */
  stop(): Promise<number | null>;
}

export function superviseAsTheUnit(machine: NewMachine): SupervisedAgent {
  const unit = readFileSync(unitFileOf(machine), 'utf8');
  const [node = '', ...args] = (unitValues(unit, 'ExecStart')[0] ?? '').split(' ');
  const env = Object.fromEntries(unitValues(unit, 'Environment').map((pair) => pair.split('=', 2)));
  const exits: (number | null)[] = [];
  let log = '';
  let stopping = false;
  let exited: Promise<number | null> = Promise.resolve(null);
  let child: ReturnType<typeof spawn> | undefined;
  const start = () => {
    child = spawn(node, args, { ...machine.spawnOptions(), env: { ...machine.env, ...env }, stdio: 'pipe' });
    child.stderr?.on('data', (chunk) => (log += chunk));
    exited = new Promise((resolve) =>
      child?.on('close', (code) => {
        exits.push(code);
        log += `--- exited with ${code} ---\n`;
        if (!stopping) setTimeout(start, 100); // RestartSec, shortened
        resolve(code);
      }),
    );
  };
  start();
  return {
    exits,
    log: () => log,
    async stop() {
      stopping = true;
      child?.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
