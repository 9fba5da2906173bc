export { formatLocalTime, formatReason } from './local-time.js';
export {
  formatEntryLine,
  formatEntryText,
  formatReportLine,
  type LogEntry,
  type LogFields,
  Logger,
  type LogLevel,
  type LogListener,
} from './logger.js';
export {
  consoleLinkNote,
  createTerminalOutput,
  formatDuration,
  formatStatusLine,
  progressBar,
  type TerminalOutput,
} from './status-line.js';
