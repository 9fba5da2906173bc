import { ErrorType } from '../codes';

/** Why the agent itself stopped Blender, if it did. */
export type RenderKillReason = 'user' | 'server' | 'time-limit' | 'memory' | 'other';

/** What the agent knows after Blender ended without leaving an output file. */
export interface RenderExit {
  /** Set when the agent killed the process (user block, keep-alive 400, render-time limit, memory limit). */
  killReason?: RenderKillReason;
  /** Whether `<work>/<blend basename>.crash.txt` exists (Blender's crash handler wrote it). */
  crashFileExists: boolean;
  /** The exit code, or null when a signal ended the process. */
  exitCode: number | null;
  signal?: string | null;
  /** How long the process ran, in milliseconds. */
  runMs: number;
  /** Whether Blender printed anything at all. */
  hadOutput: boolean;
}

/** A missing shared library makes the loader exit with 127 right away (docs/protocol.md §4.5). */
const MISSING_LIBRARIES_WITHIN_MS = 10_000;

const KILL_ERROR_TYPES: Record<RenderKillReason, number> = {
  user: ErrorType.RENDERER_KILLED_BY_USER,
  server: ErrorType.RENDERER_KILLED_BY_SERVER,
  'time-limit': ErrorType.RENDERER_KILLED_BY_USER_OVER_TIME,
  memory: ErrorType.RENDERER_OUT_OF_MEMORY,
  other: ErrorType.RENDERER_KILLED,
};

/**
 * The error type to report when a render produced no output file and no output line was classified
 * (docs/protocol.md §4.5, docs/decisions.md D9): a requested kill names its reason, then a crash file,
 * then missing libraries, then a failure without any output; otherwise "no output file".
 */
export function classifyRenderExit(exit: RenderExit): number {
  if (exit.killReason !== undefined) return KILL_ERROR_TYPES[exit.killReason];
  if (exit.crashFileExists) return ErrorType.RENDERER_CRASHED;
  if (exit.exitCode === 127 && exit.runMs < MISSING_LIBRARIES_WITHIN_MS) {
    return ErrorType.RENDERER_MISSING_LIBRARIES;
  }
  const failed = exit.exitCode !== 0 || (exit.signal ?? null) !== null;
  if (failed && !exit.hadOutput) return ErrorType.RENDERER_CRASHED;
  return ErrorType.NOOUTPUTFILE;
}

/** The contract's name for {@link classifyRenderExit}. */
export const classifyExit = classifyRenderExit;
