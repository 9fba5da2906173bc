import type { KeepAliveParams } from '../requests';
import {
  optionalInt,
  optionalParam,
  type ParamSource,
  requiredParam,
  toBoolean,
  withoutUndefined,
} from './params';

/**
 * Reads a heartbeat query. `paused` is absent in 2020 clients and then read as false; the job is read
 * when `job` is present, and then `frame` is required.
 */
export function readKeepAliveParams(query: ParamSource): KeepAliveParams {
  const paused = optionalParam(query, 'paused');
  const jobId = optionalParam(query, 'job');
  const job =
    jobId === undefined
      ? undefined
      : withoutUndefined({
          id: jobId,
          frame: requiredParam(query, 'frame'),
          renderTimeSeconds: optionalInt(query, 'rendertime'),
          remainingSeconds: optionalInt(query, 'remainingtime'),
        });
  return withoutUndefined({ paused: paused === undefined ? false : toBoolean('paused', paused), job });
}
