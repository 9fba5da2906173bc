import { describe, expect, it } from 'vitest';
import {
  buildConfigRequest,
  parseCacheBody,
  parseSpeedtestAnswer,
  readConfigParams,
  readErrorReportParams,
  readJobRequestParams,
  readKeepAliveParams,
  readValidationParams,
} from '../src/index';
import { expectProtocolError, fixture, sampleConfigParams } from './helpers';

const loginForm = buildConfigRequest('https://farm.example', sampleConfigParams).form ?? {};
const without = (fields: Record<string, string>, name: string) =>
  Object.fromEntries(Object.entries(fields).filter(([key]) => key !== name));

describe('readConfigParams', () => {
  it('reads a login from a form record and from URLSearchParams (GET)', () => {
    expect(readConfigParams(loginForm)).toStrictEqual(sampleConfigParams);
    expect(readConfigParams(new URLSearchParams(loginForm))).toStrictEqual(sampleConfigParams);
  });

  it.each([
    'login',
    'password',
    'version',
    'os',
    'os_version',
    'bits',
    'cpu_family',
    'cpu_model',
    'cpu_model_name',
    'cpu_cores',
    'ram',
    'headless',
    'hwid',
  ])('names the missing parameter %s (farm answers 104, or 100 for version)', (name) => {
    expectProtocolError(
      () => readConfigParams(without(loginForm, name)),
      'missing-parameter',
      new RegExp(`^${name}$`),
    );
  });

  it('checks version first so a bare request is answered 100', () => {
    expectProtocolError(() => readConfigParams({}), 'missing-parameter', /^version$/);
  });

  it('accepts the optional fields missing and an empty extras as none', () => {
    const minimal = ['ram_max', 'hostname', 'ui', 'extras'].reduce(without, loginForm);
    const { ramMaxKiB: _r, hostname: _h, ui: _u, ...expected } = sampleConfigParams;
    expect(readConfigParams(minimal)).toStrictEqual(expected);
  });

  it.each([
    ['1', true],
    ['true', true],
    ['0', false],
    ['false', false],
  ])('reads headless=%s (official client digits, Rust client words)', (value, headless) => {
    expect(readConfigParams({ ...loginForm, headless: value }).headless).toBe(headless);
  });

  it('refuses bad numbers and booleans', () => {
    expectProtocolError(
      () => readConfigParams({ ...loginForm, cpu_cores: 'many' }),
      'bad-number',
      /cpu_cores="many"/,
    );
    expectProtocolError(() => readConfigParams({ ...loginForm, ram: '' }), 'bad-number', /ram=""/);
    expectProtocolError(
      () => readConfigParams({ ...loginForm, headless: 'yes' }),
      'invalid-value',
      /headless/,
    );
  });

  it('takes the first of repeated parameters', () => {
    expect(readConfigParams({ ...loginForm, login: ['bob', 'eve'] }).login).toBe('bob');
  });
});

describe('readJobRequestParams', () => {
  const query = {
    computemethod: '1',
    network_dl: '100',
    network_up: '50',
    ram_max: '2048',
    rendertime_max: '600',
  };

  it('reads a CPU job request', () => {
    expect(readJobRequestParams(query)).toStrictEqual({
      computeMethod: 1,
      networkDl: 100,
      networkUp: 50,
      memoryKiB: 2048,
      maxFrameTimeSeconds: 600,
    });
  });

  it("reads the official client's rendertime_max=-1 as no limit (0)", () => {
    expect(readJobRequestParams({ ...query, rendertime_max: '-1' }).maxFrameTimeSeconds).toBe(0);
  });

  it('reads the GPU when gpu_model is sent, and then needs type and memory', () => {
    const gpu = { gpu_model: 'RTX 3060', gpu_type: 'CUDA', gpu_ram: '12000000000' };
    expect(readJobRequestParams({ ...query, ...gpu }).gpu).toEqual({
      type: 'CUDA',
      model: 'RTX 3060',
      ramBytes: 12e9,
    });
    expectProtocolError(
      () => readJobRequestParams({ ...query, gpu_model: 'RTX' }),
      'missing-parameter',
      /^gpu_type$/,
    );
  });

  it('refuses an unknown compute method and missing parameters', () => {
    expectProtocolError(
      () => readJobRequestParams({ ...query, computemethod: '3' }),
      'invalid-value',
      /computemethod/,
    );
    expectProtocolError(
      () => readJobRequestParams(without(query, 'ram_max')),
      'missing-parameter',
      /^ram_max$/,
    );
  });
});

describe('parseCacheBody', () => {
  it('lists the cached MD5s', () => {
    expect(parseCacheBody(fixture('cache.xml'))).toEqual([
      '05234503229a4660e428e8d227746d8d',
      'db26b54689516484633b7d4855fb1567',
    ]);
  });

  it('reads an empty cache and a missing body (Rust client) as none', () => {
    expect(parseCacheBody('<cache/>')).toEqual([]);
    expect(parseCacheBody('')).toEqual([]);
  });

  it('refuses malformed bodies', () => {
    expectProtocolError(
      () => parseCacheBody('<cache><file/></cache>'),
      'missing-attribute',
      '"md5" on <file>',
    );
    expectProtocolError(() => parseCacheBody('<files/>'), 'wrong-root');
    expectProtocolError(() => parseCacheBody('<cache>'), 'not-xml');
  });
});

describe('readKeepAliveParams', () => {
  it("reads an idle heartbeat, and a 2020 client's one without paused as not paused", () => {
    expect(readKeepAliveParams({ paused: 'true' })).toStrictEqual({ paused: true });
    expect(readKeepAliveParams({})).toStrictEqual({ paused: false });
  });

  it('reads the current job and needs its frame', () => {
    const query = new URLSearchParams('paused=false&frame=0007&job=12&rendertime=61&remainingtime=30');
    expect(readKeepAliveParams(query)).toStrictEqual({
      paused: false,
      job: { id: '12', frame: '0007', renderTimeSeconds: 61, remainingSeconds: 30 },
    });
    expectProtocolError(
      () => readKeepAliveParams({ paused: 'false', job: '12' }),
      'missing-parameter',
      /^frame$/,
    );
  });
});

describe('readValidationParams', () => {
  it('reads the farm job and frame plus what the client appended', () => {
    const query = new URL('https://f/send_frame.php?job=12&frame=0007&rendertime=95&memoryused=2048&cores=4')
      .searchParams;
    expect(readValidationParams(query)).toStrictEqual({
      job: '12',
      frame: '0007',
      renderTimeSeconds: 95,
      memoryUsedKiB: 2048,
      cores: 4,
    });
  });

  it.each(['job', 'frame', 'rendertime'])('names a missing %s (farm answers 300)', (name) => {
    const query = without({ job: '12', frame: '0007', rendertime: '95' }, name);
    expectProtocolError(() => readValidationParams(query), 'missing-parameter', new RegExp(`^${name}$`));
  });
});

describe('readErrorReportParams', () => {
  it('reads a report with and without a job', () => {
    expect(readErrorReportParams({ type: '0' })).toStrictEqual({ type: 0 });
    expect(
      readErrorReportParams({ type: '24', job: '12', frame: '0003', render_time: '5', memoryused: '10' }),
    ).toStrictEqual({
      type: 24,
      job: { id: '12', frame: '0003', renderTimeSeconds: 5, memoryUsedKiB: 10 },
    });
  });

  it('needs a numeric type', () => {
    expectProtocolError(() => readErrorReportParams({ type: '' }), 'bad-number');
    expectProtocolError(() => readErrorReportParams({ job: '1' }), 'missing-parameter', /^type$/);
  });
});

describe('parseSpeedtestAnswer', () => {
  it('reads the results of the sample', () => {
    expect(parseSpeedtestAnswer(fixture('speedtest.xml'))).toEqual([
      { target: 'https://mirror-a.example/scene/speedtest.zip', speed: 724155, ping: 26 },
      { target: 'https://mirror-b.example/scene/speedtest.zip', speed: 674325, ping: 33 },
    ]);
  });

  it('refuses a result without speed', () => {
    expectProtocolError(
      () => parseSpeedtestAnswer('<speedtest><result target="x" ping="1"/></speedtest>'),
      'missing-attribute',
      /speed/,
    );
  });
});
