import type { LogLine } from '@flock/protocol';
import type { AlertRule } from './settings';

/** What an alert carries so whoever reads it sees why without opening the machine. */
export interface AlertEvidence {
  /** The machine's last log lines (at most EVIDENCE_LOG_LINES), oldest first. */
  logLines: LogLine[];
  /** The project it was rendering (or last rendered), when known. */
  project: string | null;
  /** Blender's crash report or the failed job's log tail, when the alert is about one. */
  crash: string | null;
}

export const EVIDENCE_LOG_LINES = 20;
export const EVIDENCE_CRASH_CHARS = 8 * 1024;

export interface AlertRecord {
  id: number;
  machineId: string;
  machineName: string;
  rule: AlertRule;
  title: string;
  detail: string;
  evidence: AlertEvidence;
  firedAt: number;
  resolvedAt: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
}

/** What the delivery side is told: an incident fired or resolved. */
export interface AlertNotice {
  change: 'fired' | 'resolved';
  alert: AlertRecord;
}
