import { and, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { ConsoleDb } from './client';
import { auditEntries, auditMachines } from './schema';

export type AuditEntryRow = typeof auditEntries.$inferSelect;
export type NewAuditEntry = Omit<AuditEntryRow, 'id'>;
export interface AuditMachine {
  id: string;
  name: string | null;
}
export type AuditEntry = AuditEntryRow & { machines: AuditMachine[] };

export interface AuditQuery {
  machineId?: string;
  username?: string;
  /** Entries with a smaller id than this (the next page). */
  beforeId?: number;
  limit: number;
}

/** The audit trail's queries (the console repository's other tables are in repo.ts). */
export class AuditRepo {
  constructor(private readonly db: ConsoleDb) {}

  /** Stores one entry and the machines it acted on, together. */
  async insert(entry: NewAuditEntry, machines: AuditMachine[]): Promise<number> {
    return this.db.transaction((tx) => {
      const { id } = tx.insert(auditEntries).values(entry).returning({ id: auditEntries.id }).get();
      if (machines.length > 0) {
        tx.insert(auditMachines)
          .values(
            machines.map((machine) => ({ entryId: id, machineId: machine.id, machineName: machine.name })),
          )
          .run();
      }
      return id;
    });
  }

  /** Newest first, filtered by machine and/or user name. */
  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const byMachine = query.machineId
      ? inArray(
          auditEntries.id,
          this.db
            .select({ id: auditMachines.entryId })
            .from(auditMachines)
            .where(eq(auditMachines.machineId, query.machineId)),
        )
      : undefined;
    const rows = await this.db
      .select()
      .from(auditEntries)
      .where(
        and(
          byMachine,
          query.username ? eq(auditEntries.username, query.username) : undefined,
          query.beforeId ? lt(auditEntries.id, query.beforeId) : undefined,
        ),
      )
      .orderBy(desc(auditEntries.id))
      .limit(query.limit)
      .all();
    const machines = rows.length
      ? await this.db
          .select()
          .from(auditMachines)
          .where(
            inArray(
              auditMachines.entryId,
              rows.map((row) => row.id),
            ),
          )
          .all()
      : [];
    const byEntry = new Map<number, AuditMachine[]>();
    for (const machine of machines) {
      const list = byEntry.get(machine.entryId) ?? [];
      list.push({ id: machine.machineId, name: machine.machineName });
      byEntry.set(machine.entryId, list);
    }
    return rows.map((row) => ({ ...row, machines: byEntry.get(row.id) ?? [] }));
  }

  /** The user names that appear in the trail, for the page's filter. */
  async usernames(): Promise<string[]> {
    const rows = await this.db
      .selectDistinct({ username: auditEntries.username })
      .from(auditEntries)
      .orderBy(auditEntries.username)
      .all();
    return rows.map((row) => row.username);
  }

  /** Deletes entries from before `olderThan` and beyond the newest `keep`; returns how many. */
  async trim(olderThan: number, keep: number): Promise<number> {
    const newestKept = this.db
      .select({ id: auditEntries.id })
      .from(auditEntries)
      .orderBy(desc(auditEntries.id))
      .limit(1)
      .offset(keep - 1);
    const gone = await this.db
      .delete(auditEntries)
      .where(or(lt(auditEntries.at, olderThan), lt(auditEntries.id, sql`coalesce((${newestKept}), 0)`)))
      .returning({ id: auditEntries.id })
      .all();
    return gone.length;
  }
}
