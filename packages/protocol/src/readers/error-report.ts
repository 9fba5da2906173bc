import type { ErrorReportJob } from '../requests';
import {
  optionalInt,
  optionalParam,
  type ParamSource,
  requiredInt,
  requiredParam,
  withoutUndefined,
} from './params';

export interface ErrorReportParams {
  type: number;
  job?: ErrorReportJob;
}

/** Reads an error-report query. `type` is required; the job when `job` is present (then `frame` too). */
export function readErrorReportParams(query: ParamSource): ErrorReportParams {
  const type = requiredInt(query, 'type');
  const jobId = optionalParam(query, 'job');
  const job =
    jobId === undefined
      ? undefined
      : withoutUndefined({
          id: jobId,
          frame: requiredParam(query, 'frame'),
          renderTimeSeconds: optionalInt(query, 'render_time'),
          memoryUsedKiB: optionalInt(query, 'memoryused'),
        });
  return withoutUndefined({ type, job });
}
