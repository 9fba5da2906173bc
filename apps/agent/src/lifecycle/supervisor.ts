import { type Supervisor, SupervisorSchema } from '@flock/protocol';

/**
 * What starts this agent again when it exits with code 75, from FLOCK_SUPERVISOR: the installer's
 * systemd unit, LaunchAgent and Scheduled Task set it, and so does `npm start`'s fleet runner. Null
 * when it is unset or unknown: restart and update are then refused.
 */
export function supervisorOf(env: NodeJS.ProcessEnv = process.env): Supervisor | null {
  const parsed = SupervisorSchema.safeParse(env.FLOCK_SUPERVISOR);
  return parsed.success ? parsed.data : null;
}
