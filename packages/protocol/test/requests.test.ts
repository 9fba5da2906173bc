import { describe, expect, it } from 'vitest';
import {
  appendQuery,
  buildConfigRequest,
  buildDownloadRequest,
  buildErrorReport,
  buildJobRequest,
  buildKeepAlive,
  buildLogout,
  buildSpeedtestAnswer,
  buildValidation,
  computeMethodCode,
  computeMethodName,
  type Endpoints,
  endpointsFromConfig,
  joinUrl,
  parseConfigAnswer,
} from '../src/index';
import { expectProtocolError, fixture, sampleConfigParams } from './helpers';

const SERVER = 'https://farm.example';
const endpoints: Endpoints = endpointsFromConfig(SERVER, parseConfigAnswer(fixture('config.valid.xml')));

describe('compute methods', () => {
  it('have their wire codes: 0 CPU or GPU, 1 CPU only, 2 GPU only', () => {
    expect([computeMethodCode('cpu_gpu'), computeMethodCode('cpu'), computeMethodCode('gpu')]).toEqual([
      0, 1, 2,
    ]);
    for (const code of [0, 1, 2] as const) expect(computeMethodCode(computeMethodName(code))).toBe(code);
  });
});

describe('URL helpers', () => {
  it('joins base and path verbatim, without doubling the slash', () => {
    expect(joinUrl('https://farm.example/', '/server/a.php')).toBe('https://farm.example/server/a.php');
    expect(joinUrl('https://farm.example', '/account.php?mode=logout&worker=1')).toBe(
      'https://farm.example/account.php?mode=logout&worker=1',
    );
  });

  it('appends with ? or &, percent-encodes, and leaves out undefined values', () => {
    expect(appendQuery('https://f/x.php', { a: 'b c', d: undefined, e: true, n: 7.6 })).toBe(
      'https://f/x.php?a=b%20c&e=true&n=8',
    );
    expect(appendQuery('https://f/x.php?job=1', { r: '&=?' })).toBe('https://f/x.php?job=1&r=%26%3D%3F');
    expect(appendQuery('https://f/x.php', {})).toBe('https://f/x.php');
  });
});

describe('buildConfigRequest', () => {
  it('POSTs every login parameter form-encoded to /server/config.php', () => {
    expect(buildConfigRequest(`${SERVER}/`, sampleConfigParams)).toEqual({
      method: 'POST',
      url: 'https://farm.example/server/config.php',
      form: {
        login: 'alice',
        password: 'p@ss word&=',
        cpu_family: '6',
        cpu_model: '158',
        cpu_model_name: 'Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz',
        cpu_cores: '12',
        os: 'linux',
        os_version: 'linux debian 12',
        ram: '32000000',
        ram_max: '16000000',
        bits: '64bit',
        version: '7.25001.0',
        hostname: 'render-01',
        ui: 'flock',
        extras: '',
        headless: '1',
        hwid: '1f2e3d',
      },
      expect: 'xml',
    });
  });

  it('leaves out optional fields that are not set and sends headless as 0', () => {
    const { ramMaxKiB: _r, hostname: _h, ui: _u, ...minimal } = sampleConfigParams;
    const form = buildConfigRequest(SERVER, { ...minimal, headless: false }).form ?? {};
    expect(Object.keys(form)).not.toContain('ram_max');
    expect(Object.keys(form)).not.toContain('hostname');
    expect(form.headless).toBe('0');
  });
});

describe('endpointsFromConfig', () => {
  it('makes absolute URLs from the config paths', () => {
    expect(endpoints).toEqual({
      requestJob: 'https://farm.example/server/request_job.php',
      downloadArchive: 'https://farm.example/server/archive.php',
      error: 'https://farm.example/server/error.php',
      keepAlive: 'https://farm.example/server/keepmealive.php',
      logout: 'https://farm.example/account.php?mode=logout&worker=1',
      speedtestAnswer: 'https://farm.example/server/speedtest.php',
      maxPeriodSeconds: 1440,
      extra: {},
    });
  });

  it('puts request types it does not use into extra', () => {
    const g3 = endpointsFromConfig(SERVER, parseConfigAnswer(fixture('config.g3.xml')));
    expect(g3.extra).toEqual({
      'download-binary': 'https://farm.example/server/binary.php',
      'download-chunk': 'https://farm.example/server/chunk.php',
    });
    expect(g3.maxPeriodSeconds).toBe(900);
  });

  it.each(['request-job', 'download-archive', 'error', 'keepmealive', 'logout'])(
    'refuses a config without %s',
    (type) => {
      const config = parseConfigAnswer(fixture('config.valid.xml'));
      const without = { ...config, requests: config.requests.filter((request) => request.type !== type) };
      expectProtocolError(() => endpointsFromConfig(SERVER, without), 'invalid-value', `"${type}"`);
    },
  );
});

describe('client requests', () => {
  it('sends speed-test results as the <speedtest> XML', () => {
    const results = [
      { target: 'https://mirror-a.example/scene/speedtest.zip', speed: 724155.4, ping: 26 },
      { target: 'https://mirror-b.example/scene/speedtest.zip', speed: 674325, ping: 33 },
    ];
    expect(buildSpeedtestAnswer(endpoints, results)).toEqual({
      method: 'POST',
      url: 'https://farm.example/server/speedtest.php',
      body: { contentType: 'application/xml; charset=utf-8', text: fixture('speedtest.xml').trimEnd() },
      expect: 'any',
    });
    expectProtocolError(
      () => buildSpeedtestAnswer({ ...endpoints, speedtestAnswer: undefined }, results),
      'invalid-value',
    );
  });

  it('requests a job with query parameters and the <cache> body', () => {
    const params = {
      computeMethod: 0,
      networkDl: 1000,
      networkUp: 500,
      cores: 8,
      memoryKiB: 4096,
      maxFrameTimeSeconds: 0,
    } as const;
    const request = buildJobRequest(
      endpoints,
      { ...params, gpu: { type: 'CUDA', model: 'RTX 3060', ramBytes: 12e9 } },
      ['05234503229a4660e428e8d227746d8d', 'db26b54689516484633b7d4855fb1567'],
    );
    expect(request.method).toBe('POST');
    expect(request.url).toBe(
      'https://farm.example/server/request_job.php?computemethod=0&network_dl=1000&network_up=500&cpu_cores=8&ram_max=4096' +
        '&rendertime_max=0&gpu_model=RTX%203060&gpu_ram=12000000000&gpu_type=CUDA',
    );
    expect(request.body).toEqual({
      contentType: 'application/xml; charset=utf-8',
      text: fixture('cache.xml').trimEnd(),
    });
    expect(buildJobRequest(endpoints, params, []).body?.text).toBe('<cache/>');
  });

  it('downloads archives with type and job', () => {
    expect(buildDownloadRequest(endpoints, 'binary', '116372253')).toEqual({
      method: 'GET',
      url: 'https://farm.example/server/archive.php?type=binary&job=116372253',
      expect: 'binary',
    });
    expect(buildDownloadRequest(endpoints, 'job', '7').url).toBe(
      'https://farm.example/server/archive.php?type=job&job=7',
    );
  });

  it('sends heartbeats with paused always and the job when there is one', () => {
    expect(buildKeepAlive(endpoints, { paused: false })).toEqual({
      method: 'GET',
      url: 'https://farm.example/server/keepmealive.php?paused=false',
      expect: 'xml',
    });
    const job = { id: '12', frame: '0007', renderTimeSeconds: 61, remainingSeconds: 30 };
    expect(buildKeepAlive(endpoints, { paused: true, job }).url).toBe(
      'https://farm.example/server/keepmealive.php?paused=true&frame=0007&job=12&rendertime=61&remainingtime=30',
    );
  });

  it('uploads a frame to the decoded validation_url with & and the render facts (whole seconds)', () => {
    const url = 'https://farm.example/server/send_frame.php?job=116372253&frame=0007';
    const upload = {
      renderTimeSeconds: 94.6, // the agent keeps render times exact; the wire carries whole seconds
      memoryUsedKiB: 204800,
      cores: 4,
      filename: '116372253_0007.png',
      contentType: 'image/png',
    };
    expect(buildValidation(url, upload)).toEqual({
      method: 'POST',
      url: `${url}&rendertime=95&memoryused=204800&cores=4`,
      multipart: {
        fields: {},
        file: { field: 'file', filename: '116372253_0007.png', contentType: 'image/png' },
      },
      expect: 'xml',
    });
  });

  it('reports errors as multipart with type, frame, job, render_time and memoryused', () => {
    const withJob = buildErrorReport(endpoints, {
      type: 24,
      job: { id: '12', frame: '0003', renderTimeSeconds: 5.2, memoryUsedKiB: 1000 },
      filename: 'farm_1234.txt',
    });
    expect(withJob.url).toBe(
      'https://farm.example/server/error.php?type=24&frame=0003&job=12&render_time=5&memoryused=1000',
    );
    expect(withJob.method).toBe('POST');
    expect(withJob.multipart?.file).toEqual({
      field: 'file',
      filename: 'farm_1234.txt',
      contentType: 'text/plain',
    });
    expect(buildErrorReport(endpoints, { type: 0, filename: 'farm_1.txt' }).url).toBe(
      'https://farm.example/server/error.php?type=0',
    );
  });

  it('logs out with a plain GET of the logout path, its query intact', () => {
    expect(buildLogout(endpoints)).toEqual({
      method: 'GET',
      url: 'https://farm.example/account.php?mode=logout&worker=1',
      expect: 'any',
    });
  });
});
