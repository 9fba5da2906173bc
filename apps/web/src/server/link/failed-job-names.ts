import type { AgentEvent, AgentState } from '@flock/protocol';

/**
 * A failed job's error names its project and frame. An older agent's names only the job: the console
 * takes them from the machine's live state while that still shows the same job (the error is sent as
 * the job fails, before the state that drops the job).
 */
export function withFailedJobNamed(event: AgentEvent, state: AgentState | null | undefined): AgentEvent {
  if (event.kind !== 'error' || event.jobId === null || event.project !== undefined) return event;
  const job = state?.job;
  if (!job || job.id !== event.jobId) return event;
  return { ...event, project: job.project, frame: job.frame };
}
