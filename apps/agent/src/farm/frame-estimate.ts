// How long this machine's next frame takes, from its recent frames per project (request-window.ts
// decides from it whether the frame ends before the request-time window closes). A frame's time is
// its wall time from the start of its download until the farm took its upload: extraction, Blender and
// the wait in the upload queue count, since the owner wants the machine free when the window closes,
// not only Blender done.
//
// The estimate is the median of the last FRAMES_PER_PROJECT frames of the project the farm gave last
// (the farm keeps handing a session frames of the same project, and frames of one project take
// similar times); the median, not the mean, so one frame that also downloaded the project's archive,
// or whose upload waited out a farm outage, does not move it. A project with no delivered frame yet
// (its first frame failed, or is still uploading) falls back to the median of all recent frames of
// every project: the machine's typical frame. No frame at all: no estimate.
//
// Pure: the value is kept in the agent's state (local.frameTimes), mirrored to the state file, and read
// back at the next start; what is read back is checked like any file from disk.
import type { JobPhaseSpan } from '@flock/protocol';

/** Frame times kept per project: the newest ones. */
export const FRAMES_PER_PROJECT = 5;
/** Projects kept; the one least recently given or delivered goes first. */
export const MAX_PROJECTS = 20;
/** Project names as the farm's job carries them (longer ones are cut, like the state's). */
const MAX_NAME_CHARS = 300;
/** A frame time above this is not a frame of this machine (a clock set forward): it is not kept. */
const MAX_FRAME_MS = 7 * 24 * 60 * 60_000;

export interface ProjectFrameTimes {
  name: string;
  /** Wall times in ms, oldest first, at most FRAMES_PER_PROJECT. */
  wallMs: number[];
}

export interface FrameTimes {
  /** The project of the last job the farm gave: the likeliest next one. */
  lastGiven: string | null;
  /** Least recently active first, at most MAX_PROJECTS. */
  projects: ProjectFrameTimes[];
}

export const NO_FRAME_TIMES: FrameTimes = Object.freeze({ lastGiven: null, projects: [] });

export interface FrameEstimate {
  ms: number;
  /** `project`: the median of the last given project's frames; `recent`: of all recent frames. */
  basis: 'project' | 'recent';
  /** How many frame times the median is of. */
  frames: number;
}

/** The farm gave a job of `project`: it becomes the likeliest next one. */
export function projectGiven(times: FrameTimes, project: string): FrameTimes {
  const name = project.slice(0, MAX_NAME_CHARS);
  const entry = times.projects.find((candidate) => candidate.name === name) ?? { name, wallMs: [] };
  return { lastGiven: name, projects: withLatest(times.projects, entry) };
}

/** A frame of `project` was delivered after `wallMs`; a time that cannot be a frame's is not kept. */
export function frameDelivered(times: FrameTimes, project: string, wallMs: number): FrameTimes {
  if (!isFrameTime(wallMs)) return times;
  const name = project.slice(0, MAX_NAME_CHARS);
  const known = times.projects.find((candidate) => candidate.name === name);
  const entry = { name, wallMs: [...(known?.wallMs ?? []), Math.round(wallMs)].slice(-FRAMES_PER_PROJECT) };
  return { lastGiven: times.lastGiven, projects: withLatest(times.projects, entry) };
}

/** A delivered frame's wall time: from the start of its first phase to the end of its last. */
export function wallTimeOf(spans: readonly JobPhaseSpan[]): number | undefined {
  const first = spans[0];
  const last = spans.at(-1);
  return first && last ? last.endedAt - first.startedAt : undefined;
}

export function estimateNextFrame(times: FrameTimes): FrameEstimate | undefined {
  const given = times.projects.find((entry) => entry.name === times.lastGiven);
  if (given && given.wallMs.length > 0)
    return { ms: median(given.wallMs), basis: 'project', frames: given.wallMs.length };
  const all = times.projects.flatMap((entry) => entry.wallMs);
  if (all.length === 0) return undefined;
  return { ms: median(all), basis: 'recent', frames: all.length };
}

/**
 * Frame times read back from the state file: anything that is not what this module writes is left
 * out (the file is on disk, and may be damaged or from another version), never an error.
 */
export function parseFrameTimes(value: unknown): FrameTimes {
  if (!isRecord(value) || !Array.isArray(value.projects)) return NO_FRAME_TIMES;
  const projects = value.projects.slice(-MAX_PROJECTS).flatMap((entry): ProjectFrameTimes[] => {
    if (!isRecord(entry) || typeof entry.name !== 'string' || !Array.isArray(entry.wallMs)) return [];
    const wallMs = entry.wallMs.slice(-FRAMES_PER_PROJECT).filter(isFrameTime).map(Math.round);
    return [{ name: entry.name.slice(0, MAX_NAME_CHARS), wallMs }];
  });
  const names = new Set<string>();
  const unique = projects.filter((entry) => !names.has(entry.name) && names.add(entry.name));
  const lastGiven =
    typeof value.lastGiven === 'string' && names.has(value.lastGiven) ? value.lastGiven : null;
  return { lastGiven, projects: unique };
}

function withLatest(projects: readonly ProjectFrameTimes[], entry: ProjectFrameTimes): ProjectFrameTimes[] {
  const others = projects.filter((candidate) => candidate.name !== entry.name);
  return [...others, entry].slice(-MAX_PROJECTS);
}

function isFrameTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_FRAME_MS;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? upper) + upper) / 2;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
