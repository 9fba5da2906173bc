import { z } from 'zod';
import { ProtocolError } from '../errors';
import { type ComputeMethod, isComputeMethod, type JobRequestParams } from '../requests';
import { childElements, parseXmlDocument, readAttributes } from '../xml';
import {
  optionalInt,
  optionalParam,
  type ParamSource,
  requiredInt,
  requiredParam,
  withoutUndefined,
} from './params';

/**
 * Reads the query of a job request. The official client's `rendertime_max=-1` ("not set") is read as 0
 * (no limit, docs/decisions.md D10).
 * GPU parameters are read only when `gpu_model` is present; then `gpu_type` and `gpu_ram` are required.
 */
export function readJobRequestParams(query: ParamSource): JobRequestParams {
  const maxFrameTime = requiredInt(query, 'rendertime_max');
  return withoutUndefined({
    computeMethod: readComputeMethod(query),
    networkDl: requiredInt(query, 'network_dl'),
    networkUp: requiredInt(query, 'network_up'),
    cores: optionalInt(query, 'cpu_cores'),
    memoryKiB: requiredInt(query, 'ram_max'),
    maxFrameTimeSeconds: Math.max(maxFrameTime, 0),
    gpu: readGpu(query),
  });
}

function readComputeMethod(query: ParamSource): ComputeMethod {
  const value = requiredInt(query, 'computemethod');
  if (!isComputeMethod(value)) {
    throw new ProtocolError('invalid-value', `computemethod="${value}" is not 0, 1 or 2`);
  }
  return value;
}

function readGpu(query: ParamSource): JobRequestParams['gpu'] {
  const model = optionalParam(query, 'gpu_model');
  if (model === undefined) return undefined;
  return { type: requiredParam(query, 'gpu_type'), model, ramBytes: requiredInt(query, 'gpu_ram') };
}

const fileAttributes = z.object({ md5: z.string() });

/**
 * The MD5s of the client's `<cache>` body. An empty body is an empty cache (the Rust client sends
 * none); anything else must be a well-formed `<cache>`. No content-type check: clients differ.
 */
export function parseCacheBody(xml: string): string[] {
  if (typeof xml === 'string' && xml.trim() === '') return [];
  const root = parseXmlDocument(xml, 'cache');
  return childElements(root, 'file').map((file) => readAttributes(file, fileAttributes).md5);
}
