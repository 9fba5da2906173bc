import { and, eq, inArray } from 'drizzle-orm';
import type { Overrides, ProfileInput } from '../../lib/profiles';
import type { ConsoleDb } from '../db/client';
import type { Assignment } from './resolve';
import { machineOverrides, profileAssignments, profiles } from './schema';

export type ProfileRow = typeof profiles.$inferSelect;
export type AssignmentTarget = Pick<Assignment, 'kind' | 'target'>;

/** Profiles, who follows them and each machine's overrides (the console's other tables are in db/). */
export class ProfilesRepo {
  constructor(private readonly db: ConsoleDb) {}

  async list(): Promise<ProfileRow[]> {
    return this.db.select().from(profiles).orderBy(profiles.name).all();
  }

  async get(id: number): Promise<ProfileRow | undefined> {
    return this.db.select().from(profiles).where(eq(profiles.id, id)).get();
  }

  async findByName(name: string): Promise<ProfileRow | undefined> {
    return this.db.select().from(profiles).where(eq(profiles.name, name)).get();
  }

  async create(input: ProfileInput, by: string, now: number): Promise<ProfileRow> {
    return this.db
      .insert(profiles)
      .values({ ...input, createdAt: now, createdBy: by, updatedAt: now, updatedBy: by })
      .returning()
      .get();
  }

  async update(id: number, input: ProfileInput, by: string, now: number): Promise<ProfileRow | undefined> {
    return this.db
      .update(profiles)
      .set({ ...input, updatedAt: now, updatedBy: by })
      .where(eq(profiles.id, id))
      .returning()
      .get();
  }

  /** Removes a profile; its assignments go with it (ON DELETE CASCADE). */
  async remove(id: number): Promise<boolean> {
    const gone = await this.db
      .delete(profiles)
      .where(eq(profiles.id, id))
      .returning({ id: profiles.id })
      .all();
    return gone.length === 1;
  }

  async assignments(): Promise<Assignment[]> {
    return this.db.select().from(profileAssignments).all();
  }

  /** Makes each target follow the profile (replacing what it followed), or none with `profileId` null. */
  async assign(
    profileId: number | null,
    targets: AssignmentTarget[],
    by: string,
    now: number,
  ): Promise<void> {
    this.db.transaction((tx) => {
      for (const kind of ['machine', 'tag'] as const) {
        const ofKind = targets.filter((t) => t.kind === kind).map((t) => t.target);
        if (ofKind.length === 0) continue;
        tx.delete(profileAssignments)
          .where(and(eq(profileAssignments.kind, kind), inArray(profileAssignments.target, ofKind)))
          .run();
        if (profileId !== null)
          tx.insert(profileAssignments)
            .values(ofKind.map((target) => ({ kind, target, profileId, assignedAt: now, assignedBy: by })))
            .run();
      }
    });
  }

  async overrides(
    machineId: string,
  ): Promise<(Overrides & { updatedAt: number; updatedBy: string }) | undefined> {
    return this.db.select().from(machineOverrides).where(eq(machineOverrides.machineId, machineId)).get();
  }

  /** Stores a machine's overrides; none (no limit, no rule) removes its row. */
  async setOverrides(machineId: string, overrides: Overrides, by: string, now: number): Promise<void> {
    if (Object.keys(overrides.limits).length === 0 && overrides.rules.length === 0) {
      await this.db.delete(machineOverrides).where(eq(machineOverrides.machineId, machineId));
      return;
    }
    const row = { ...overrides, updatedAt: now, updatedBy: by };
    await this.db
      .insert(machineOverrides)
      .values({ machineId, ...row })
      .onConflictDoUpdate({ target: machineOverrides.machineId, set: row });
  }
}
