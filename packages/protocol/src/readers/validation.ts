import { optionalInt, type ParamSource, requiredInt, requiredParam, withoutUndefined } from './params';

/** What the farm learns from a validation URL: its own job/frame plus what the client appended. */
export interface ValidationParams {
  job: string;
  frame: string;
  renderTimeSeconds: number;
  memoryUsedKiB?: number;
  cores?: number;
}

/** Reads a validation query; a missing parameter throws 'missing-parameter' (the farm answers 300). */
export function readValidationParams(query: ParamSource): ValidationParams {
  return withoutUndefined({
    job: requiredParam(query, 'job'),
    frame: requiredParam(query, 'frame'),
    renderTimeSeconds: requiredInt(query, 'rendertime'),
    memoryUsedKiB: optionalInt(query, 'memoryused'),
    cores: optionalInt(query, 'cores'),
  });
}
