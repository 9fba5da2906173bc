/**
 * Client-side request builders. Each returns a plain description any HTTP client can send; the
 * server-side readers in ./readers accept exactly what these produce (round-trip tested).
 */
import type { ConfigAnswer } from './answers/config';
import { ProtocolError } from './errors';
import { endpointPathProblem } from './farm-values';
import type { ComputeMethodName } from './link/state';
import { CLIENT_XML_CONTENT_TYPE, renderElement } from './xml';

export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  /** Absolute URL with the query already encoded into it. */
  url: string;
  /** application/x-www-form-urlencoded body. */
  form?: Record<string, string>;
  /** A raw body, e.g. the `<cache>` or `<speedtest>` XML. */
  body?: { contentType: string; text: string };
  /** multipart/form-data: the caller streams the file's bytes into the `file` part. */
  multipart?: {
    fields: Record<string, string>;
    file: { field: 'file'; filename: string; contentType: string };
  };
  /** What a successful answer carries. */
  expect: 'xml' | 'binary' | 'any';
}

/** Absolute endpoint URLs taken from the config answer. */
export interface Endpoints {
  requestJob: string;
  downloadArchive: string;
  error: string;
  keepAlive: string;
  logout: string;
  speedtestAnswer?: string;
  /** `max-period` of the keepmealive request: the longest silence the farm tolerates. */
  maxPeriodSeconds?: number;
  /** Request types this client does not use (newer farms' `download-binary`, `download-chunk`, …). */
  extra: Record<string, string>;
}

export interface ConfigParams {
  login: string;
  /** The password, or the render key (`publickey`) of an earlier login. */
  password: string;
  version: string;
  os: string;
  osVersion: string;
  bits: string;
  cpuFamily: string;
  cpuModel: string;
  cpuModelName: string;
  cpuCores: number;
  ramKiB: number;
  ramMaxKiB?: number;
  extras?: string;
  hostname?: string;
  ui?: string;
  headless: boolean;
  hwid: string;
}

/** The compute method's code on the wire (`computemethod`): 0 = CPU or GPU, 1 = CPU only, 2 = GPU only. */
export type ComputeMethod = 0 | 1 | 2;

/** The compute methods by their wire code. */
const COMPUTE_METHODS_BY_CODE = ['cpu_gpu', 'cpu', 'gpu'] as const satisfies readonly ComputeMethodName[];

export function computeMethodCode(name: ComputeMethodName): ComputeMethod {
  return COMPUTE_METHODS_BY_CODE.indexOf(name) as ComputeMethod;
}

export function computeMethodName(code: ComputeMethod): ComputeMethodName {
  return COMPUTE_METHODS_BY_CODE[code];
}

export function isComputeMethod(value: number): value is ComputeMethod {
  return Number.isInteger(value) && value >= 0 && value < COMPUTE_METHODS_BY_CODE.length;
}

/**
 * The Cycles GPU backends a client names as `gpu_type` (and as the first argument of
 * `sheepit_set_compute_device`): the official client sent CUDA (NVIDIA) and HIP (AMD) until 2022,
 * then OPTIX for NVIDIA cards whose driver runs OptiX; METAL is Blender's only GPU backend on macOS.
 */
export const GPU_TYPES = ['CUDA', 'OPTIX', 'HIP', 'METAL'] as const;
export type GpuType = (typeof GPU_TYPES)[number];

/** A job request's parameters, named as the user's limits are (`Limits`); wire names only in the builder. */
export interface JobRequestParams {
  computeMethod: ComputeMethod;
  /** Average download and upload speed of the session in bytes/s (0 before any transfer). */
  networkDl: number;
  networkUp: number;
  /** Cores Blender may use (`cpu_cores`). */
  cores?: number;
  /** Memory the render may use, KiB (`ram_max`). */
  memoryKiB: number;
  /** The longest frame time (`rendertime_max`); 0 means no limit (docs/decisions.md D10). */
  maxFrameTimeSeconds: number;
  /** Only when the session may render on a GPU (the official client leaves them out for CPU only). */
  gpu?: { type: string; model: string; ramBytes: number };
}

export interface SpeedtestResult {
  target: string;
  /** Bytes per second. */
  speed: number;
  /** Average ping in milliseconds. */
  ping: number;
}

export interface KeepAliveParams {
  paused: boolean;
  job?: { id: string; frame: string; renderTimeSeconds?: number; remainingSeconds?: number };
}

export interface ValidationUpload {
  renderTimeSeconds: number;
  memoryUsedKiB?: number;
  cores?: number;
  /** Name of the uploaded frame file, e.g. `116372253_0007.png`. */
  filename: string;
  contentType: string;
}

export interface ErrorReportJob {
  id: string;
  frame: string;
  renderTimeSeconds?: number;
  memoryUsedKiB?: number;
}

export interface ErrorReport {
  /** An ErrorType code. */
  type: number;
  job?: ErrorReportJob;
  /** Name of the uploaded log file. */
  filename: string;
}

export const CONFIG_PATH = '/server/config.php';

type QueryValue = string | number | boolean | undefined;

/** Base URL + endpoint path, concatenated as the official client does (the path may carry its own query). */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
}

/** Appends percent-encoded parameters with `?`, or `&` when the URL already has a query. */
export function appendQuery(url: string, params: Readonly<Record<string, QueryValue>>): string {
  const query = Object.entries(definedStrings(params))
    .map(([key, value]) => `${encodeQueryComponent(key)}=${encodeQueryComponent(value)}`)
    .join('&');
  if (query === '') return url;
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** encodeURIComponent throws on lone surrogates; they become U+FFFD as in any WHATWG URL encoder. */
function encodeQueryComponent(value: string): string {
  return encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD'));
}

/** Numbers on the wire are whole (seconds, KiB): the agent keeps exact values and they are rounded here, once. */
function formatValue(value: string | number | boolean): string {
  return typeof value === 'number' ? String(Math.round(value)) : String(value);
}

function definedStrings(fields: Readonly<Record<string, QueryValue>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
      .map(([key, value]) => [key, formatValue(value)]),
  );
}

/** Login: POST form-encoded to `{server}/server/config.php`, fields in the official client's order. */
export function buildConfigRequest(serverUrl: string, params: ConfigParams): HttpRequestSpec {
  const form = definedStrings({
    login: params.login,
    password: params.password,
    cpu_family: params.cpuFamily,
    cpu_model: params.cpuModel,
    cpu_model_name: params.cpuModelName,
    cpu_cores: params.cpuCores,
    os: params.os,
    os_version: params.osVersion,
    ram: params.ramKiB,
    ram_max: params.ramMaxKiB,
    bits: params.bits,
    version: params.version,
    hostname: params.hostname,
    ui: params.ui,
    extras: params.extras ?? '',
    headless: params.headless ? '1' : '0',
    hwid: params.hwid,
  });
  return { method: 'POST', url: joinUrl(serverUrl, CONFIG_PATH), form, expect: 'xml' };
}

const KNOWN_ENDPOINTS = {
  'request-job': 'requestJob',
  'download-archive': 'downloadArchive',
  error: 'error',
  keepmealive: 'keepAlive',
  logout: 'logout',
} as const;

/**
 * Absolute endpoint URLs from a status-0 config answer. Unknown request types go to `extra`; a
 * config without one of the five endpoints the client needs, or with a path that could leave the
 * farm (endpointPathProblem), is 'invalid-value'.
 */
export function endpointsFromConfig(serverUrl: string, config: ConfigAnswer): Endpoints {
  const found: Partial<Record<string, string>> = {};
  const extra: Record<string, string> = {};
  let maxPeriodSeconds: number | undefined;
  for (const request of config.requests) {
    const problem = endpointPathProblem(request.path);
    if (problem) throw new ProtocolError('invalid-value', `the "${request.type}" path ${problem}`);
    const url = joinUrl(serverUrl, request.path);
    const key = (KNOWN_ENDPOINTS as Record<string, string>)[request.type];
    if (key !== undefined) found[key] = url;
    else if (request.type === 'speedtest-answer') found.speedtestAnswer = url;
    else extra[request.type] = url;
    if (request.type === 'keepmealive' && request.maxPeriod !== undefined)
      maxPeriodSeconds = request.maxPeriod;
  }
  const required = (type: keyof typeof KNOWN_ENDPOINTS): string => {
    const url = found[KNOWN_ENDPOINTS[type]];
    if (url === undefined) throw new ProtocolError('invalid-value', `the config lists no "${type}" request`);
    return url;
  };
  return {
    requestJob: required('request-job'),
    downloadArchive: required('download-archive'),
    error: required('error'),
    keepAlive: required('keepmealive'),
    logout: required('logout'),
    ...(found.speedtestAnswer === undefined ? {} : { speedtestAnswer: found.speedtestAnswer }),
    ...(maxPeriodSeconds === undefined ? {} : { maxPeriodSeconds }),
    extra,
  };
}

/** The speed-test results, fastest first (the caller sorts), as the official client's `<speedtest>` XML. */
export function buildSpeedtestAnswer(
  endpoints: Endpoints,
  results: readonly SpeedtestResult[],
): HttpRequestSpec {
  if (endpoints.speedtestAnswer === undefined) {
    throw new ProtocolError('invalid-value', 'the config lists no "speedtest-answer" request');
  }
  const rows = results.map(({ target, speed, ping }) =>
    renderElement('result', { target, speed: Math.round(speed), ping: Math.round(ping) }),
  );
  const text = renderList('speedtest', rows);
  return {
    method: 'POST',
    url: endpoints.speedtestAnswer,
    body: { contentType: CLIENT_XML_CONTENT_TYPE, text },
    expect: 'any',
  };
}

/** The `<cache>` body of a job request: every valid cached archive by MD5. */
export function renderCacheBody(cachedMd5s: readonly string[]): string {
  return renderList(
    'cache',
    cachedMd5s.map((md5) => renderElement('file', { md5 })),
  );
}

/** A client XML body laid out as simple-xml writes it: one child per line, three-space indent. */
function renderList(name: string, children: readonly string[]): string {
  const inner = children.map((child) => `\n   ${child}`).join('');
  return renderElement(name, {}, inner === '' ? undefined : `${inner}\n`);
}

/** Job request: POST with the query parameters and the `<cache>` XML body. */
export function buildJobRequest(
  endpoints: Endpoints,
  params: JobRequestParams,
  cachedMd5s: readonly string[],
): HttpRequestSpec {
  const url = appendQuery(endpoints.requestJob, {
    computemethod: params.computeMethod,
    network_dl: params.networkDl,
    network_up: params.networkUp,
    cpu_cores: params.cores,
    ram_max: params.memoryKiB,
    rendertime_max: params.maxFrameTimeSeconds,
    gpu_model: params.gpu?.model,
    gpu_ram: params.gpu?.ramBytes,
    gpu_type: params.gpu?.type,
  });
  const body = { contentType: CLIENT_XML_CONTENT_TYPE, text: renderCacheBody(cachedMd5s) };
  return { method: 'POST', url, body, expect: 'xml' };
}

/** Renderer (`binary`) or project (`job`) archive of a job: GET, raw zip on HTTP 200. */
export function buildDownloadRequest(
  endpoints: Endpoints,
  type: 'binary' | 'job',
  jobId: string,
): HttpRequestSpec {
  return {
    method: 'GET',
    url: appendQuery(endpoints.downloadArchive, { type, job: jobId }),
    expect: 'binary',
  };
}

/** Heartbeat: GET with `paused` always and the current job's progress when there is one. */
export function buildKeepAlive(endpoints: Endpoints, state: KeepAliveParams): HttpRequestSpec {
  const url = appendQuery(endpoints.keepAlive, {
    paused: state.paused,
    frame: state.job?.frame,
    job: state.job?.id,
    rendertime: state.job?.renderTimeSeconds,
    remainingtime: state.job?.remainingSeconds,
  });
  return { method: 'GET', url, expect: 'xml' };
}

/** Frame upload: multipart `file` to the job's (decoded) validation_url plus the render facts. */
export function buildValidation(validationUrl: string, upload: ValidationUpload): HttpRequestSpec {
  const url = appendQuery(validationUrl, {
    rendertime: upload.renderTimeSeconds,
    memoryused: upload.memoryUsedKiB,
    cores: upload.cores,
  });
  const file = { field: 'file' as const, filename: upload.filename, contentType: upload.contentType };
  return { method: 'POST', url, multipart: { fields: {}, file }, expect: 'xml' };
}

/** Error report: multipart `file` (the log) with type and job facts in the query. */
export function buildErrorReport(endpoints: Endpoints, report: ErrorReport): HttpRequestSpec {
  const url = appendQuery(endpoints.error, {
    type: report.type,
    frame: report.job?.frame,
    job: report.job?.id,
    render_time: report.job?.renderTimeSeconds,
    memoryused: report.job?.memoryUsedKiB,
  });
  const file = { field: 'file' as const, filename: report.filename, contentType: 'text/plain' };
  return { method: 'POST', url, multipart: { fields: {}, file }, expect: 'any' };
}

/** Logout: plain GET of the logout path (which may carry its own query); the answer is ignored. */
export function buildLogout(endpoints: Endpoints): HttpRequestSpec {
  return { method: 'GET', url: endpoints.logout, expect: 'any' };
}
