import { integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The fleet's history, kept apart from the raw `frames` and `events` (deleted after 30 days): roll-ups
 * per hour (kept 90 days) and per day (kept for years), per machine and project. None of these tables
 * references `machines`, so a removed machine's history stays. Machines and projects are numbered in
 * their own tables so that each roll-up row holds integers only (small rows, small database).
 */

/** A machine as history knows it: the console's id, and its name (kept after the machine is removed). */
export const historyMachines = sqliteTable('history_machines', {
  key: integer('key').primaryKey({ autoIncrement: true }),
  machineId: text('machine_id').notNull().unique(),
  name: text('name').notNull(),
});

/** A project name as history knows it. Key 0 is no project: a machine's errors and connected time. */
export const historyProjects = sqliteTable('history_projects', {
  key: integer('key').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
});

const rollUpColumns = {
  /** Epoch ms of the bucket's start (a UTC hour, day or month). */
  bucket: integer('bucket').notNull(),
  machine: integer('machine').notNull(),
  /** A `history_projects` key; 0 for what belongs to no project (errors, connected time). */
  project: integer('project').notNull(),
  frames: integer('frames').notNull().default(0),
  credits: real('credits').notNull().default(0),
  renderTimeMs: integer('render_time_ms').notNull().default(0),
  errors: integer('errors').notNull().default(0),
  /** Time the machine's agent was connected to the console within the bucket. */
  onlineMs: integer('online_ms').notNull().default(0),
};

// Every query names one machine key (the fleet's is 0) and a range of buckets: the primary key, in that
// order, is the only index (tables WITHOUT ROWID in SQLite, see the migration).
export const historyHourly = sqliteTable('history_hourly', rollUpColumns, (t) => [
  primaryKey({ columns: [t.machine, t.bucket, t.project] }),
]);

export const historyDaily = sqliteTable('history_daily', rollUpColumns, (t) => [
  primaryKey({ columns: [t.machine, t.bucket, t.project] }),
]);

/**
 * The fleet's sums per project and UTC month (machine key 0, projects only: no errors or connected
 * time), kept for years like the days: the project shares of a long range read its whole months here
 * (12 rows a project for a year instead of 365).
 */
export const historyMonthly = sqliteTable('history_monthly', rollUpColumns, (t) => [
  primaryKey({ columns: [t.machine, t.bucket, t.project] }),
]);
