import { z } from 'zod';
import { httpUrlProblem } from '../farm-values';
import { STOPS_ON_PURPOSE } from '../stop-reasons';
import { CommandResultSchema, ControlCommandSchema } from './commands';
import { FarmAccountSchema, FarmAccountWithheldReasonSchema } from './farm-account';
import { JobPhaseSpansSchema } from './job-phases';
import { MachineNameSchema } from './pairing';
import {
  AgentStatePatchSchema,
  AgentStateSchema,
  ArchiveMd5Schema,
  FrameDeviceSchema,
  LogLineSchema,
  MAX_BLOCKED_PROJECTS,
  MachineInfoSchema,
} from './state';
import { ThumbnailSchema } from './thumbnail';

/** Bumped on any incompatible change; both sides refuse a peer with another major version. */
export const LINK_PROTOCOL_VERSION = 1;

/** The path the console accepts agent WebSockets on. */
export const LINK_PATH = '/link';

/** Largest frame either side accepts, in characters (thumbnails dominate). */
export const LINK_MAX_MESSAGE_CHARS = 512 * 1024;

const epochMs = z.number().int().nonnegative();
const id = z.string().min(1).max(100);

/** The most frames one `frame-credits` event names (a farm silent for longer leaves the oldest out). */
export const MAX_FRAMES_PER_CREDIT_REPORT = 100;

export const AgentEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('frame-done'),
    jobId: id,
    project: z.string().max(300),
    frame: z.number().int(),
    renderTimeMs: z.number().int().nonnegative(),
    credits: z.number().nonnegative().nullable(),
    thumbnail: ThumbnailSchema.nullable(),
    /** The job's phases, the upload last (the event is sent once the farm took the frame); older agents leave it out. */
    phases: JobPhaseSpansSchema.optional(),
    /** The device that rendered the frame, as Blender's output said; left out when unknown and by older agents. */
    device: FrameDeviceSchema.optional(),
  }),
  z.object({
    kind: z.literal('error'),
    jobId: id.nullable(),
    /** A short stable label, e.g. the farm's error type name. */
    code: z.string().max(100),
    message: z.string().max(2000),
    logExcerpt: z.string().max(64 * 1024),
    /** The failed job's project and frame; left out for errors outside a job and by older agents. */
    project: z.string().max(300).optional(),
    frame: z.number().int().optional(),
    /** The failed job's phases up to the failure; left out for errors outside a job and by older agents. */
    phases: JobPhaseSpansSchema.optional(),
  }),
  /**
   * A job stopped on purpose before its frame was done: by the user (pause now, stop now, block the
   * project) or by the farm (it cancelled the job). Not an error: nothing went wrong.
   */
  z.object({
    kind: z.literal('job-stopped'),
    jobId: id,
    project: z.string().max(300),
    frame: z.number().int(),
    by: z.enum(STOPS_ON_PURPOSE),
    /** The job's phases up to the stop; left out by older agents. */
    phases: JobPhaseSpansSchema.optional(),
  }),
  /**
   * Credits the farm granted for frames delivered earlier (`frame-done`). The farm reports only the
   * session's total, on each job-request answer: what it gained since its previous report is shared by
   * the frames delivered in between.
   */
  z.object({
    kind: z.literal('frame-credits'),
    frames: z
      .array(z.object({ jobId: id, credits: z.number().nonnegative() }))
      .min(1)
      .max(MAX_FRAMES_PER_CREDIT_REPORT),
  }),
]);
export type AgentEvent = z.infer<typeof AgentEventSchema>;

// ---- agent → console ----

export const HelloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int().positive(),
  machineId: id,
  agentVersion: z.string().max(100),
  /** Random per agent process: lets the console tell a restart from a reconnect. */
  bootId: id,
  machine: MachineInfoSchema,
  /** The pseudonymous hardware id the farm also gets: the same machine paired again has the same. */
  hwid: z.string().min(1).max(100).optional(),
});

export const AgentToConsoleSchema = z.discriminatedUnion('type', [
  HelloSchema,
  z.object({ type: z.literal('snapshot'), at: epochMs, state: AgentStateSchema }),
  z.object({ type: z.literal('patch'), at: epochMs, changes: AgentStatePatchSchema }),
  /**
   * `seq` rises by one per event of a boot; the console acknowledges it with `events-ack`. `bootId`:
   * the boot that created the event, when an earlier one (kept on disk across a restart); absent, the
   * boot of this connection's hello. The console stores an event once per (machine, bootId, seq).
   */
  z.object({
    type: z.literal('event'),
    seq: z.number().int().nonnegative(),
    at: epochMs,
    event: AgentEventSchema,
    bootId: id.optional(),
  }),
  z.object({ type: z.literal('ack'), commandId: id, result: CommandResultSchema }),
  z.object({ type: z.literal('logs'), requestId: id, lines: z.array(LogLineSchema).max(5000) }),
  z.object({ type: z.literal('heartbeat'), at: epochMs }),
]);
export type AgentToConsole = z.infer<typeof AgentToConsoleSchema>;
export type Hello = z.infer<typeof HelloSchema>;

// ---- console → agent ----

/** A client version as the farm's login takes it, e.g. `7.24086.0`. */
export const ClientVersionSchema = z
  .string()
  .trim()
  .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,49}$/, 'letters, digits and . + _ - only, at most 50');

/** The longest farm server address the console stores and sends. */
export const MAX_FARM_SERVER_CHARS = 2000;

/** A farm server address: an absolute http(s) URL without a user name or password in it. */
export const FarmServerUrlSchema = z
  .string()
  .trim()
  .max(MAX_FARM_SERVER_CHARS)
  .superRefine((value, context) => {
    const problem = httpUrlProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: `not a farm server address: ${problem}` });
  });

/** A project the console blocked for every machine. */
export const FleetBlockSchema = z.object({
  archiveMd5: ArchiveMd5Schema,
  name: z.string().max(300),
  blockedAt: epochMs,
});
export type FleetBlock = z.infer<typeof FleetBlockSchema>;

/**
 * Settings the console holds for the whole fleet, sent to each agent after `welcome` and again on
 * every change (whole, not as a patch). More fleet-wide settings are added here the same way.
 */
export const FleetSettingsSchema = z.object({
  /** Sent at login instead of the agent's own version; null: each agent's own (`--client-version`). */
  clientVersion: ClientVersionSchema.nullable(),
  /**
   * The farm to log in to instead of the public SheepIt farm, for agents without a server of their
   * own (`--server`); null: the public farm. An older console sends none: null.
   */
  farmServer: FarmServerUrlSchema.nullable().default(null),
  blockedProjects: z.array(FleetBlockSchema).max(MAX_BLOCKED_PROJECTS),
});
export type FleetSettings = z.infer<typeof FleetSettingsSchema>;

export const CommandMessageSchema = z.object({
  type: z.literal('command'),
  id,
  /** Console clock, epoch ms; the agent corrects for skew with `welcome.serverTime`. */
  issuedAt: epochMs,
  command: ControlCommandSchema,
});
export type CommandMessage = z.infer<typeof CommandMessageSchema>;

export const ConsoleToAgentSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    protocol: z.number().int().positive(),
    machineId: id,
    serverTime: epochMs,
    heartbeatMs: z.number().int().positive(),
    commandMaxAgeMs: z.number().int().positive(),
  }),
  CommandMessageSchema,
  z.object({
    type: z.literal('request-logs'),
    requestId: id,
    limit: z.number().int().positive().max(5000),
    search: z.string().max(200).optional(),
  }),
  /** Every event of `bootId` up to and including `seq` is stored; the agent may forget them. */
  z.object({ type: z.literal('events-ack'), bootId: id, seq: z.number().int().nonnegative() }),
  z.object({ type: z.literal('heartbeat'), at: epochMs }),
  z.object({ type: z.literal('fleet-settings'), settings: FleetSettingsSchema }),
  /**
   * The farm account this machine should use when it has none of its own (null: the console holds
   * none for it), after `welcome` and on every change. Sent only over TLS or loopback.
   */
  z.object({ type: z.literal('farm-account'), account: FarmAccountSchema.nullable() }),
  /** The console holds an account for this machine but will not send it over this link. */
  z.object({ type: z.literal('farm-account-withheld'), reason: FarmAccountWithheldReasonSchema }),
  /** The machine's name in the console, after `welcome` and on every rename: its farm hostname from the next login. */
  z.object({ type: z.literal('machine-name'), name: MachineNameSchema }),
]);
export type ConsoleToAgent = z.infer<typeof ConsoleToAgentSchema>;
