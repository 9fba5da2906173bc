import { ErrorType } from './codes';

/**
 * Why the agent stopped a job before Blender ended on its own: the user (pause now, stop now, block
 * the project), the farm (a heartbeat answered 400), or one of the user's limits (the longest frame
 * time, the memory limit). A fatal line in Blender's output is not a stop reason: the line names its
 * own error type.
 */
export type StopReason = 'pause-now' | 'stop-now' | 'block-project' | 'server' | 'time-limit' | 'memory';

/** The error type each stop is reported as: 20 for the user, 22 for the farm, 23 and 21 for the limits. */
export const STOP_ERROR_TYPES: Readonly<Record<StopReason, number>> = Object.freeze({
  'pause-now': ErrorType.RENDERER_KILLED_BY_USER,
  'stop-now': ErrorType.RENDERER_KILLED_BY_USER,
  'block-project': ErrorType.RENDERER_KILLED_BY_USER,
  server: ErrorType.RENDERER_KILLED_BY_SERVER,
  'time-limit': ErrorType.RENDERER_KILLED_BY_USER_OVER_TIME,
  memory: ErrorType.RENDERER_OUT_OF_MEMORY,
});

/** The stops on purpose, the user's and the farm's: nothing went wrong (an event, not an error). */
export const STOPS_ON_PURPOSE = [
  'pause-now',
  'stop-now',
  'block-project',
  'server',
] as const satisfies readonly StopReason[];
export type StopOnPurpose = (typeof STOPS_ON_PURPOSE)[number];

export function isStopOnPurpose(reason: StopReason): reason is StopOnPurpose {
  return (STOPS_ON_PURPOSE as readonly StopReason[]).includes(reason);
}

export function isStopReason(value: unknown): value is StopReason {
  return typeof value === 'string' && Object.hasOwn(STOP_ERROR_TYPES, value);
}

/** The error type to report for a job stopped for `reason`. */
export function stopErrorType(reason: StopReason): number {
  return STOP_ERROR_TYPES[reason];
}
