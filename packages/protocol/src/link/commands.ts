import { z } from 'zod';
import { RULE_BOUNDS, RulesSchema } from '../rules/schema';
import { AgentVersionSchema, Sha256Schema } from './install';
import { ArchiveMd5Schema, LimitsSchema } from './state';

// The control commands the console can send; the same set the agent's internal command API accepts.

const WhenSchema = z.enum(['after-frame', 'now']);

export const ControlCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pause'), when: WhenSchema }),
  z.object({ type: z.literal('resume') }),
  /**
   * From the console: stop rendering (finish or cut the frame, its uploads, log out) and wait, still
   * linked, for `start`. From the agent's own machine (Ctrl-C, `flock-agent stop`): end the process.
   */
  z.object({ type: z.literal('stop'), when: WhenSchema }),
  /** Render again after the console's `stop`. */
  z.object({ type: z.literal('start') }),
  /** Finish the frame and its upload, log out and exit with code 75 for its supervisor to restart. */
  z.object({ type: z.literal('restart') }),
  /**
   * Download this build from the console (`agentBuildPath(sha256, 'flock-agent.mjs')`), check its
   * SHA-256, store it as the version on trial, then restart as `restart` does.
   */
  z.object({ type: z.literal('update'), version: AgentVersionSchema, sha256: Sha256Schema }),
  /** Kill the current job, report it as type 20 and never take that project again on this machine. */
  z.object({ type: z.literal('block-project') }),
  /** Take a project blocked on this machine again. */
  z.object({ type: z.literal('unblock-project'), archiveMd5: ArchiveMd5Schema }),
  /** End a back-off or wait now and ask the farm again (a job request, or the refused login). */
  z.object({ type: z.literal('retry-now') }),
  /** Change some limits; keys that are absent stay as they are. */
  z.object({
    type: z.literal('set-limits'),
    limits: LimitsSchema.partial().refine((l) => Object.keys(l).length > 0, 'at least one limit'),
  }),
  /** Replace the console's rules whole (the owner's own rules on the machine stay); `[]` removes them. */
  z.object({ type: z.literal('set-rules'), rules: RulesSchema }),
  /** Ignore every rule for this many minutes from now (the agent's clock); 0 ends a snooze. */
  z.object({
    type: z.literal('snooze-rules'),
    minutes: z.number().int().min(RULE_BOUNDS.snoozeMinutes.min).max(RULE_BOUNDS.snoozeMinutes.max),
  }),
]);
export type ControlCommand = z.infer<typeof ControlCommandSchema>;
export type ControlCommandType = ControlCommand['type'];

/** Why a command was not applied. */
export const RejectionReasonSchema = z.enum([
  'stale', // issued too long ago: the user's intent may no longer hold
  'malformed', // did not pass the schema
  'invalid', // well-formed but the agent cannot apply it (e.g. an unknown GPU id)
  'unsupported', // the agent does not implement this command
  'failed', // applying it threw
]);
export type RejectionReason = z.infer<typeof RejectionReasonSchema>;

export const CommandResultSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    message: z.string().max(1000).optional(),
    /** Nothing to do (a resume on a machine that is not paused): `message` says why. */
    unchanged: z.literal(true).optional(),
  }),
  z.object({ ok: z.literal(false), reason: RejectionReasonSchema, message: z.string().max(1000) }),
]);
export type CommandResult = z.infer<typeof CommandResultSchema>;
