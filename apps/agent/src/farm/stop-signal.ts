import type { Controls } from '../controls/index.js';

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
