// What the person at the terminal sees. On a TTY: log lines scroll above one live status line with
// a progress bar; off a TTY: one log line per event (text or JSON), no status line.
import { describeActiveRule } from '@flock/protocol';
import type { Clock } from '../clock.js';
import type { LocalState, StateSnapshot } from '../state/index.js';
import { formatLocalTime, formatReason } from './local-time.js';
import { formatEntryLine, type LogEntry } from './logger.js';

const BAR_WIDTH = 20;

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function progressBar(fraction: number | null, width = BAR_WIDTH): string {
  if (fraction === null) return `[${'·'.repeat(width)}]`;
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** What to tell the person at this machine once the console removed it; null while it is linked. */
export function consoleLinkNote(local: LocalState, now: number): string | null {
  // State files written before the link was shown have no consoleLink.
  const link = local.consoleLink;
  if (!link?.removedAt) return null;
  return `removed from the console at ${formatLocalTime(link.removedAt, now)}; run \`flock-agent pair ${link.url} <code>\` to link it again`;
}

/** The owner rules in force (or snoozed) that the line does not show as the reason already. */
export function rulesNote(state: StateSnapshot['state'], now: number): string | null {
  const rules = state.rules;
  if (!rules) return null;
  if (rules.snoozedUntil !== null) return `rules snoozed until ${formatLocalTime(rules.snoozedUntil, now)}`;
  const shown = state.job === null && state.reason?.code === 'rule' ? 1 : 0;
  if (rules.active.length <= shown) return null;
  return `rules: ${rules.active.map(describeActiveRule).join('; ')}`;
}

/** One line: phase, project, frame, bar, %, ETA, console removal, upload queue, frames, why idle (times local to `now`). */
export function formatStatusLine({ state, local }: StateSnapshot, now: number, width = 120): string {
  const parts: string[] = [];
  const job = state.job;
  if (job) {
    const percent = job.progress === null ? '  ?%' : `${String(Math.round(job.progress * 100)).padStart(3)}%`;
    parts.push(`${job.phase} ${job.project} #${job.frame}`, `${progressBar(job.progress)} ${percent}`);
    if (job.etaSeconds !== null) parts.push(`ETA ${formatDuration(job.etaSeconds)}`);
  } else {
    parts.push(local.worker);
    if (state.reason) parts.push(formatReason(state.reason, now));
  }
  const rules = rulesNote(state, now);
  if (rules) parts.push(rules);
  const note = consoleLinkNote(local, now);
  if (note) parts.push(note);
  parts.push(
    `uploads ${local.uploadsPending}`,
    `frames ${local.framesDelivered}`,
    `credits ${state.stats.creditsSession}`,
  );
  const line = parts.join(' | ');
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

export interface TerminalOutput {
  log(entry: LogEntry): void;
  update(snapshot: StateSnapshot): void;
  close(): void;
}

export function createTerminalOutput(
  stream: NodeJS.WriteStream,
  format: 'text' | 'json',
  clock: Clock,
): TerminalOutput {
  if (!stream.isTTY) {
    return {
      log: (entry) => {
        if (entry.level !== 'debug') stream.write(`${formatEntryLine(entry, format)}\n`);
      },
      update: () => undefined,
      close: () => undefined,
    };
  }
  let status = '';
  let pending: StateSnapshot | undefined;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => stream.write(`\r\x1b[2K${status}`);
  return {
    log: (entry) => {
      if (entry.level === 'debug') return;
      stream.write(`\r\x1b[2K${formatEntryLine(entry, 'text')}\n`);
      draw();
    },
    update: (snapshot) => {
      pending = snapshot;
      timer ??= setTimeout(() => {
        timer = undefined;
        if (pending) status = formatStatusLine(pending, clock.now(), (stream.columns || 120) - 1);
        draw();
      }, 100);
    },
    close: () => {
      if (timer) clearTimeout(timer);
      stream.write('\r\x1b[2K');
    },
  };
}
