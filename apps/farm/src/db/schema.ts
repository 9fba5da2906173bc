import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Farm accounts. `publicKey` is the render key the farm hands out at login; it works as a password. */
export const accounts = sqliteTable('accounts', {
  login: text().primaryKey(),
  password: text().notNull(),
  publicKey: text('public_key').notNull(),
  credits: integer().notNull().default(0),
});

export const projects = sqliteTable('projects', {
  id: integer().primaryKey({ autoIncrement: true }),
  name: text().notNull(),
  /** 'blender' renders with the machine's Blender; 'synthetic' with the built-in fake renderer. */
  renderer: text().$type<RendererKind>().notNull(),
  /** Path of the .blend inside the project archive, `/`-separated. */
  blendPath: text('blend_path').notNull(),
  archiveFile: text('archive_file').notNull(),
  archiveMd5: text('archive_md5').notNull(),
  archivePassword: text('archive_password').notNull(),
  encryption: text().$type<ArchiveEncryption>().notNull(),
  engine: text().notNull(),
  width: integer().notNull(),
  height: integer().notNull(),
  samples: integer().notNull(),
  frameStart: integer('frame_start').notNull(),
  frameEnd: integer('frame_end').notNull(),
  state: text().$type<ProjectState>().notNull().default('active'),
  createdAt: integer('created_at').notNull(),
  /** When no frame of another project waits, this project's longest-done frame is rendered again. */
  repeat: integer({ mode: 'boolean' }).notNull().default(false),
});

export const frames = sqliteTable(
  'frames',
  {
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    number: integer().notNull(),
    state: text().$type<FrameState>().notNull().default('waiting'),
    /** The job currently rendering this frame, or the job that completed it. */
    jobId: integer('job_id'),
    /** Uploads of the current job that were refused as broken (302/303); re-queued at 3. */
    failedUploads: integer('failed_uploads').notNull().default(0),
    imageFile: text('image_file'),
    doneBy: text('done_by'),
    doneAt: integer('done_at'),
    renderTimeSeconds: integer('render_time_seconds'),
  },
  (table) => [
    primaryKey({ columns: [table.projectId, table.number] }),
    // The queue in hand-out order: the next waiting frame is its first entry, whatever the frame count.
    index('frames_queue').on(table.state, table.projectId, table.number),
  ],
);

/** One hand-out of one frame to one session. Job ids start at FIRST_JOB_ID, clear of the test frames' ids. */
export const jobs = sqliteTable(
  'jobs',
  {
    id: integer().primaryKey(),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    frame: integer().notNull(),
    sessionId: text('session_id').notNull(),
    state: text().$type<JobState>().notNull().default('assigned'),
    createdAt: integer('created_at').notNull(),
    endedAt: integer('ended_at'),
    endReason: text('end_reason'),
  },
  (table) => [index('jobs_session_state').on(table.sessionId, table.state)],
);

export const sessions = sqliteTable('sessions', {
  id: text().primaryKey(),
  login: text().notNull(),
  state: text().$type<SessionState>().notNull().default('alive'),
  createdAt: integer('created_at').notNull(),
  lastSeenAt: integer('last_seen_at').notNull(),
  endedAt: integer('ended_at'),
  hostname: text(),
  os: text().notNull(),
  clientVersion: text('client_version').notNull(),
  cpuModelName: text('cpu_model_name').notNull(),
  cpuCores: integer('cpu_cores').notNull(),
  ramKiB: integer('ram_kib').notNull(),
  paused: integer({ mode: 'boolean' }).notNull().default(false),
  creditsSession: integer('credits_session').notNull().default(0),
  /** JSON of the last `speedtest-answer` results. */
  speedtest: text(),
});

/**
 * Projects a session must not be offered again: the user blocked them (error report type 20, the
 * official client's "Block this project"). Per session, as the block lives in the client's memory.
 */
export const sessionBlocks = sqliteTable(
  'session_blocks',
  {
    sessionId: text('session_id').notNull(),
    projectId: integer('project_id')
      .notNull()
      .references(() => projects.id),
    createdAt: integer('created_at').notNull(),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.projectId] })],
);

export const errorReports = sqliteTable('error_reports', {
  id: integer().primaryKey({ autoIncrement: true }),
  sessionId: text('session_id'),
  login: text(),
  jobId: integer('job_id'),
  frame: text(),
  type: integer(),
  renderTimeSeconds: integer('render_time_seconds'),
  memoryUsedKiB: integer('memory_used_kib'),
  log: text().notNull(),
  createdAt: integer('created_at').notNull(),
});

/**
 * What each job request asked for (its parameters as read off the wire) and what it got: tests and
 * the curious can check that a client's limits (cores, memory, compute method, GPU) reach the farm.
 */
export const jobRequests = sqliteTable('job_requests', {
  id: integer().primaryKey({ autoIncrement: true }),
  sessionId: text('session_id').notNull(),
  login: text().notNull(),
  /** The wire code: 0 = CPU or GPU, 1 = CPU only, 2 = GPU only (computeMethodName). */
  computeMethod: integer('compute_method').notNull(),
  cores: integer(),
  memoryKiB: integer('ram_max_kib').notNull(),
  maxFrameTimeSeconds: integer('rendertime_max_seconds').notNull(),
  /** `{ type, model, ramBytes }` when the client offered a GPU. */
  gpu: text({ mode: 'json' }).$type<{ type: string; model: string; ramBytes: number }>(),
  /** The answer's status, and the job handed out (if any). */
  status: integer().notNull(),
  jobId: integer('job_id'),
  createdAt: integer('created_at').notNull(),
});

export type RendererKind = 'blender' | 'synthetic';
export type ArchiveEncryption = 'zipcrypto' | 'aes';
export type ProjectState = 'active' | 'cancelled';
export type FrameState = 'waiting' | 'rendering' | 'done';
export type JobState = 'assigned' | 'validated' | 'failed' | 'requeued' | 'cancelled';
export type SessionState = 'alive' | 'dead' | 'logged-out';

export type AccountRow = typeof accounts.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;
export type FrameRow = typeof frames.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type ErrorReportRow = typeof errorReports.$inferSelect;
export type JobRequestRow = typeof jobRequests.$inferSelect;
