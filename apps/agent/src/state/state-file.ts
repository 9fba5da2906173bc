// A small JSON file in the cache dir with the running agent's state, for `flock-agent status`.
// Written atomically (temp + rename), at most once per interval. `running` stays true in the file of
// a run that ended without stopping properly: the next start reports it (unclean-exit.ts).
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.js';
import type { AgentStateStore, StateSnapshot } from './store.js';

export const STATE_FILE_NAME = 'flock-agent-state.json';

export interface StateFileContent extends StateSnapshot {
  pid: number;
  writtenAt: number;
  /** True while the agent runs, false once it stopped properly; left out by older agents. */
  running?: boolean;
}

export function stateFilePath(cacheDir: string): string {
  return path.join(cacheDir, STATE_FILE_NAME);
}

/** Mirrors the store into the state file; returns a function that writes once more and stops. */
export function mirrorStateToFile(
  store: AgentStateStore,
  cacheDir: string,
  clock: Clock,
  intervalMs = 1000,
): () => Promise<void> {
  const file = stateFilePath(cacheDir);
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const write = (running = true) => {
    const content: StateFileContent = {
      ...store.snapshot(),
      pid: process.pid,
      writtenAt: clock.now(),
      running,
    };
    const temp = `${file}.${process.pid}.tmp`;
    writing = writing
      .then(() => writeFile(temp, JSON.stringify(content), { mode: 0o600 }))
      .then(() => rename(temp, file))
      .catch(() => undefined); // the status file is a convenience; the agent never fails for it
  };
  const onChange = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      write(true);
    }, intervalMs);
    timer.unref();
  };
  store.on('change', onChange);
  write(true);
  return async () => {
    store.off('change', onChange);
    if (timer) clearTimeout(timer);
    write(false);
    await writing;
  };
}

export async function readStateFile(cacheDir: string): Promise<StateFileContent | undefined> {
  try {
    return JSON.parse(await readFile(stateFilePath(cacheDir), 'utf8')) as StateFileContent;
  } catch {
    return undefined;
  }
}

/** True when the process that wrote the file still runs. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
