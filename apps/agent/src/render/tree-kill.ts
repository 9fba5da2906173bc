// Stopping Blender with every process it started.
//   - Linux, macOS, BSD: Blender is spawned detached, so it leads its own process group; one signal
//     to the group (SIGTERM, then SIGKILL after the grace period) reaches nice, Blender and helpers.
//   - Windows has neither signals nor process groups to signal: `taskkill /PID <pid> /T /F` ends the
//     process and its descendants (taskkill ships with every Windows). A console Blender has no window
//     that could be asked to close, so both stages end it at once. Once Blender itself has exited its
//     helpers can no longer be found from its pid (Windows keeps no process groups): nothing to do.
import { spawn } from 'node:child_process';

/** `leftovers`: after Blender exited, whatever it left running. */
export type TreeKillStage = 'terminate' | 'kill' | 'leftovers';

export type TreeKillCommand =
  | { kind: 'group-signal'; signal: NodeJS.Signals }
  | { kind: 'run'; argv: string[] }
  | { kind: 'none' };

/** What stopping the tree rooted at `pid` takes on `platform`. */
export function treeKillCommand(
  pid: number,
  stage: TreeKillStage,
  platform: NodeJS.Platform,
  taskkill = 'taskkill.exe',
): TreeKillCommand {
  if (platform === 'win32') {
    return stage === 'leftovers'
      ? { kind: 'none' }
      : { kind: 'run', argv: [taskkill, '/PID', String(pid), '/T', '/F'] };
  }
  return { kind: 'group-signal', signal: stage === 'terminate' ? 'SIGTERM' : 'SIGKILL' };
}

/** Best effort: a tree that is already gone is not an error. `onNote` hears what could not be done. */
export function killProcessTree(
  pid: number,
  stage: TreeKillStage,
  platform: NodeJS.Platform,
  options: { taskkill?: string; onNote?: (message: string) => void } = {},
): void {
  const command = treeKillCommand(pid, stage, platform, options.taskkill);
  if (command.kind === 'none') return;
  if (command.kind === 'group-signal') {
    try {
      process.kill(-pid, command.signal);
    } catch {
      // the group is gone
    }
    return;
  }
  const [executable = '', ...args] = command.argv;
  const child = spawn(executable, args, { stdio: 'ignore', windowsHide: true });
  child.on('error', (error) => options.onNote?.(`cannot run ${executable}: ${error.message}`));
}
