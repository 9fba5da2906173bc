import { isStopReason, type StopReason } from '@flock/protocol';
import type { Controls } from '../controls/index.js';

/** Stops a job from outside: its signal carries the reason, which decides what gets reported. */
export function stopJob(job: AbortController, reason: StopReason): void {
  job.abort(reason);
}

/** Why a job's signal was aborted (stopJob); an abort without a reason counts as the user's stop. */
export function stopReasonOf(signal: AbortSignal): StopReason {
  return isStopReason(signal.reason) ? signal.reason : 'stop-now';
}

/**
 * A signal that aborts once the user asks the agent to stop, whether after the frame or now: what
 * runs before a frame (the login, the speed test, the first report) is never worth finishing then.
 * `dispose` detaches it from the controls.
 */
export function abortOnStop(controls: Controls): { signal: AbortSignal; dispose: () => void } {
  const stop = new AbortController();
  const check = () => {
    if (controls.stopRequested) stop.abort();
  };
  controls.on('change', check);
  check();
  return { signal: stop.signal, dispose: () => controls.off('change', check) };
}
