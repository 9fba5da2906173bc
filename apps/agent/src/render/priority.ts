// Blender's priority. The setting is a nice level, -20 (highest) … 19 (lowest).
//   - Linux, macOS: `nice -n <level>` starts Blender (render/environment.ts), so Blender and every
//     thread and helper it starts inherit the level from the first instruction.
//   - Windows has no nice: right after the spawn, os.setPriority gives Blender's process the priority
//     class the official client maps the level to (its os/Windows.java): 15…19 idle, 5…14 below
//     normal, -3…4 normal, -9…-4 above normal, -14…-10 high, -20…-15 realtime (Windows grants
//     realtime only to an elevated process and gives the others high instead).
//   - Elsewhere without `nice` on the PATH: os.setPriority with the level itself (best effort: the
//     threads Blender has already started keep theirs).
import { constants, setPriority } from 'node:os';

const { priority: PRIORITY } = constants;

/** The os.constants.priority value (a Windows priority class) for a nice level. */
export function windowsPriorityClass(niceLevel: number): number {
  if (niceLevel >= 15) return PRIORITY.PRIORITY_LOW;
  if (niceLevel >= 5) return PRIORITY.PRIORITY_BELOW_NORMAL;
  if (niceLevel >= -3) return PRIORITY.PRIORITY_NORMAL;
  if (niceLevel >= -9) return PRIORITY.PRIORITY_ABOVE_NORMAL;
  if (niceLevel >= -14) return PRIORITY.PRIORITY_HIGH;
  return PRIORITY.PRIORITY_HIGHEST;
}

/**
 * The value to give os.setPriority for Blender's pid after the spawn, or undefined when `nice`
 * already started it at its level.
 */
export function priorityAfterSpawn(
  niceLevel: number,
  platform: NodeJS.Platform,
  startedWithNice: boolean,
): number | undefined {
  if (platform === 'win32') return windowsPriorityClass(niceLevel);
  return startedWithNice ? undefined : niceLevel;
}

/** Applies priorityAfterSpawn; returns a note when it could not (e.g. raising it needs rights). */
export function applyPriorityAfterSpawn(
  pid: number,
  niceLevel: number,
  platform: NodeJS.Platform,
  startedWithNice: boolean,
  set: (pid: number, priority: number) => void = setPriority,
): string {
  const value = priorityAfterSpawn(niceLevel, platform, startedWithNice);
  if (value === undefined) return `priority: nice -n ${niceLevel}`;
  try {
    set(pid, value);
    return `priority: os.setPriority(${pid}, ${value}) for nice level ${niceLevel}`;
  } catch (error) {
    return `priority: os.setPriority(${pid}, ${value}) failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}
