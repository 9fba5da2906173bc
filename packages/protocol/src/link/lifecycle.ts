import { z } from 'zod';
import { AgentVersionIdSchema, AgentVersionSchema } from './install';

// What an agent says about its own life: the build it runs, whether something restarts it, and
// how its last update went. The console's restart, update and roll-out read it.

const epochMs = z.number().int().nonnegative();

/**
 * The code of the error event an agent sends when it starts after a run that ended without shutting
 * down (a crash, a kill, a power cut); its log excerpt is that run's last lines.
 */
export const AGENT_CRASHED = 'AGENT_CRASHED';

/** What starts the agent again when it exits with code 75; the installer's services and `npm start`. */
export const SupervisorSchema = z.enum(['systemd', 'launchd', 'schtasks', 'fleet']);
export type Supervisor = z.infer<typeof SupervisorSchema>;

/**
 * The last update an agent took part in, as it saw it:
 * `downloading` → `restarting` (stored as the version on trial) → `confirmed` (the new version
 * reached the console) or `rolled-back` (the launcher went back: `message` says why); `failed` when
 * it never got as far as a restart (download, SHA-256, disk).
 */
export const UpdateOutcomeSchema = z.object({
  kind: z.enum(['downloading', 'restarting', 'failed', 'confirmed', 'rolled-back']),
  /** The version id the update is about. */
  versionId: AgentVersionIdSchema,
  at: epochMs,
  message: z.string().max(500).optional(),
});
export type UpdateOutcome = z.infer<typeof UpdateOutcomeSchema>;

export const AgentLifecycleSchema = z.object({
  /** The agent's version, e.g. `0.1.0`. */
  version: AgentVersionSchema,
  /** The installed build it runs; null when not started by an installed launcher (a clone). */
  versionId: AgentVersionIdSchema.nullable(),
  /** null: nothing restarts it, so it refuses `restart` and `update`. */
  supervisor: SupervisorSchema.nullable(),
  update: UpdateOutcomeSchema.nullable(),
});
export type AgentLifecycle = z.infer<typeof AgentLifecycleSchema>;
