import type { Limits, Rule } from '@flock/protocol';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { machines } from '../db/schema';

/**
 * Named sets of limits and rules (lib/profiles.ts says what one may hold), edited in the console and
 * sent to the machines that follow them only when an operator applies them.
 */
export const profiles = sqliteTable('profiles', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  limits: text('limits', { mode: 'json' }).$type<Partial<Limits>>().notNull(),
  rules: text('rules', { mode: 'json' }).$type<Rule[]>().notNull(),
  createdAt: integer('created_at').notNull(),
  createdBy: text('created_by').notNull(),
  updatedAt: integer('updated_at').notNull(),
  updatedBy: text('updated_by').notNull(),
});

/**
 * Who follows a profile: a machine (`target` is its id) or every machine with a tag (`target` is the
 * tag). One profile per target; a machine's own assignment beats its tags', and between two tags the
 * most recently assigned wins.
 */
export const profileAssignments = sqliteTable(
  'profile_assignments',
  {
    kind: text('kind', { enum: ['machine', 'tag'] }).notNull(),
    target: text('target').notNull(),
    profileId: integer('profile_id')
      .notNull()
      .references(() => profiles.id, { onDelete: 'cascade' }),
    assignedAt: integer('assigned_at').notNull(),
    assignedBy: text('assigned_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.target] }), index('profile_assignments_profile').on(t.profileId)],
);

/**
 * What one machine runs with differently from its profile: limits that replace the profile's, and
 * rules that replace the profile's rule of the same name or come in addition. Kept across applies.
 */
export const machineOverrides = sqliteTable('machine_overrides', {
  machineId: text('machine_id')
    .primaryKey()
    .references(() => machines.id, { onDelete: 'cascade' }),
  limits: text('limits', { mode: 'json' }).$type<Partial<Limits>>().notNull(),
  rules: text('rules', { mode: 'json' }).$type<Rule[]>().notNull(),
  updatedAt: integer('updated_at').notNull(),
  updatedBy: text('updated_by').notNull(),
});
