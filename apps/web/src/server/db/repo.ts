import type {
  AgentEvent,
  AgentState,
  CommandResult,
  ControlCommand,
  Hello,
  Limits,
  Rule,
} from '@flock/protocol';
import {
  and,
  desc,
  eq,
  getTableColumns,
  gt,
  isNotNull,
  isNull,
  lte,
  ne,
  notInArray,
  or,
  sql,
} from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Role } from '../../lib/roles';
import { HistoryRepo } from '../history/repo';
import type { ConsoleDb } from './client';
import { claimEventOrigin } from './event-origins';
import { framesOfMachine } from './frames-of-machine';
import {
  commands,
  desiredConfig,
  events,
  fleetSettings,
  frames,
  frameThumbnails,
  historyProjects,
  machines,
  pairingCodes,
  sessions,
  users,
} from './schema';

export type MachineRow = typeof machines.$inferSelect;
/** A stored frame with its thumbnail (a data: URL), null once dropped (only the newest few keep one). */
export type FrameRow = Omit<typeof frames.$inferSelect, 'project'> & {
  project: string;
  thumbnail: string | null;
};
export type EventRow = typeof events.$inferSelect;
export type UserInfo = Pick<typeof users.$inferSelect, 'id' | 'username' | 'role' | 'createdAt'>;
export type SessionUserRow = Pick<typeof users.$inferSelect, 'id' | 'username' | 'role'>;

/**
 * Thumbnails kept per machine (the newest stored); older frames keep their row without one. The
 * machine page shows the newest frame's; the others are a margin for a late frame stored after it.
 */
export const THUMBNAILS_KEPT_PER_MACHINE = 3;

/**
 * Every query the console makes, behind async methods so a Postgres-backed repository with the same
 * shape can replace this one without touching the app.
 */
export class ConsoleRepo {
  /**
   * Where frames get their machine's and project's history keys (frames are keyed by them), with or
   * without roll-ups.
   */
  private readonly machineKeys: HistoryRepo;

  /** `history`: where stored frames, credits and errors are also summed per hour and day. */
  constructor(
    private readonly db: ConsoleDb,
    private readonly history?: HistoryRepo,
  ) {
    this.machineKeys = history ?? new HistoryRepo(db);
  }

  // ---- users and sessions ----

  async countUsers(): Promise<number> {
    const row = await this.db.select({ n: sql<number>`count(*)` }).from(users).get();
    return row?.n ?? 0;
  }

  async createUser(username: string, passwordHash: string, now: number, role: Role): Promise<number> {
    const row = await this.db
      .insert(users)
      .values({ username, passwordHash, role, createdAt: now })
      .returning()
      .get();
    return row.id;
  }

  async findUser(username: string) {
    return this.db.select().from(users).where(eq(users.username, username)).get();
  }

  async findUserById(id: number) {
    return this.db.select().from(users).where(eq(users.id, id)).get();
  }

  /** Every user without the password hash, which never leaves the repository through here. */
  async listUsers(): Promise<UserInfo[]> {
    return this.db
      .select({ id: users.id, username: users.username, role: users.role, createdAt: users.createdAt })
      .from(users)
      .orderBy(users.username)
      .all();
  }

  async setPasswordHash(id: number, passwordHash: string): Promise<void> {
    await this.db.update(users).set({ passwordHash }).where(eq(users.id, id));
  }

  /**
   * Deletes a user (their sessions go with them, ON DELETE CASCADE) unless that would leave no admin.
   * One statement, so two admins removing each other at once cannot both succeed.
   */
  async deleteUserKeepingAnAdmin(id: number): Promise<boolean> {
    const deleted = await this.db
      .delete(users)
      .where(and(eq(users.id, id), or(ne(users.role, 'admin'), gt(this.adminCount(), 1))))
      .returning({ id: users.id })
      .all();
    return deleted.length === 1;
  }

  /**
   * Gives a user another role unless that would leave no admin; false when refused (or no such user).
   * One statement, so two admins demoting each other at once cannot both succeed.
   */
  async setRoleKeepingAnAdmin(id: number, role: Role): Promise<boolean> {
    const changed = await this.db
      .update(users)
      .set({ role })
      .where(
        and(
          eq(users.id, id),
          role === 'admin' ? undefined : or(ne(users.role, 'admin'), gt(this.adminCount(), 1)),
        ),
      )
      .returning({ id: users.id })
      .all();
    return changed.length === 1;
  }

  private adminCount() {
    return this.db.select({ n: sql<number>`count(*)` }).from(users).where(eq(users.role, 'admin'));
  }

  async createSession(tokenHash: string, userId: number, now: number, expiresAt: number): Promise<void> {
    await this.db.insert(sessions).values({ tokenHash, userId, createdAt: now, expiresAt });
  }

  async findSessionUser(tokenHash: string, now: number): Promise<SessionUserRow | undefined> {
    return this.db
      .select({ id: users.id, username: users.username, role: users.role })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, now)))
      .get();
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
  }

  /** Ends every session of a user, except the one given (the caller's own, when changing a password). */
  async deleteSessionsOf(userId: number, exceptTokenHash?: string): Promise<void> {
    await this.db
      .delete(sessions)
      .where(
        and(
          eq(sessions.userId, userId),
          exceptTokenHash === undefined ? undefined : ne(sessions.tokenHash, exceptTokenHash),
        ),
      );
  }

  /** Expired sessions are already refused; this removes their rows. Returns how many. */
  async deleteExpiredSessions(now: number): Promise<number> {
    const gone = await this.db
      .delete(sessions)
      .where(lte(sessions.expiresAt, now))
      .returning({ tokenHash: sessions.tokenHash })
      .all();
    return gone.length;
  }

  // ---- pairing ----

  async createPairingCode(codeHash: string, now: number, expiresAt: number): Promise<void> {
    await this.db.insert(pairingCodes).values({ codeHash, createdAt: now, expiresAt });
  }

  /** Marks the code used if it is unused and unexpired; true only for the one caller that won. */
  async consumePairingCode(codeHash: string, machineId: string, now: number): Promise<boolean> {
    const used = await this.db
      .update(pairingCodes)
      .set({ usedAt: now, machineId })
      .where(
        and(
          eq(pairingCodes.codeHash, codeHash),
          isNull(pairingCodes.usedAt),
          gt(pairingCodes.expiresAt, now),
        ),
      )
      .returning()
      .all();
    return used.length === 1;
  }

  /** Removes codes that can no longer be redeemed (used or expired). Returns how many. */
  async deleteSpentPairingCodes(now: number): Promise<number> {
    const gone = await this.db
      .delete(pairingCodes)
      .where(or(isNotNull(pairingCodes.usedAt), lte(pairingCodes.expiresAt, now)))
      .returning({ codeHash: pairingCodes.codeHash })
      .all();
    return gone.length;
  }

  // ---- machines ----

  async createMachine(id: string, name: string, secretHash: string, now: number): Promise<void> {
    await this.db.insert(machines).values({ id, name, secretHash, createdAt: now });
  }

  async getMachine(id: string): Promise<MachineRow | undefined> {
    return this.db.select().from(machines).where(eq(machines.id, id)).get();
  }

  async listMachines(): Promise<MachineRow[]> {
    return this.db.select().from(machines).where(isNull(machines.revokedAt)).orderBy(machines.name).all();
  }

  async revokeMachine(id: string, now: number): Promise<boolean> {
    const revoked = await this.db
      .update(machines)
      .set({ revokedAt: now, secretHash: null })
      .where(and(eq(machines.id, id), isNull(machines.revokedAt)))
      .returning()
      .all();
    return revoked.length === 1;
  }

  async renameMachine(id: string, name: string): Promise<void> {
    await this.db.update(machines).set({ name }).where(eq(machines.id, id));
  }

  async setMachineHwid(id: string, hwid: string): Promise<void> {
    await this.db.update(machines).set({ hwid }).where(eq(machines.id, id));
  }

  /** The newest other machine (removed ones too) with this hardware id: the same machine paired before. */
  async earlierPairingOf(hwid: string, exceptId: string): Promise<MachineRow | undefined> {
    return this.db
      .select()
      .from(machines)
      .where(and(eq(machines.hwid, hwid), ne(machines.id, exceptId)))
      .orderBy(desc(machines.createdAt))
      .limit(1)
      .get();
  }

  async saveMachineSeen(
    id: string,
    seen: { lastSeenAt: number; hello?: Hello; lastState?: AgentState },
  ): Promise<void> {
    await this.db.update(machines).set(seen).where(eq(machines.id, id));
  }

  // ---- desired config ----

  async getDesiredLimits(machineId: string): Promise<Partial<Limits> | undefined> {
    const row = await this.db
      .select()
      .from(desiredConfig)
      .where(eq(desiredConfig.machineId, machineId))
      .get();
    return row?.limits;
  }

  /** The console's rules last sent to the machine (and not refused); null when none were. */
  async getDesiredRules(machineId: string): Promise<Rule[] | null> {
    const row = await this.db
      .select({ rules: desiredConfig.rules })
      .from(desiredConfig)
      .where(eq(desiredConfig.machineId, machineId))
      .get();
    return row?.rules ?? null;
  }

  async setDesiredRules(machineId: string, rules: Rule[], now: number): Promise<void> {
    await this.db
      .insert(desiredConfig)
      .values({ machineId, limits: {}, rules, updatedAt: now })
      .onConflictDoUpdate({ target: desiredConfig.machineId, set: { rules, updatedAt: now } });
  }

  async mergeDesiredLimits(machineId: string, limits: Partial<Limits>, now: number): Promise<void> {
    const merged = { ...(await this.getDesiredLimits(machineId)), ...limits };
    await this.db
      .insert(desiredConfig)
      .values({ machineId, limits: merged, updatedAt: now })
      .onConflictDoUpdate({ target: desiredConfig.machineId, set: { limits: merged, updatedAt: now } });
  }

  // ---- fleet settings ----

  /** Every fleet-wide setting, key → stored JSON value (the caller validates it). */
  async fleetSettings(): Promise<Map<string, unknown>> {
    const rows = await this.db.select().from(fleetSettings).all();
    return new Map(rows.map((row) => [row.key, row.value]));
  }

  async setFleetSetting(key: string, value: unknown, now: number, by: string): Promise<void> {
    // Drizzle writes a JSON null as SQL NULL, which the NOT NULL column refuses: store the JSON text.
    const stored = value === null ? sql`'null'` : value;
    await this.db
      .insert(fleetSettings)
      .values({ key, value: stored, updatedAt: now, updatedBy: by })
      .onConflictDoUpdate({
        target: fleetSettings.key,
        set: { value: stored, updatedAt: now, updatedBy: by },
      });
  }

  async deleteFleetSetting(key: string): Promise<void> {
    await this.db.delete(fleetSettings).where(eq(fleetSettings.key, key));
  }

  // ---- events and frames ----

  /**
   * Stores an event once; false when this (boot, seq) was already stored (a replay). A frame's events
   * are stored as its `frames` row alone; other events as an `events` row, whole.
   */
  async insertEvent(
    machineId: string,
    bootId: string,
    seq: number,
    at: number,
    event: AgentEvent,
  ): Promise<boolean> {
    if (!claimEventOrigin(this.db, { machineId, bootId, seq, at })) return false;
    if (event.kind !== 'frame-done' && event.kind !== 'frame-credits')
      await this.db
        .insert(events)
        .values({ machineId, bootId, seq, at, kind: event.kind, payload: event })
        .onConflictDoNothing();
    if (event.kind === 'frame-done') {
      const [frame] = await this.db
        .insert(frames)
        .values({
          machine: await this.machineKeys.machineKey(machineId),
          jobId: event.jobId,
          project: await this.machineKeys.projectKey(event.project),
          frame: event.frame,
          renderTimeMs: event.renderTimeMs,
          credits: event.credits,
          finishedAt: at,
          phases: event.phases ?? null,
        })
        .returning({ id: frames.id })
        .all();
      if (frame && event.thumbnail) {
        const thumbnail = `data:${event.thumbnail.mime};base64,${event.thumbnail.base64}`;
        await this.db.insert(frameThumbnails).values({ frameId: frame.id, machineId, thumbnail });
        await this.trimThumbnails(THUMBNAILS_KEPT_PER_MACHINE, machineId);
      }
      await this.history?.addFrame(machineId, at, event);
    }
    if (event.kind === 'frame-credits') await this.creditFrames(machineId, event.frames);
    if (event.kind === 'error') await this.history?.addError(machineId, at);
    return true;
  }

  /**
   * Drops the thumbnails of all but the `keep` newest stored frames of each machine (or of one); the
   * frames themselves stay. Returns how many thumbnails were dropped.
   */
  async trimThumbnails(keep: number, machineId?: string): Promise<number> {
    const newer = alias(frameThumbnails, 'newer');
    const kept = this.db
      .select({ frameId: newer.frameId })
      .from(newer)
      .where(eq(newer.machineId, frameThumbnails.machineId))
      .orderBy(desc(newer.frameId))
      .limit(keep);
    const dropped = await this.db
      .delete(frameThumbnails)
      .where(
        and(
          machineId === undefined ? undefined : eq(frameThumbnails.machineId, machineId),
          notInArray(frameThumbnails.frameId, kept),
        ),
      )
      .returning({ frameId: frameThumbnails.frameId })
      .all();
    return dropped.length;
  }

  /** The credits the farm granted for frames stored earlier: each one's newest frame without credits. */
  private async creditFrames(
    machineId: string,
    credited: { jobId: string; credits: number }[],
  ): Promise<void> {
    for (const { jobId, credits } of credited) {
      const frame = this.db
        .select({ id: frames.id })
        .from(frames)
        .where(and(framesOfMachine(this.db, machineId), eq(frames.jobId, jobId), isNull(frames.credits)))
        .orderBy(desc(frames.id))
        .limit(1);
      // One statement picks and credits the frame: the same credits reported twice credit it once.
      const credited = await this.db
        .update(frames)
        .set({ credits })
        .where(eq(frames.id, frame))
        .returning({ project: frames.project, finishedAt: frames.finishedAt })
        .all();
      const names = await this.machineKeys.projectNames(credited.map(({ project }) => project));
      for (const { project, finishedAt } of credited)
        await this.history?.addCredits(machineId, finishedAt, names.get(project) ?? '', credits);
    }
  }

  async recentFrames(machineId: string, limit: number): Promise<FrameRow[]> {
    return this.db
      .select({
        ...getTableColumns(frames),
        project: historyProjects.name,
        thumbnail: frameThumbnails.thumbnail,
      })
      .from(frames)
      .innerJoin(historyProjects, eq(historyProjects.key, frames.project))
      .leftJoin(frameThumbnails, eq(frameThumbnails.frameId, frames.id))
      .where(framesOfMachine(this.db, machineId))
      .orderBy(desc(frames.finishedAt), desc(frames.id))
      .limit(limit)
      .all();
  }

  async recentErrors(machineId: string, limit: number): Promise<EventRow[]> {
    return this.db
      .select()
      .from(events)
      .where(and(eq(events.machineId, machineId), eq(events.kind, 'error')))
      .orderBy(desc(events.at), desc(events.id))
      .limit(limit)
      .all();
  }

  /** Frames and credits of the whole fleet (removed machines too) since `since`. */
  async frameTotalsSince(since: number): Promise<{ frames: number; credits: number }> {
    const totals = { frames: 0, credits: 0 };
    for (const machine of (await this.machineKeys.frameTotalsByMachineSince(since)).values()) {
      totals.frames += machine.frames;
      totals.credits += machine.credits;
    }
    return totals;
  }

  // ---- commands ----

  async insertCommand(
    id: string,
    machineId: string,
    issuedAt: number,
    command: ControlCommand,
  ): Promise<void> {
    await this.db.insert(commands).values({ id, machineId, issuedAt, command });
  }

  async ackCommand(id: string, machineId: string, result: CommandResult, now: number): Promise<void> {
    await this.db
      .update(commands)
      .set({ ackedAt: now, result })
      .where(and(eq(commands.id, id), eq(commands.machineId, machineId), isNull(commands.ackedAt)));
  }

  /** Commands a machine has not acknowledged that are still fresh enough to deliver again. */
  async unackedCommands(machineId: string, issuedAfter: number) {
    return this.db
      .select()
      .from(commands)
      .where(
        and(eq(commands.machineId, machineId), isNull(commands.ackedAt), gt(commands.issuedAt, issuedAfter)),
      )
      .orderBy(commands.issuedAt)
      .all();
  }
}
