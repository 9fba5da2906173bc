import { ErrorType } from '../codes';

/**
 * What the agent knows after Blender ended on its own without leaving an output file (a render the
 * agent stopped is reported with its stop reason's error type instead: stop-reasons.ts).
 */
export interface RenderExit {
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

/**
 * The error type to report when a render produced no output file and no output line was classified
 * (docs/protocol.md §4.5, docs/decisions.md D9): a crash file, then missing libraries, then a failure
 * without any output; otherwise "no output file".
 */
export function classifyRenderExit(exit: RenderExit): number {
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
