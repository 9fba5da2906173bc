import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendQuery,
  buildConfigRequest,
  buildErrorReport,
  buildJobRequest,
  buildKeepAlive,
  buildSpeedtestAnswer,
  buildValidation,
  type ConfigParams,
  type Endpoints,
  type ErrorReport,
  type HttpRequestSpec,
  type JobRequestParams,
  type KeepAliveParams,
  parseCacheBody,
  parseJobRequestAnswer,
  parseSpeedtestAnswer,
  readConfigParams,
  readErrorReportParams,
  readJobRequestParams,
  readKeepAliveParams,
  readValidationParams,
  renderJobRequestAnswer,
  type SpeedtestResult,
} from '../src/index';
import { toXmlCharacters } from '../src/xml';

// What the agent's builders send is exactly what the farm's readers read back.
const endpoints: Endpoints = {
  requestJob: 'https://farm.example/server/request_job.php',
  downloadArchive: 'https://farm.example/server/archive.php',
  error: 'https://farm.example/server/error.php',
  keepAlive: 'https://farm.example/server/keepmealive.php',
  logout: 'https://farm.example/account.php?mode=logout&worker=1',
  speedtestAnswer: 'https://farm.example/server/speedtest.php',
  extra: {},
};

const text = fc.string({ unit: 'binary', maxLength: 20 });
const nonEmpty = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 });
const count = fc.nat({ max: 2 ** 40 });
const options = { noNullPrototype: true } as const;

const query = (request: HttpRequestSpec) => new URL(request.url).searchParams;

const configParams: fc.Arbitrary<ConfigParams> = fc.record(
  {
    login: text,
    password: text,
    version: text,
    os: text,
    osVersion: text,
    bits: text,
    cpuFamily: text,
    cpuModel: text,
    cpuModelName: text,
    cpuCores: count,
    ramKiB: count,
    ramMaxKiB: count,
    extras: nonEmpty,
    hostname: text,
    ui: text,
    headless: fc.boolean(),
    hwid: text,
  },
  {
    ...options,
    requiredKeys: [
      'login',
      'password',
      'version',
      'os',
      'osVersion',
      'bits',
      'cpuFamily',
      'cpuModel',
      'cpuModelName',
      'cpuCores',
      'ramKiB',
      'headless',
      'hwid',
    ],
  },
);

const jobRequestParams: fc.Arbitrary<JobRequestParams> = fc.record(
  {
    computeMethod: fc.constantFrom(0, 1, 2),
    networkDl: count,
    networkUp: count,
    cores: count,
    memoryKiB: count,
    maxFrameTimeSeconds: count,
    gpu: fc.record({ type: text, model: text, ramBytes: count }, options),
  },
  {
    ...options,
    requiredKeys: ['computeMethod', 'networkDl', 'networkUp', 'memoryKiB', 'maxFrameTimeSeconds'],
  },
);

const keepAlive: fc.Arbitrary<KeepAliveParams> = fc.record(
  {
    paused: fc.boolean(),
    job: fc.record(
      { id: text, frame: text, renderTimeSeconds: count, remainingSeconds: count },
      { ...options, requiredKeys: ['id', 'frame'] },
    ),
  },
  { ...options, requiredKeys: ['paused'] },
);

const errorReport: fc.Arbitrary<Omit<ErrorReport, 'filename'>> = fc.record(
  {
    type: fc.nat({ max: 105 }),
    job: fc.record(
      { id: text, frame: text, renderTimeSeconds: count, memoryUsedKiB: count },
      { ...options, requiredKeys: ['id', 'frame'] },
    ),
  },
  { ...options, requiredKeys: ['type'] },
);

const xmlText = text.map(toXmlCharacters);
const speedtestResults: fc.Arbitrary<SpeedtestResult[]> = fc.array(
  fc.record({ target: xmlText, speed: count, ping: count }, options),
  { maxLength: 3 },
);

describe('request builders → server readers', () => {
  it('login form → readConfigParams', () => {
    fc.assert(
      fc.property(configParams, (params) => {
        const form = buildConfigRequest('https://farm.example', params).form ?? {};
        expect(readConfigParams(new URLSearchParams(form))).toStrictEqual(params);
      }),
      { numRuns: 200 },
    );
  });

  it('job request query and cache body → readJobRequestParams, parseCacheBody', () => {
    fc.assert(
      fc.property(jobRequestParams, fc.array(xmlText, { maxLength: 4 }), (params, md5s) => {
        const request = buildJobRequest(endpoints, params, md5s);
        expect(readJobRequestParams(query(request))).toStrictEqual(params);
        expect(parseCacheBody(request.body?.text ?? '')).toStrictEqual(md5s);
      }),
      { numRuns: 200 },
    );
  });

  it('heartbeat → readKeepAliveParams', () => {
    fc.assert(
      fc.property(keepAlive, (state) => {
        expect(readKeepAliveParams(query(buildKeepAlive(endpoints, state)))).toStrictEqual(state);
      }),
      { numRuns: 200 },
    );
  });

  it('farm validation_url → job answer → agent upload → readValidationParams', () => {
    const upload = fc.record(
      { renderTimeSeconds: count, memoryUsedKiB: count, cores: count },
      { ...options, requiredKeys: ['renderTimeSeconds'] },
    );
    fc.assert(
      fc.property(xmlText, xmlText, upload, (job, frame, facts) => {
        const validationUrl = appendQuery('https://farm.example/server/send_frame.php', { job, frame });
        const answer = renderJobRequestAnswer({ status: 0, files: [], job: sampleJob(validationUrl) });
        const parsedUrl = parseJobRequestAnswer(answer, 'text/xml').job?.validationUrl ?? '';
        const request = buildValidation(parsedUrl, { ...facts, filename: 'f.png', contentType: 'image/png' });
        expect(readValidationParams(query(request))).toStrictEqual({ job, frame, ...facts });
      }),
      { numRuns: 200 },
    );
  });

  it('error report → readErrorReportParams', () => {
    fc.assert(
      fc.property(errorReport, (report) => {
        const request = buildErrorReport(endpoints, { ...report, filename: 'farm_1.txt' });
        expect(readErrorReportParams(query(request))).toStrictEqual(report);
      }),
      { numRuns: 200 },
    );
  });

  it('speed-test answer → parseSpeedtestAnswer', () => {
    fc.assert(
      fc.property(speedtestResults, (results) => {
        const request = buildSpeedtestAnswer(endpoints, results);
        expect(parseSpeedtestAnswer(request.body?.text ?? '')).toStrictEqual(results);
      }),
      { numRuns: 200 },
    );
  });
});

function sampleJob(validationUrl: string) {
  return {
    id: '1',
    useGpu: false,
    archiveMd5: 'a'.repeat(32),
    path: 'p.blend',
    frame: '0001',
    synchronousUpload: false,
    validationUrl,
    name: 'n',
    password: '',
    renderer: { md5: 'b'.repeat(32), commandline: '.e -b .c -o .o -f .f', updateMethod: 'remainingtime' },
    script: 'import bpy',
  };
}
