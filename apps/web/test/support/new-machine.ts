// A "new machine" for the install tests: an empty home directory, a PATH with stand-ins first
// (systemctl records its calls; node or curl replaced when a test says so) and, when the tests run as
// root, an unprivileged user (nobody) to run the pasted command as, so the install is a user's one
// and nothing is written outside the temp dirs.
import { type SpawnOptions, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './console';

const NOBODY = 65_534;
const AS_NOBODY = process.getuid?.() === 0;

/** Hands a directory tree to the user the commands run as. */
export function giveToMachineUser(path: string): void {
  if (!AS_NOBODY) return;
  chownSync(path, NOBODY, NOBODY);
  for (const entry of readdirSync(path, { recursive: true, withFileTypes: true }))
    chownSync(join(entry.parentPath, entry.name), NOBODY, NOBODY);
}

export interface NewMachine {
  home: string;
  /** The temp dir mktemp uses (TMPDIR): it must be empty after any run. */
  tmp: string;
  standIns: string;
  systemctlLog: string;
  env: Record<string, string>;
  /** Writes an executable stand-in that comes first on PATH. */
  standIn(name: string, script: string): void;
  /** Puts a link to a real tool among the stand-ins (for a PATH of stand-ins only). */
  linkTool(name: string, target: string): void;
  /** Runs a command line through sh as the machine's user. */
  sh(
    commandLine: string,
    options?: { stdin?: string },
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Every file under the home directory and TMPDIR (relative), sorted. */
  files(): string[];
  spawnOptions(): SpawnOptions;
}

export function newMachine(): NewMachine {
  const root = tempDir('flock-new-machine-');
  chmodSync(root, 0o755);
  const home = join(root, 'home');
  const tmp = join(root, 'tmp');
  const standIns = join(root, 'stand-ins');
  for (const dir of [home, tmp, standIns]) mkdirSync(dir, { mode: 0o755 });
  const systemctlLog = join(root, 'systemctl-calls.log'); // beside the home: not one of its files
  const env: Record<string, string> = {
    HOME: home,
    TMPDIR: tmp,
    PATH: `${standIns}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'C.UTF-8',
    SYSTEMCTL_LOG: systemctlLog,
  };
  const machine: NewMachine = {
    home,
    tmp,
    standIns,
    systemctlLog,
    env,
    standIn(name, script) {
      writeFileSync(join(standIns, name), script, { mode: 0o755 });
    },
    linkTool(name, target) {
      symlinkSync(target, join(standIns, name));
    },
    spawnOptions: () => ({
      env: env as NodeJS.ProcessEnv,
      cwd: home,
      ...(AS_NOBODY ? { uid: NOBODY, gid: NOBODY } : {}),
    }),
    sh(commandLine, options = {}) {
      giveToMachineUser(root);
      const child = spawn('sh', ['-c', commandLine], { ...machine.spawnOptions(), stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk) => (stdout += chunk));
      child.stderr?.on('data', (chunk) => (stderr += chunk));
      child.stdin?.end(options.stdin ?? '');
      return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
    },
    files() {
      const list = (dir: string) =>
        readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((entry) => !entry.isDirectory())
          .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1));
      return [...list(home), ...list(tmp)].sort();
    },
  };
  machine.standIn('systemctl', '#!/bin/sh\nprintf "%s\\n" "$*" >> "$SYSTEMCTL_LOG"\n');
  return machine;
}

export const systemctlCalls = (machine: NewMachine): string[] => {
  try {
    return readFileSync(machine.systemctlLog, 'utf8').trim().split('\n');
  } catch {
    return [];
  }
};
