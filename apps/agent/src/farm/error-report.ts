// Error reports (docs/protocol.md §9): a log file in the official layout, sent multipart to `error`.
// A report that cannot be sent is logged and dropped: reports are best-effort, frames are not.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  buildErrorReport,
  type Endpoints,
  type ErrorLogInput,
  ErrorType,
  errorType,
  type Job,
  renderErrorLog,
} from '@flock/protocol';
import type { Logger } from '../log/index.js';
import type { FarmHttp } from './http.js';

export type ReportHeader = Omit<ErrorLogInput, 'project' | 'errorType' | 'lines'>;

/** The job a report is about: a whole job, or what an upload queue entry remembers of it. */
export type ReportedJob = Pick<Job, 'id' | 'frame' | 'name'>;

export interface ErrorReportInput {
  type: number;
  job?: ReportedJob;
  renderTimeSeconds?: number;
  memoryUsedKiB?: number;
  blenderVersion?: string;
  /** The job's log lines (or the config dump for type 0), already formatted. */
  lines: readonly string[];
}

export interface ErrorReporterOptions {
  http: FarmHttp;
  log: Logger;
  /** Where the temporary log files go. */
  dir: string;
  header: () => ReportHeader;
  endpoints: () => Endpoints | undefined;
}

let sequence = 0;

export class ErrorReporter {
  constructor(private readonly options: ErrorReporterOptions) {}

  /** `signal`: give up on the report (the agent is stopping); it is only logged as not sent. */
  async report(input: ErrorReportInput, signal?: AbortSignal): Promise<void> {
    const { http, log, dir } = this.options;
    const endpoints = this.options.endpoints();
    const info = errorType(input.type);
    if (!endpoints) {
      log.warn('error report not sent: no farm session', { type: info.name });
      return;
    }
    const filename = `farm_${process.pid}${++sequence}.txt`;
    const file = path.join(dir, filename);
    const text = renderErrorLog({
      ...this.options.header(),
      errorType: input.type,
      lines: input.lines,
      ...(input.job
        ? {
            project: {
              name: input.job.name,
              id: input.job.id,
              frame: input.job.frame,
              ...(input.blenderVersion ? { blenderVersion: input.blenderVersion } : {}),
            },
          }
        : {}),
    });
    const spec = buildErrorReport(endpoints, {
      type: input.type,
      filename,
      ...(input.job
        ? {
            job: {
              id: input.job.id,
              frame: input.job.frame,
              ...(input.renderTimeSeconds === undefined
                ? {}
                : { renderTimeSeconds: input.renderTimeSeconds }),
              ...(input.memoryUsedKiB === undefined ? {} : { memoryUsedKiB: input.memoryUsedKiB }),
            },
          }
        : {}),
    });
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(file, log.redact(text));
      const timeout = AbortSignal.timeout(120_000);
      const answer = await http.send(spec, {
        file,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      // Type 0 is the configuration the official client also sends after login, not an error.
      log.info(input.type === ErrorType.OK ? 'configuration report sent' : 'error report sent', {
        type: `${input.type} ${info.name}`,
        job: input.job?.id,
        http: answer.status,
      });
    } catch (error) {
      log.warn('error report not sent', { type: info.name, error: (error as Error).message });
    } finally {
      await rm(file, { force: true });
    }
  }
}
