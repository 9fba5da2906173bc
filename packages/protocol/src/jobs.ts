// Facts about jobs that both sides of the protocol rely on.

/**
 * Job ids below this are the farm's test frames: the official client's compute-method check (id 1)
 * and its power-detection frames (2–19). No frame-time limit applies to them, so a farm handing out
 * real work starts its ids at this or above.
 */
export const FIRST_REAL_JOB_ID = 20;

/** Whether a job is one of the farm's test frames (job ids are decimal, checked where parsed). */
export function isTestFrame(jobId: string): boolean {
  return Number(jobId) < FIRST_REAL_JOB_ID;
}

/**
 * A session holds at most this many frames the farm has not validated yet (the official client:
 * "the server doesn't allocate more than 3 concurrent jobs to a single session"). A client asks for
 * no job while it has this many outstanding; a farm answers "no job" to one that does.
 */
export const MAX_OUTSTANDING_FRAMES = 3;
