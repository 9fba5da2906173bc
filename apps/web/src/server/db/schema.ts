import type {
  AgentEvent,
  AgentState,
  CommandResult,
  ControlCommand,
  Hello,
  Limits,
  NotRenderingReason,
  Rule,
} from '@flock/protocol';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { ROLES } from '../../lib/roles';
import { historyMachines, historyProjects } from '../history/schema';
import { phaseSpansColumn } from './phase-spans';

// Portable on purpose: only text, integer and real columns, times as epoch milliseconds, JSON as
// text, no SQLite-only SQL anywhere in the app. A Postgres schema is the same table list with
// pg-core builders; the repository (repo.ts) is the only code that touches tables.

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  username: text('username').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  /** What the user may do (lib/roles.ts); there is always at least one admin. */
  role: text('role', { enum: ROLES }).notNull().default('operator'),
  createdAt: integer('created_at').notNull(),
});

export const sessions = sqliteTable(
  'sessions',
  {
    /** SHA-256 of the cookie token: a stolen database does not yield live sessions. */
    tokenHash: text('token_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('sessions_user').on(t.userId)],
);

export const pairingCodes = sqliteTable('pairing_codes', {
  codeHash: text('code_hash').primaryKey(),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
  machineId: text('machine_id'),
});

export const machines = sqliteTable(
  'machines',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** SHA-256 of the agent secret; null once revoked. */
    secretHash: text('secret_hash'),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
    lastSeenAt: integer('last_seen_at'),
    hello: text('hello', { mode: 'json' }).$type<Hello>(),
    lastState: text('last_state', { mode: 'json' }).$type<AgentState>(),
    /** The agent's pseudonymous hardware id, from its first hello: the same machine paired again has the same. */
    hwid: text('hwid'),
  },
  (t) => [index('machines_hwid').on(t.hwid)],
);

/**
 * The tags set on a machine from the console (lib/tags.ts says what a tag may be), for filters and
 * bulk actions; one row per machine and tag, gone with the machine.
 */
export const machineTags = sqliteTable(
  'machine_tags',
  {
    machineId: text('machine_id')
      .notNull()
      .references(() => machines.id, { onDelete: 'cascade' }),
    tag: text('tag').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.machineId, t.tag] }), index('machine_tags_tag').on(t.tag)],
);

/** Limits and rules the console wants a machine to run with; re-applied when it reconnects. */
export const desiredConfig = sqliteTable('desired_config', {
  machineId: text('machine_id')
    .primaryKey()
    .references(() => machines.id, { onDelete: 'cascade' }),
  limits: text('limits', { mode: 'json' }).$type<Partial<Limits>>().notNull(),
  /** The console's rules last sent (a profile's with the machine's overrides); null: none sent yet. */
  rules: text('rules', { mode: 'json' }).$type<Rule[]>(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * The events agents sent, whole (an error keeps its log excerpt), except `frame-done` and
 * `frame-credits`: their data is the `frames` rows, stored once there. Kept 30 days (sweeper.ts).
 */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    machineId: text('machine_id')
      .notNull()
      .references(() => machines.id, { onDelete: 'cascade' }),
    /** (bootId, seq) identify an event across replays (see `eventOrigins`). */
    bootId: text('boot_id').notNull(),
    seq: integer('seq').notNull(),
    kind: text('kind').notNull(),
    at: integer('at').notNull(),
    payload: text('payload', { mode: 'json' }).$type<AgentEvent>().notNull(),
  },
  (t) => [
    uniqueIndex('events_origin').on(t.machineId, t.bootId, t.seq),
    index('events_machine_at').on(t.machineId, t.at),
  ],
);

/**
 * The newest event stored of each (machine, boot): an event whose seq is not past it is a replay and is
 * not stored again. Agents send a boot's events in seq order and the console acknowledges them
 * cumulatively (an ack of seq n covers every earlier one), so the newest seq is all a replay needs.
 * Frame events have no `events` row (their data is in `frames`), so this is their only trace. `at` is
 * that event's time: a boot's row goes with the raw rows, 30 days on (sweeper.ts).
 */
export const eventOrigins = sqliteTable(
  'event_origins',
  {
    machineId: text('machine_id')
      .notNull()
      .references(() => machines.id, { onDelete: 'cascade' }),
    bootId: text('boot_id').notNull(),
    seq: integer('seq').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.machineId, t.bootId] })],
);

/**
 * Delivered frames, kept 30 days (sweeper.ts). A frame names its machine by the history's integer key
 * (`history_machines`, which keeps removed machines and their names) rather than the machine's
 * 36-character id: 8 bytes instead of 37 in every row and in the per-machine index, which is also how
 * every reader finds its rows (per machine, or per machine over `history_machines` for the fleet).
 */
export const frames = sqliteTable(
  'frames',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    machine: integer('machine')
      .notNull()
      .references(() => historyMachines.key),
    jobId: text('job_id').notNull(),
    /** The project's history key (`history_projects`): a few bytes instead of its name in every row. */
    project: integer('project')
      .notNull()
      .references(() => historyProjects.key),
    frame: integer('frame').notNull(),
    renderTimeMs: integer('render_time_ms').notNull(),
    credits: real('credits'),
    finishedAt: integer('finished_at').notNull(),
    /** The job's phases (download to upload) on the agent's clock; null from agents that do not say. */
    phases: phaseSpansColumn('phases'),
  },
  (t) => [index('frames_machine_finished').on(t.machine, t.finishedAt)],
);

/**
 * The thumbnails of each machine's newest frames (a data: URL each), apart from `frames` so that a
 * frame's row keeps its size when its thumbnail is dropped: a row that shrank would leave its page part
 * empty for good, since new frames are appended at the table's end.
 */
export const frameThumbnails = sqliteTable(
  'frame_thumbnails',
  {
    frameId: integer('frame_id')
      .primaryKey()
      .references(() => frames.id, { onDelete: 'cascade' }),
    machineId: text('machine_id')
      .notNull()
      .references(() => machines.id, { onDelete: 'cascade' }),
    thumbnail: text('thumbnail').notNull(),
  },
  (t) => [index('frame_thumbnails_machine').on(t.machineId, t.frameId)],
);

/**
 * When a linked machine was not working on a frame, and why: one row per stretch of the same status
 * and reason the console saw in its state (times on the agent's clock, like the frames' phases), and
 * `offline` for a link that dropped until it came back. `ended_at` is null while the stretch goes on.
 * Time the console did not see (it was not running) has no row. Kept 30 days (sweeper.ts).
 */
export const idleSpans = sqliteTable(
  'idle_spans',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    machineId: text('machine_id')
      .notNull()
      .references(() => machines.id, { onDelete: 'cascade' }),
    startedAt: integer('started_at').notNull(),
    endedAt: integer('ended_at'),
    /** The agent's status, or `offline`. */
    status: text('status').notNull(),
    reason: text('reason', { mode: 'json' }).$type<NotRenderingReason>(),
  },
  (t) => [
    index('idle_spans_machine_started').on(t.machineId, t.startedAt),
    index('idle_spans_ended').on(t.endedAt),
  ],
);

export const commands = sqliteTable(
  'commands',
  {
    id: text('id').primaryKey(),
    machineId: text('machine_id')
      .notNull()
      .references(() => machines.id, { onDelete: 'cascade' }),
    issuedAt: integer('issued_at').notNull(),
    command: text('command', { mode: 'json' }).$type<ControlCommand>().notNull(),
    ackedAt: integer('acked_at'),
    result: text('result', { mode: 'json' }).$type<CommandResult>(),
  },
  (t) => [index('commands_machine').on(t.machineId, t.issuedAt)],
);

/**
 * Settings the console holds for the whole fleet, one row per key, the value as JSON (e.g.
 * `client-version`, `blocked-projects`); pushed to every agent over the link. A new fleet-wide
 * setting is a new key, not a migration. The farm account is kept here too (`farm-account`, and a
 * machine's own as `farm-account:<machine id>`), its render key sealed (farm-account/secret-box.ts).
 */
export const fleetSettings = sqliteTable('fleet_settings', {
  key: text('key').primaryKey(),
  value: text('value', { mode: 'json' }).$type<unknown>().notNull(),
  updatedAt: integer('updated_at').notNull(),
  /** The console user who changed it last. */
  updatedBy: text('updated_by'),
});

/**
 * One row per alert incident that fired: opened once, resolved once (`resolved_at`), acknowledged by a
 * console user. `evidence` holds what was known when it fired (last log lines, project, crash text).
 */
export const alerts = sqliteTable(
  'alerts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    machineId: text('machine_id')
      .notNull()
      .references(() => machines.id, { onDelete: 'cascade' }),
    rule: text('rule').notNull(),
    title: text('title').notNull(),
    detail: text('detail').notNull(),
    evidence: text('evidence', { mode: 'json' }).$type<unknown>().notNull(),
    firedAt: integer('fired_at').notNull(),
    resolvedAt: integer('resolved_at'),
    acknowledgedAt: integer('acknowledged_at'),
    acknowledgedBy: text('acknowledged_by'),
  },
  (t) => [index('alerts_fired').on(t.firedAt), index('alerts_open').on(t.resolvedAt)],
);

/**
 * Who did what, when, with what outcome: one row per accepted console mutation (audit/trail.ts). The
 * user's name is kept as it was, so a removed user's entries still say who it was; parameters never
 * hold a password or a render key. Kept 1 year, at most 100 000 rows.
 */
export const auditEntries = sqliteTable(
  'audit_entries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    userId: integer('user_id'),
    username: text('username').notNull(),
    /** The tRPC procedure path, e.g. `fleet.command`. */
    action: text('action').notNull(),
    params: text('params', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** `ok` or `failed`; `detail` says how (per-machine command outcomes, the error message). */
    outcome: text('outcome', { enum: ['ok', 'failed'] }).notNull(),
    detail: text('detail'),
  },
  (t) => [index('audit_entries_at').on(t.at), index('audit_entries_user').on(t.username, t.at)],
);

/** The machines an audit entry acted on, with their names at the time. */
export const auditMachines = sqliteTable(
  'audit_machines',
  {
    entryId: integer('entry_id')
      .notNull()
      .references(() => auditEntries.id, { onDelete: 'cascade' }),
    machineId: text('machine_id').notNull(),
    machineName: text('machine_name'),
  },
  (t) => [
    index('audit_machines_machine').on(t.machineId, t.entryId),
    index('audit_machines_entry').on(t.entryId),
  ],
);

export * from '../history/schema';
export * from '../profiles/schema';
