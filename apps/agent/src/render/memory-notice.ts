import type { RenderEvent } from './types.js';

/**
 * A listener for every render's events that warns once per agent process when Blender's memory
 * cannot be measured on this machine: the memory limit is then not enforced, which must never be
 * silent, but one line is enough (every render would say the same).
 */
export function memoryNoticeOnce(warn: (message: string) => void): (event: RenderEvent) => void {
  let warned = false;
  return (event) => {
    if (event.type !== 'memory-unavailable' || warned) return;
    warned = true;
    warn(`${event.reason}; the memory limit (--memory) is not enforced and no render memory is shown`);
  };
}
