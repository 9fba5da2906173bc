import type { FaultSpec } from '../faults';

/** The protocol status a `status` fault forces for this request, if one fired. */
export function forcedStatus(faults: readonly FaultSpec[]): number | undefined {
  for (const fault of faults) if (fault.kind === 'status') return fault.status;
  return undefined;
}
