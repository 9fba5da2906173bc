import { formatLogTimestamp } from '@flock/protocol';

/** One line per event on stderr, in this machine's local time. Callers never pass secrets, passwords or tokens here. */
export function log(level: 'info' | 'warn' | 'error', message: string): void {
  if (process.env.FLOCK_QUIET === '1' && level !== 'error') return;
  process.stderr.write(`${formatLogTimestamp(Date.now())} ${level.padEnd(5)} ${message}\n`);
}
