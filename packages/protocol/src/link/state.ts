import { z } from 'zod';
import { RulesStateSchema } from '../rules/schema';
import { FarmAccountSourceSchema } from './farm-account';
import { AgentLifecycleSchema } from './lifecycle';

// The agent's observable state, shared by the agent (which produces it) and the console (which shows
// it). Every field is plain JSON so a snapshot can be stored, diffed and sent as-is.

const count = z.number().int().nonnegative();
const bytes = z.number().int().nonnegative();
const epochMs = z.number().int().nonnegative();

/** A project archive's MD5 (lower-case hex): what identifies a project across its frames and jobs. */
export const ArchiveMd5Schema = z.string().regex(/^[0-9a-f]{32}$/, 'not a lower-case MD5');

export const ComputeMethodNameSchema = z.enum(['cpu', 'gpu', 'cpu_gpu']);
export type ComputeMethodName = z.infer<typeof ComputeMethodNameSchema>;

export const GpuSchema = z.object({
  id: z.string().min(1).max(200),
  model: z.string().max(200),
  vramBytes: bytes.nullable(),
});
export type Gpu = z.infer<typeof GpuSchema>;

/** Hardware and identity facts; sent in `hello` and repeated in every snapshot. */
export const MachineInfoSchema = z.object({
  hostname: z.string().min(1).max(253),
  os: z.string().max(200),
  arch: z.string().max(50),
  cpu: z.object({ model: z.string().max(200), cores: z.number().int().positive() }),
  ramBytes: bytes,
  gpus: z.array(GpuSchema).max(16),
  blender: z.string().max(200).nullable(),
});
export type MachineInfo = z.infer<typeof MachineInfoSchema>;

/**
 * Request-time windows like "mon-fri 18:00-08:00, sat-sun all day". The agent owns the grammar and
 * rejects a spec it cannot parse in its ack; here only the size is bounded.
 */
export const RequestTimeSpecSchema = z.string().trim().min(1).max(300);

/**
 * The bounds of the user's limits, the same on the command line, in the config file and in the
 * console: cores for Blender's `-t`, memory of at least 64 MiB, a longest frame time from a minute
 * to a week, and the nice levels (19 the lowest priority).
 */
export const LIMIT_BOUNDS = Object.freeze({
  cores: { min: 1, max: 4096 },
  memoryBytes: { min: 64 * 1024 ** 2 },
  maxFrameTimeSeconds: { min: 60, max: 7 * 24 * 60 * 60 },
  priority: { min: -20, max: 19 },
});

/** Blender runs at the lowest priority unless the user says otherwise. */
export const DEFAULT_PRIORITY = LIMIT_BOUNDS.priority.max;

const bounded = ({ min, max }: { min: number; max?: number }) =>
  max === undefined ? z.number().int().min(min) : z.number().int().min(min).max(max);

/** User-facing limits, all changeable at runtime. `null` means "no limit / the agent's default". */
export const LimitsSchema = z.object({
  computeMethod: ComputeMethodNameSchema,
  gpu: z.string().min(1).max(200).nullable(),
  cores: bounded(LIMIT_BOUNDS.cores).nullable(),
  memoryBytes: bounded(LIMIT_BOUNDS.memoryBytes).nullable(),
  maxFrameTimeSeconds: bounded(LIMIT_BOUNDS.maxFrameTimeSeconds).nullable(),
  priority: bounded(LIMIT_BOUNDS.priority),
  requestTime: RequestTimeSpecSchema.nullable(),
});
export type Limits = z.infer<typeof LimitsSchema>;
export const LimitNameSchema = LimitsSchema.keyof();
export type LimitName = z.infer<typeof LimitNameSchema>;

export const AgentStatusSchema = z.enum([
  'starting',
  'requesting',
  'downloading',
  'rendering',
  'uploading',
  'idle',
  'paused',
  'stopping',
  'stopped',
  'error',
]);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

/** Why the agent is not rendering right now; `code` is stable for filtering, `message` is for people. */
export const NotRenderingReasonSchema = z.object({
  code: z.enum([
    'paused-by-user',
    'stopping',
    'outside-request-time',
    'server-busy',
    'no-job',
    'no-job-for-hardware',
    'upload-queue-full',
    'project-blocked',
    'session-error',
    'disk-full',
    'max-frames-reached',
    'backing-off',
    /** The farm does not answer (network, timeout, HTTP error): `since` the first failure, `until` the next try. */
    'farm-unreachable',
    /** The farm refused the login (e.g. 101: client version too old); the agent waits for a change. */
    'login-refused',
    /** No farm account yet: none in the agent's settings, none (or not over this link) from the console. */
    'no-farm-account',
    /** The console stopped it: logged out, still linked, it renders again on the console's Start. */
    'stopped-by-user',
    /** An owner rule holds (stop requesting or pause now); `state.rules.active` lists every one. */
    'rule',
    /** The next frame and its upload would not end before the request-time window closes. */
    'window-closing',
    'other',
  ]),
  /** A sentence for people; times are in `since`/`until`, for the reader to show in their own zone. */
  message: z.string().max(500),
  until: epochMs.nullable(),
  /** When the trouble began, for reasons that last (`farm-unreachable`). */
  since: epochMs.optional(),
  /** The raw technical detail behind the sentence (e.g. the HTTP client's error text). */
  detail: z.string().max(500).optional(),
});
export type NotRenderingReason = z.infer<typeof NotRenderingReasonSchema>;

/**
 * Reasons that need someone to look (the farm gone, a refused login, a full disk, a disabled
 * session): an agent idle for one of them reports the status `error`, and the console counts it so.
 */
export const REASONS_IN_ERROR: ReadonlySet<NotRenderingReason['code']> = new Set([
  'farm-unreachable',
  'login-refused',
  'no-farm-account',
  'disk-full',
  'session-error',
]);

export const JobPhaseSchema = z.enum(['download', 'extract', 'prepare', 'render', 'upload']);
export type JobPhase = z.infer<typeof JobPhaseSchema>;

export const CurrentJobSchema = z.object({
  id: z.string().min(1).max(100),
  project: z.string().max(300),
  frame: z.number().int(),
  phase: JobPhaseSchema,
  /** 0..1, or null while the phase reports no progress. */
  progress: z.number().min(0).max(1).nullable(),
  etaSeconds: z.number().nonnegative().nullable(),
  /** The device rendering: the one chosen until Blender's output says which renders. */
  device: z.string().max(200),
  /**
   * The device chosen for the job, only when Blender renders on another one (`device`), e.g. a GPU
   * chosen while Cycles fell back to the CPU. Left out by older agents.
   */
  deviceChosen: z.string().max(200).optional(),
  startedAt: epochMs,
  /** The project's archive MD5: what "block this project" blocks. */
  archiveMd5: ArchiveMd5Schema.optional(),
});
export type CurrentJob = z.infer<typeof CurrentJobSchema>;

/** The device Blender rendered a frame on and, only when it differs, the device chosen for it. */
export const FrameDeviceSchema = z.object({
  used: z.string().min(1).max(200),
  chosen: z.string().min(1).max(200).optional(),
});
export type FrameDevice = z.infer<typeof FrameDeviceSchema>;

/** At most this many blocked projects are kept per scope (machine, fleet); the oldest go first. */
export const MAX_BLOCKED_PROJECTS = 200;

/** A project a machine never renders: blocked on that machine, or by the console for the whole fleet. */
export const BlockedProjectSchema = z.object({
  archiveMd5: ArchiveMd5Schema,
  name: z.string().max(300),
  blockedAt: epochMs,
  scope: z.enum(['machine', 'fleet']),
});
export type BlockedProject = z.infer<typeof BlockedProjectSchema>;

/** A log line carries at most this many fields, keys of at most 40 characters, texts of at most 500. */
export const LOG_FIELD_LIMITS = { count: 16, keyChars: 40, valueChars: 500 } as const;

/** The logger's structured fields of a line (job, frame, project…): what people search the log by. */
export const LogFieldsSchema = z
  .record(
    z.string().min(1).max(LOG_FIELD_LIMITS.keyChars),
    z.union([z.string().max(LOG_FIELD_LIMITS.valueChars), z.number(), z.boolean()]),
  )
  .refine((fields) => Object.keys(fields).length <= LOG_FIELD_LIMITS.count, {
    message: `at most ${LOG_FIELD_LIMITS.count} fields`,
  });
export type LogFields = z.infer<typeof LogFieldsSchema>;

export const LogLineSchema = z.object({
  at: epochMs,
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string().max(4000),
  /** Left out by agents older than structured lines, and when the line has none. */
  fields: LogFieldsSchema.optional(),
});
export type LogLine = z.infer<typeof LogLineSchema>;

/** The file system holding the agent's cache (downloads, projects, frames waiting to upload). */
export const DiskSpaceSchema = z
  .object({ freeBytes: bytes, totalBytes: bytes })
  .refine((disk) => disk.freeBytes <= disk.totalBytes, 'more free space than the disk holds');
export type DiskSpace = z.infer<typeof DiskSpaceSchema>;

export const AgentStateSchema = z.object({
  machine: MachineInfoSchema,
  session: z
    .object({
      server: z.string().max(500),
      login: z.string().max(200),
      connected: z.boolean(),
      startedAt: epochMs,
    })
    .nullable(),
  status: AgentStatusSchema,
  /**
   * What the user asked to happen once the current frame is done: a pause (until resumed) or a stop.
   * While a frame is in progress it has not taken effect yet. Left out by older agents.
   */
  afterFrame: z.enum(['pause', 'stop']).nullable().optional(),
  reason: NotRenderingReasonSchema.nullable(),
  job: CurrentJobSchema.nullable(),
  limits: LimitsSchema,
  /**
   * The limits the machine's owner set on the machine itself (command line, config file): a console
   * profile leaves them as they are and shows the difference. Left out by older agents.
   */
  ownerLimits: z.array(LimitNameSchema).max(LimitNameSchema.options.length).optional(),
  /** Owner rules, what they read and which hold; left out by older agents. */
  rules: RulesStateSchema.optional(),
  /**
   * Live usage, sampled every ~2 s while a job is current (~10 s otherwise). `cpuPercent`: busy CPU of
   * the whole machine (not only the render), in `top` units — 100 per fully busy core, so up to
   * cores × 100. `memoryBytes`: resident memory of the Blender render's process tree while it renders
   * (what the memory limit watches), else the agent process's own.
   */
  usage: z.object({ cpuPercent: z.number().min(0).max(100_000), memoryBytes: bytes }),
  /** The cache's disk, sampled about once a minute; null until measured, left out by older agents. */
  disk: DiskSpaceSchema.nullable().optional(),
  uploads: z.object({ queued: count, inFlight: count }),
  stats: z.object({
    framesRendered: count,
    framesFailed: count,
    creditsSession: z.number().nonnegative(),
    renderTimeMsTotal: count,
  }),
  lastFramePath: z.string().max(4096).nullable(),
  /** The account the agent logs in with and where it comes from; left out by older agents. */
  farmAccount: z
    .object({ source: FarmAccountSourceSchema, login: z.string().max(100).nullable() })
    .optional(),
  /** Its version, what restarts it and its last update; left out by older agents. */
  lifecycle: AgentLifecycleSchema.optional(),
  /** Left out by agents older than project blocking; read as none. */
  blockedProjects: z
    .array(BlockedProjectSchema)
    .max(2 * MAX_BLOCKED_PROJECTS)
    .optional(),
  recentLog: z.array(LogLineSchema).max(200),
});
export type AgentState = z.infer<typeof AgentStateSchema>;

/** A change: the top-level keys of the state that differ, each replaced whole. */
export const AgentStatePatchSchema = AgentStateSchema.partial();
export type AgentStatePatch = z.infer<typeof AgentStatePatchSchema>;
