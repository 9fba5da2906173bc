// Which of the watched program names run now. Only the watched names leave this module (the agent
// never reports its process list), and with nothing watched nothing is listed at all.
// Per OS, the cheapest listing that is right (bench/agent/facts-readers.ts measures them):
// - Linux: `/proc/<pid>/comm` (about 3 ms for 85 processes here; systeminformation's processes()
//   takes about 47 ms and spawns `ps`; `ps` alone about 14 ms). `comm` is cut to 15 characters, so a
//   15-character name that starts a longer watched name is confirmed from `/proc/<pid>/cmdline`.
// - macOS and the BSDs: `ps -axco comm=` (executable names without paths, one spawn). macOS cuts
//   them to 16 characters (MAXCOMLEN): a 16-character name that starts a longer watched name matches.
// - Windows: `tasklist /fo csv /nh` (image names, one spawn; systeminformation's processes() runs a
//   WMI query through PowerShell and reads far more than names).
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { normalizeProcessName, processNameMatches } from '@flock/protocol';
import { parsePsNames, parseTasklistNames } from './process-parsers.js';
import type { CommandRunner } from './run-command.js';

export interface ProcessNamesOptions {
  platform: NodeJS.Platform;
  run: CommandRunner;
  /** Linux's proc file system (tests point at a folder of their own). */
  procDir?: string;
}

/** `comm` holds at most TASK_COMM_LEN − 1 = 15 bytes of the executable's name. */
const COMM_CHARS = 15;
/** macOS's `ps -c` prints the kernel's p_comm, at most MAXCOMLEN = 16 characters. */
const MAC_COMM_CHARS = 16;

interface ProcessNames {
  names: string[];
  /** The listing cuts names to this many characters (a name this long may be the start of a longer one). */
  cutAt?: number;
}

/** The watched names (as the rules spell them) that match a running program, in watch order. */
export async function runningWatchedNames(
  watched: readonly string[],
  options: ProcessNamesOptions,
): Promise<string[]> {
  if (watched.length === 0) return [];
  const running = await listProcessNames(watched, options);
  if (running === undefined) return [];
  return watched.filter((name) =>
    running.names.some((runningName) => namesMatch(name, runningName, running.cutAt)),
  );
}

function namesMatch(watched: string, running: string, cutAt: number | undefined): boolean {
  if (processNameMatches(watched, running)) return true;
  return (
    cutAt !== undefined &&
    running.length === cutAt &&
    normalizeProcessName(watched).startsWith(normalizeProcessName(running))
  );
}

/** The names of running programs; undefined: cannot list. */
async function listProcessNames(
  watched: readonly string[],
  { platform, run, procDir = '/proc' }: ProcessNamesOptions,
): Promise<ProcessNames | undefined> {
  if (platform === 'linux') {
    const names = procNames(procDir, watched);
    return names && { names };
  }
  if (platform === 'win32') {
    const text = await run('tasklist', ['/fo', 'csv', '/nh']);
    return text === undefined ? undefined : { names: parseTasklistNames(text) };
  }
  const text = await run('ps', ['-axco', 'comm=']);
  if (text === undefined) return undefined;
  return { names: parsePsNames(text), ...(platform === 'darwin' && { cutAt: MAC_COMM_CHARS }) };
}

/**
 * Synchronous on purpose: one small read per process, and the promise-based reads cost over 10 times
 * the CPU (a thread-pool round trip and a buffer per file; bench/agent/results/facts-readers.md) and
 * more memory, for a scan that blocks the event loop about 3 ms for 100 processes.
 */
function procNames(procDir: string, watched: readonly string[]): string[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return undefined;
  }
  const longWatched = watched.map(normalizeProcessName).filter((name) => name.length > COMM_CHARS);
  const names: string[] = [];
  for (const pid of entries) {
    if (!/^\d{1,10}$/.test(pid)) continue;
    const comm = readStart(path.join(procDir, pid, 'comm'))?.replace(/\n$/, '');
    if (!comm) continue; // exited since the listing
    names.push(comm);
    const cut = normalizeProcessName(comm);
    if (comm.length === COMM_CHARS && longWatched.some((name) => name.startsWith(cut))) {
      const full = commandName(path.join(procDir, pid, 'cmdline'));
      if (full) names.push(full);
    }
  }
  return names;
}

/** The base name of argv[0] (`/usr/bin/blender-softwaregl --background …` → `blender-softwaregl`). */
function commandName(file: string): string | undefined {
  const argv0 = readStart(file)?.split('\0')[0];
  return argv0 ? argv0.split('/').pop() || undefined : undefined;
}

/** Enough of a /proc file for a name (a command line can be megabytes long). */
const READ_BYTES = 4096;
const readBuffer = Buffer.alloc(READ_BYTES);

/** The first READ_BYTES of a /proc file as text; undefined when the process is gone. */
function readStart(file: string): string | undefined {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(file, 'r');
    const bytesRead = readSync(descriptor, readBuffer, 0, READ_BYTES, 0);
    return readBuffer.toString('utf8', 0, bytesRead);
  } catch {
    return undefined;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
