/**
 * Every status and error code of the protocol as data: a name, one line a UI can show, and what the
 * client does about it (docs/protocol.md §1.2, §5.5, §7, §8 — mostly the official client's behaviour).
 */

export type ClientReaction =
  | { kind: 'proceed' }
  /** Wait a random time in [minMs, maxMs], then try again. */
  | { kind: 'retry'; minMs: number; maxMs: number }
  /** Wait stepsMs[n] before the n-th consecutive retry, staying on the last step; reset on success. */
  | { kind: 'backoff-ladder'; stepsMs: number[] }
  /** Log in again (config request), then repeat the request. */
  | { kind: 'relogin' }
  /** Stop the client: it cannot work with this farm account. */
  | { kind: 'stop' }
  /** Tell the user and stay idle until they act. */
  | { kind: 'idle-until-user' }
  /** Report an error to the farm (the generic path for unknown answers). */
  | { kind: 'report' }
  /** The answer is final for this frame: no retry. `errorType` is what the client reports. */
  | { kind: 'final'; errorType: number }
  /** Stop the current render and report `errorType`. */
  | { kind: 'abort-job'; errorType: number };

export interface CodeInfo {
  code: number;
  name: string;
  explanation: string;
  reaction: ClientReaction;
}

const MINUTE = 60_000;
const PROCEED: ClientReaction = { kind: 'proceed' };
const STOP: ClientReaction = { kind: 'stop' };
const IDLE: ClientReaction = { kind: 'idle-until-user' };
const REPORT: ClientReaction = { kind: 'report' };

/**
 * The waits between attempts to upload one frame: the official client's 22 s, then 44 s; Flock then
 * keeps doubling up to `maxMs` and never gives up (the official client drops the frame after three
 * tries). Up to `jitter` of each wait is added at random, so agents that failed together do not
 * retry together.
 */
export interface UploadBackoff {
  /** Wait before the 2nd attempt. */
  firstMs: number;
  /** Wait before the 3rd attempt; later waits keep doubling up to `maxMs`. */
  secondMs: number;
  maxMs: number;
  jitter: number;
}

export const UPLOAD_BACKOFF: UploadBackoff = Object.freeze({
  firstMs: 22_000,
  secondMs: 44_000,
  maxMs: 15 * MINUTE,
  jitter: 0.25,
});

/** The wait after `failures` failed attempts (1 = after the first failure); `random` returns [0, 1). */
export function uploadRetryDelay(failures: number, policy: UploadBackoff, random: () => number): number {
  const base =
    failures <= 1
      ? policy.firstMs
      : Math.min(policy.maxMs, policy.secondMs * 2 ** Math.min(failures - 2, 30));
  return Math.round(base * (1 + policy.jitter * random()));
}

const RETRY_UPLOAD: ClientReaction = {
  kind: 'retry',
  minMs: UPLOAD_BACKOFF.firstMs,
  maxMs: UPLOAD_BACKOFF.secondMs,
};

function retryMinutes(min: number, max: number): ClientReaction {
  return { kind: 'retry', minMs: min * MINUTE, maxMs: max * MINUTE };
}

function table(entries: readonly CodeInfo[]): Readonly<Record<number, CodeInfo>> {
  return Object.freeze(Object.fromEntries(entries.map((entry) => [entry.code, Object.freeze(entry)])));
}

function code(code: number, name: string, explanation: string, reaction: ClientReaction): CodeInfo {
  return { code, name, explanation, reaction };
}

function lookup(codes: Readonly<Record<number, CodeInfo>>, fallback: ClientReaction) {
  return (value: number): CodeInfo =>
    codes[value] ?? code(value, 'UNKNOWN', `Unknown status ${value} from the farm.`, fallback);
}

export const ConfigStatus = {
  OK: 0,
  NO_VERSION: 100,
  CLIENT_TOO_OLD: 101,
  AUTHENTICATION_FAILED: 102,
  WEB_SESSION_EXPIRED: 103,
  MISSING_PARAMETER: 104,
} as const;

export const CONFIG_STATUSES = table([
  code(0, 'OK', 'Logged in to the farm.', PROCEED),
  code(100, 'NO_VERSION', 'The farm got no client version with the login.', STOP),
  code(
    101,
    'CLIENT_TOO_OLD',
    "The farm refuses this client version as too old; send the official client's version.",
    STOP,
  ),
  code(102, 'AUTHENTICATION_FAILED', 'Login or password (render key) was not accepted.', STOP),
  code(103, 'WEB_SESSION_EXPIRED', 'The web session has expired; log in again.', STOP),
  code(104, 'MISSING_PARAMETER', 'The login request lacked a parameter the farm requires.', STOP),
]);

export const JobRequestStatus = {
  OK: 0,
  NO_JOB: 200,
  NO_RIGHTS: 201,
  SESSION_DEAD: 202,
  SESSION_DISABLED: 203,
  SERVER_ERROR: 204,
  NO_RENDERER: 205,
  MAINTENANCE: 206,
  OVERLOADED: 207,
  DENOISING_DISABLED: 208,
} as const;

/** The official client's wait after "no job": 5, 8, 12, 15, then 20 minutes for every further one. */
export const NO_JOB_BACKOFF_MS = [5, 8, 12, 15, 20].map((minutes) => minutes * MINUTE);

/**
 * A wait that starts small and grows while the same trouble lasts, then stays in the official
 * client's own range: retry n (from 0) waits `stepsMs[n]`, spread by ± `jitter`, and once the steps
 * are used up a random time in [capMinMs, capMaxMs]. Success resets it, so a blip costs a blip.
 */
export interface GrowingBackoff {
  stepsMs: readonly number[];
  /** Fraction each step is spread by, so machines that lost the farm together do not return together. */
  jitter: number;
  capMinMs: number;
  capMaxMs: number;
}

const GROWING_STEPS_MS = [0.5, 1, 2, 4, 8].map((minutes) => minutes * MINUTE);

/** Farm unreachable (network error, timeout, HTTP error): 30 s, 1, 2, 4, 8 min, then J22's 10–30 min. */
export const SERVER_DOWN_BACKOFF: GrowingBackoff = Object.freeze({
  stepsMs: GROWING_STEPS_MS,
  jitter: 0.2,
  capMinMs: 10 * MINUTE,
  capMaxMs: 30 * MINUTE,
});

/** An answer that is not the expected XML: the same start, then J22's 15–30 min. */
export const BAD_ANSWER_BACKOFF: GrowingBackoff = Object.freeze({
  stepsMs: GROWING_STEPS_MS,
  jitter: 0.2,
  capMinMs: 15 * MINUTE,
  capMaxMs: 30 * MINUTE,
});

/** The wait before retry `retry` (0 = the first retry); `random` returns [0, 1). */
export function growingBackoffDelay(policy: GrowingBackoff, retry: number, random: () => number): number {
  const step = policy.stepsMs[Math.max(0, retry)];
  if (step === undefined) return Math.round(policy.capMinMs + (policy.capMaxMs - policy.capMinMs) * random());
  return Math.round(step * (1 - policy.jitter + 2 * policy.jitter * random()));
}

/**
 * The least time between two job requests while jobs end without a frame (failed, refused, blocked).
 * J22 asks again at once after the error types in ERROR_TYPES_WITHOUT_PAUSE (a project blocked by the
 * user among them), so a farm that keeps offering a project the machine refuses would be asked many
 * times a second. The n-th such job in a row (from 0) waits at least `[n]` after the request that
 * brought it, the last step repeating; a delivered frame resets the count.
 */
export const JOB_REQUEST_FLOOR_MS: readonly number[] = Object.freeze(
  [10 / 60, 1, 5, 20].map((minutes) => Math.round(minutes * MINUTE)),
);

export const JOB_REQUEST_STATUSES = table([
  code(0, 'OK', 'The farm sent a job.', PROCEED),
  code(200, 'NO_JOB', 'No job available right now; asking again in a few minutes.', {
    kind: 'backoff-ladder',
    stepsMs: NO_JOB_BACKOFF_MS,
  }),
  code(201, 'NO_RIGHTS', 'This account is not allowed to render.', STOP),
  code(202, 'SESSION_DEAD', 'The farm session ended; logging in again.', { kind: 'relogin' }),
  code(203, 'SESSION_DISABLED', 'The farm disabled this session, usually for broken frames.', IDLE),
  code(
    204,
    'SERVER_ERROR',
    'The farm had an internal error; retrying in 15–30 minutes.',
    retryMinutes(15, 30),
  ),
  code(205, 'NO_RENDERER', 'The farm has no Blender for this operating system and architecture.', IDLE),
  code(206, 'MAINTENANCE', 'The farm is in maintenance; retrying in 20–30 minutes.', retryMinutes(20, 30)),
  code(207, 'OVERLOADED', 'The farm is overloaded; retrying in 10–30 minutes.', retryMinutes(10, 30)),
  code(208, 'DENOISING_DISABLED', 'Session disabled: this machine cannot run the required denoiser.', IDLE),
]);

export const ValidationStatus = {
  OK: 0,
  MISSING_PARAMETER: 300,
  BROKEN_FRAME: 301,
  NOT_AN_IMAGE: 302,
  UPLOAD_FAILED: 303,
  SESSION_DISABLED: 304,
  IMAGE_TOO_LARGE: 306,
  WRONG_DIMENSION: 308,
} as const;

export const ErrorType = {
  OK: 0,
  WRONG_CONFIGURATION: 1,
  AUTHENTICATION_FAILED: 2,
  TOO_OLD_CLIENT: 3,
  SESSION_DISABLED: 4,
  RENDERER_NOT_AVAILABLE: 5,
  MISSING_RENDERER: 6,
  MISSING_SCENE: 7,
  NOOUTPUTFILE: 8,
  DOWNLOAD_FILE: 9,
  CAN_NOT_CREATE_DIRECTORY: 10,
  NETWORK_ISSUE: 11,
  RENDERER_CRASHED: 12,
  RENDERER_OUT_OF_VIDEO_MEMORY: 13,
  RENDERER_KILLED: 14,
  RENDERER_MISSING_LIBRARIES: 15,
  FAILED_TO_EXECUTE: 16,
  OS_NOT_SUPPORTED: 17,
  CPU_NOT_SUPPORTED: 18,
  GPU_NOT_SUPPORTED: 19,
  RENDERER_KILLED_BY_USER: 20,
  RENDERER_OUT_OF_MEMORY: 21,
  RENDERER_KILLED_BY_SERVER: 22,
  RENDERER_KILLED_BY_USER_OVER_TIME: 23,
  RENDERER_CRASHED_PYTHON_ERROR: 24,
  VALIDATION_FAILED: 25,
  IMAGE_TOO_LARGE: 26,
  ENGINE_NOT_AVAILABLE: 27,
  CURRENTLY_HEADLESS: 28,
  DENOISING_NOT_SUPPORTED: 29,
  UNKNOWN: 99,
  NO_SPACE_LEFT_ON_DEVICE: 100,
  ERROR_BAD_UPLOAD_RESPONSE: 101,
  PATH_INVALID: 102,
  NO_WRITE_PERMISSION: 103,
  SERVER_DOWN: 104,
  ERROR_BAD_SERVER_RESPONSE: 105,
} as const;

export const VALIDATION_STATUSES = table([
  code(0, 'OK', 'The farm accepted the frame.', PROCEED),
  code(300, 'MISSING_PARAMETER', 'The upload lacked a parameter; the frame is lost.', {
    kind: 'final',
    errorType: ErrorType.UNKNOWN,
  }),
  code(301, 'BROKEN_FRAME', 'The farm found the frame broken (often a black GPU frame).', {
    kind: 'final',
    errorType: ErrorType.SESSION_DISABLED,
  }),
  code(302, 'NOT_AN_IMAGE', 'The uploaded file was not an image; retrying.', RETRY_UPLOAD),
  code(303, 'UPLOAD_FAILED', 'The farm could not store the upload; retrying.', RETRY_UPLOAD),
  code(304, 'SESSION_DISABLED', 'The session is disabled or dead; the frame was refused.', {
    kind: 'final',
    errorType: ErrorType.SESSION_DISABLED,
  }),
  code(306, 'IMAGE_TOO_LARGE', 'The frame file is larger than the farm accepts.', {
    kind: 'final',
    errorType: ErrorType.IMAGE_TOO_LARGE,
  }),
  code(308, 'WRONG_DIMENSION', 'The frame does not have the size the project asks for.', {
    kind: 'final',
    errorType: ErrorType.IMAGE_TOO_LARGE,
  }),
]);

export const KeepAliveStatus = { OK: 0, STOP_JOB: 400 } as const;

export const KEEPALIVE_STATUSES = table([
  code(0, 'OK', 'The farm knows this machine is alive.', PROCEED),
  code(400, 'STOP_JOB', 'The farm cancelled the current job.', {
    kind: 'abort-job',
    errorType: ErrorType.RENDERER_KILLED_BY_SERVER,
  }),
]);

/** After reporting these error types the client goes on at once; after any other it pauses 5 minutes. */
export const ERROR_TYPES_WITHOUT_PAUSE: ReadonlySet<number> = new Set([0, 7, 12, 20, 22, 23]);
export const ERROR_REPORT_PAUSE_MS = 5 * MINUTE;

const ERROR_EXPLANATIONS: Record<keyof typeof ErrorType, string> = {
  OK: 'No error (the start-up configuration log).',
  WRONG_CONFIGURATION: 'The client received a wrong configuration.',
  AUTHENTICATION_FAILED: 'Logging in to the farm failed.',
  TOO_OLD_CLIENT: 'The client version is too old for the farm.',
  SESSION_DISABLED: 'The farm disabled the session.',
  RENDERER_NOT_AVAILABLE: 'No Blender build is available for this machine.',
  MISSING_RENDERER: 'The Blender binary is missing.',
  MISSING_SCENE: 'No scene was found in the .blend file.',
  NOOUTPUTFILE: 'Rendering produced no output file.',
  DOWNLOAD_FILE: 'Downloading a file failed.',
  CAN_NOT_CREATE_DIRECTORY: 'A working directory could not be created.',
  NETWORK_ISSUE: 'A network problem stopped the transfer.',
  RENDERER_CRASHED: 'Blender crashed.',
  RENDERER_OUT_OF_VIDEO_MEMORY: 'Blender ran out of GPU memory.',
  RENDERER_KILLED: 'The operating system killed Blender.',
  RENDERER_MISSING_LIBRARIES: 'Blender is missing system libraries.',
  FAILED_TO_EXECUTE: 'Blender could not be started.',
  OS_NOT_SUPPORTED: 'This operating system is not supported.',
  CPU_NOT_SUPPORTED: 'This CPU is not supported.',
  GPU_NOT_SUPPORTED: 'This GPU is not supported.',
  RENDERER_KILLED_BY_USER: 'The user stopped the render (project blocked).',
  RENDERER_OUT_OF_MEMORY: 'Blender ran out of memory.',
  RENDERER_KILLED_BY_SERVER: 'The farm cancelled the render.',
  RENDERER_KILLED_BY_USER_OVER_TIME: 'The render exceeded the time limit set by the user.',
  RENDERER_CRASHED_PYTHON_ERROR: 'Blender stopped on a Python error.',
  VALIDATION_FAILED: 'Uploading the frame for validation failed.',
  IMAGE_TOO_LARGE: 'The frame is too large or has the wrong size.',
  ENGINE_NOT_AVAILABLE: 'The render engine is not available in this Blender.',
  CURRENTLY_HEADLESS: 'The project needs a display but the machine is headless.',
  DENOISING_NOT_SUPPORTED: 'This Blender build cannot run the requested denoiser.',
  UNKNOWN: 'An unknown error.',
  NO_SPACE_LEFT_ON_DEVICE: 'No space left on the disk (internal).',
  ERROR_BAD_UPLOAD_RESPONSE: 'The farm gave an unusable answer to an upload (internal).',
  PATH_INVALID: 'A configured path is invalid (internal).',
  NO_WRITE_PERMISSION: 'No permission to write a working file (internal).',
  SERVER_DOWN: 'The farm is unreachable (internal).',
  ERROR_BAD_SERVER_RESPONSE: 'The farm gave an unusable answer (internal).',
};

const PAUSE_AFTER_REPORT: ClientReaction = {
  kind: 'retry',
  minMs: ERROR_REPORT_PAUSE_MS,
  maxMs: ERROR_REPORT_PAUSE_MS,
};

function errorReaction(type: number): ClientReaction {
  return ERROR_TYPES_WITHOUT_PAUSE.has(type) ? PROCEED : PAUSE_AFTER_REPORT;
}

/** Error types (client → farm `type`). The reaction is what follows the report: go on, or pause 5 minutes. */
export const ERROR_TYPES = table(
  (Object.entries(ErrorType) as [keyof typeof ErrorType, number][]).map(([name, type]) =>
    code(type, name, ERROR_EXPLANATIONS[name], errorReaction(type)),
  ),
);

export const configStatus = lookup(CONFIG_STATUSES, STOP);
export const jobRequestStatus = lookup(JOB_REQUEST_STATUSES, REPORT);
export const validationStatus = lookup(VALIDATION_STATUSES, RETRY_UPLOAD);
export const keepAliveStatus = lookup(KEEPALIVE_STATUSES, PROCEED);
export const errorType = lookup(ERROR_TYPES, PAUSE_AFTER_REPORT);
