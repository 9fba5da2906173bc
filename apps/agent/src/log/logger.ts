// One logger for the whole agent: every line goes through the redactor (secrets never reach a
// terminal, a file or the farm), then to the listeners (the CLI sink, the state's recent-log ring,
// the current job's report buffer).
import { formatLogFields, formatLogTimestamp } from '@flock/protocol';
import type { Clock } from '../clock.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface LogEntry {
  at: number;
  level: LogLevel;
  message: string;
  fields: LogFields;
}

export type LogListener = (entry: LogEntry) => void;

const REDACTED = '[redacted]';
/**
 * Secrets shorter than this are not replaced wherever they occur: a password like `demo` would also
 * blank out `demo.blend` and every path holding the login. They are still caught where they are
 * written as a value (`password=…`, `publickey="…"`, URL user-info), which is how a secret leaks.
 */
const MIN_FREE_TEXT_SECRET = 6;
const SECRET_ASSIGNMENT = /\b(password|passwd|publickey|render[-_]?key)(["']?\s*[=:]\s*["']?)([^\s"'&;,]+)/gi;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+@/gi;

export class Logger {
  private readonly listeners = new Set<LogListener>();
  private readonly secrets = new Set<string>();

  constructor(private readonly clock: Clock) {}

  /** From now on `secret` is replaced by `[redacted]` in every message and field. */
  addSecret(secret: string | undefined): void {
    if (secret) this.secrets.add(secret);
  }

  redact(text: string): string {
    let result = text
      .replace(SECRET_ASSIGNMENT, (_match, key: string, separator: string) => `${key}${separator}${REDACTED}`)
      .replace(URL_USERINFO, `$1${REDACTED}@`);
    for (const secret of this.secrets) {
      if (secret.length >= MIN_FREE_TEXT_SECRET) result = result.replaceAll(secret, REDACTED);
    }
    return result;
  }

  onEntry(listener: LogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  debug(message: string, fields: LogFields = {}): void {
    this.write('debug', message, fields);
  }

  info(message: string, fields: LogFields = {}): void {
    this.write('info', message, fields);
  }

  warn(message: string, fields: LogFields = {}): void {
    this.write('warn', message, fields);
  }

  error(message: string, fields: LogFields = {}): void {
    this.write('error', message, fields);
  }

  private write(level: LogLevel, message: string, fields: LogFields): void {
    const entry: LogEntry = {
      at: this.clock.now(),
      level,
      message: this.redact(message),
      fields: Object.fromEntries(
        Object.entries(fields)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]) => [key, typeof value === 'string' ? this.redact(value) : value]),
      ),
    };
    for (const listener of this.listeners) listener(entry);
  }
}

/** `message key=value …` — one line, the fields quoted only when they need it. */
export function formatEntryText(entry: LogEntry): string {
  const fields = formatLogFields(entry.fields);
  return fields === '' ? entry.message : `${entry.message} ${fields}`;
}

export function formatEntryLine(entry: LogEntry, format: 'text' | 'json'): string {
  if (format === 'json') {
    return JSON.stringify({
      at: new Date(entry.at).toISOString(),
      level: entry.level,
      message: entry.message,
      ...entry.fields,
    });
  }
  return `${formatLogTimestamp(entry.at)} ${entry.level.padEnd(5)} ${formatEntryText(entry)}`;
}

/** A job's log line as the official client writes it in error reports: `dd-MM HH:mm:ss (level) …`. */
export function formatReportLine(entry: LogEntry): string {
  const date = new Date(entry.at);
  const two = (n: number) => String(n).padStart(2, '0');
  const stamp = `${two(date.getUTCDate())}-${two(date.getUTCMonth() + 1)} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`;
  return `${stamp} (${entry.level}) ${formatEntryText(entry)}`;
}
