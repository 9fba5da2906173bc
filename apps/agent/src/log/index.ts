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
