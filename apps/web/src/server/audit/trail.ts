import type { AuditEntry, AuditQuery, AuditRepo } from '../db/audit-repo';
import { log } from '../log';

/** Entries older than this are deleted by the sweeper. */
export const AUDIT_KEEP_MS = 365 * 24 * 3600 * 1000;
/** At most this many entries are kept (the newest). */
export const AUDIT_KEEP_ROWS = 100_000;
/** Parameters longer than this (as JSON) are stored as `{ truncated: true }`. */
const MAX_PARAMS_JSON = 4_000;
/** Keys whose values never enter the trail, at any depth, whatever a describer hands over. */
const SECRET_KEY = /password|renderkey|secret|token|code/i;

export interface AuditRecord {
  at: number;
  user: { id: number; username: string };
  /** The tRPC procedure path, e.g. `fleet.command`. */
  action: string;
  params: Record<string, unknown>;
  machineIds: string[];
  outcome: 'ok' | 'failed';
  detail?: string | undefined;
}

/** Writes and reads the audit trail; machine names are taken as they are when the entry is written. */
export class AuditTrail {
  constructor(
    private readonly repo: AuditRepo,
    private readonly machineName: (id: string) => string | undefined,
  ) {}

  /** Never throws: a failed write is logged (the action it describes has already happened). */
  async record(entry: AuditRecord): Promise<void> {
    const machines = [...new Set(entry.machineIds)].map((id) => ({ id, name: this.machineName(id) ?? null }));
    try {
      await this.repo.insert(
        {
          at: entry.at,
          userId: entry.user.id,
          username: entry.user.username,
          action: entry.action,
          params: boundedParams(withoutSecrets(entry.params) as Record<string, unknown>),
          outcome: entry.outcome,
          detail: entry.detail?.slice(0, 1_000) ?? null,
        },
        machines,
      );
    } catch (error) {
      log(
        'error',
        `audit: could not record ${entry.action} by ${entry.user.username}: ${(error as Error).message}`,
      );
    }
  }

  list(query: AuditQuery): Promise<AuditEntry[]> {
    return this.repo.list(query);
  }

  usernames(): Promise<string[]> {
    return this.repo.usernames();
  }

  /** Drops entries past the retention (1 year, 100 000 rows); returns how many. */
  trim(now: number): Promise<number> {
    return this.repo.trim(now - AUDIT_KEEP_MS, AUDIT_KEEP_ROWS);
  }
}

/** A copy of `value` without any key that names a secret. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !SECRET_KEY.test(key))
      .map(([key, inner]) => [key, withoutSecrets(inner)]),
  );
}

function boundedParams(params: Record<string, unknown>): Record<string, unknown> {
  return JSON.stringify(params).length > MAX_PARAMS_JSON ? { truncated: true } : params;
}
