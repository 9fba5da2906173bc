import { and, desc, eq, gte, isNull, or, sql } from 'drizzle-orm';
import type { AlertRule } from '../alerts/settings';
import type { AlertEvidence, AlertRecord } from '../alerts/types';
import type { ConsoleDb } from './client';
import { alerts, machines } from './schema';

export interface NewAlert {
  machineId: string;
  rule: AlertRule;
  title: string;
  detail: string;
  evidence: AlertEvidence;
  firedAt: number;
}

const columns = {
  id: alerts.id,
  machineId: alerts.machineId,
  machineName: machines.name,
  rule: alerts.rule,
  title: alerts.title,
  detail: alerts.detail,
  evidence: alerts.evidence,
  firedAt: alerts.firedAt,
  resolvedAt: alerts.resolvedAt,
  acknowledgedAt: alerts.acknowledgedAt,
  acknowledgedBy: alerts.acknowledgedBy,
};

/** The `alerts` table (kept apart from repo.ts, which holds everything else). */
export class AlertsRepo {
  constructor(private readonly db: ConsoleDb) {}

  async insert(alert: NewAlert): Promise<number> {
    const [row] = await this.db.insert(alerts).values(alert).returning({ id: alerts.id });
    if (!row) throw new Error('alert not stored');
    return row.id;
  }

  async resolve(id: number, at: number): Promise<void> {
    await this.db.update(alerts).set({ resolvedAt: at }).where(eq(alerts.id, id));
  }

  async get(id: number): Promise<AlertRecord | undefined> {
    const [row] = await this.select().where(eq(alerts.id, id));
    return row && toRecord(row);
  }

  /** Alerts still firing (the engine's incidents after a restart). */
  async open(): Promise<AlertRecord[]> {
    return (await this.select().where(isNull(alerts.resolvedAt))).map(toRecord);
  }

  /** Open alerts and those fired since `since`, newest first. */
  async recent(since: number, limit: number): Promise<AlertRecord[]> {
    const rows = await this.select()
      .where(or(isNull(alerts.resolvedAt), gte(alerts.firedAt, since)))
      .orderBy(desc(alerts.firedAt), desc(alerts.id))
      .limit(limit);
    return rows.map(toRecord);
  }

  async unacknowledgedCount(): Promise<number> {
    const [row] = await this.db
      .select({ count: sql<number>`count(*)` })
      .from(alerts)
      .where(isNull(alerts.acknowledgedAt));
    return row?.count ?? 0;
  }

  /** Acknowledges one alert, or every unacknowledged one (`id` null); returns how many changed. */
  async acknowledge(id: number | null, at: number, by: string): Promise<number> {
    const unacknowledged = isNull(alerts.acknowledgedAt);
    const result = await this.db
      .update(alerts)
      .set({ acknowledgedAt: at, acknowledgedBy: by })
      .where(id === null ? unacknowledged : and(unacknowledged, eq(alerts.id, id)));
    return result.changes;
  }

  private select() {
    return this.db
      .select(columns)
      .from(alerts)
      .innerJoin(machines, eq(machines.id, alerts.machineId))
      .$dynamic();
  }
}

type AlertRow = Omit<AlertRecord, 'rule' | 'evidence'> & { rule: string; evidence: unknown };

/** Rows are written only by the engine, so the rule and evidence read back are the engine's own. */
function toRecord(row: AlertRow): AlertRecord {
  return { ...row, rule: row.rule as AlertRule, evidence: row.evidence as AlertEvidence };
}
