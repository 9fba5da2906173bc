import { buildConfigRequest, parseConfigAnswer, parseJobValidateAnswer } from '@flock/protocol';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningFarm } from '../src/index';
import { CONFIG_PARAMS, TestClient } from './helpers/client';
import { png, testFarm } from './helpers/farm';

let farm: RunningFarm & { logs: string[] };
let client: TestClient;

beforeEach(async () => {
  farm = await testFarm({ maxUploadBytes: 64 * 1024 });
  await farm.addProject({ frames: [1, 5], resolution: [16, 12] });
  client = new TestClient(farm.url);
  await client.login();
});
afterEach(() => farm.close());

const warnings = () => farm.logs.filter((line) => line.includes(' WARN '));

async function post(url: string, body: string, contentType = 'text/plain'): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType, cookie: client.cookie ?? '' },
    body,
  });
}

describe('bad input gets its status, a log line, and the farm keeps serving', () => {
  it('login: bad number 104, unparsable body 100', async () => {
    const spec = buildConfigRequest(farm.url, CONFIG_PARAMS);
    const bad = await client.send({ ...spec, form: { ...spec.form, cpu_cores: 'many' } });
    expect(parseConfigAnswer(bad.text, bad.contentType).status).toBe(104);
    const garbage = await post(spec.url, '\u0000\u0001 not a form');
    expect(parseConfigAnswer(await garbage.text(), garbage.headers.get('content-type')).status).toBe(100);
    expect(warnings().length).toBeGreaterThanOrEqual(2);
  });

  it('job request: missing parameters 204; an unreadable <cache> body is ignored', async () => {
    const missing = await post(client.ends.requestJob, '<cache/>', 'application/xml');
    expect(await missing.text()).toContain('status="204"');
    const url = `${client.ends.requestJob}?computemethod=1&network_dl=0&network_up=0&ram_max=1&rendertime_max=0`;
    const garbage = await post(url, '<<<not xml', 'application/xml');
    expect(await garbage.text()).toContain('status="0"');
    expect(warnings().some((line) => line.includes('<cache>'))).toBe(true);
  });

  it('validation: 300 for missing parameters, unknown jobs and missing files', async () => {
    const job = await client.job();
    const answer = async (url: string, body?: FormData) => {
      const response = await fetch(url, { method: 'POST', headers: { cookie: client.cookie ?? '' }, body });
      return parseJobValidateAnswer(await response.text(), response.headers.get('content-type')).status;
    };
    const form = () => {
      const data = new FormData();
      data.append('file', new Blob([png(16, 12)], { type: 'image/png' }), 'x.png');
      return data;
    };
    expect(await answer(job.validationUrl, form())).toBe(300);
    expect(await answer(`${farm.url}/server/send_frame.php?job=99999&frame=0001&rendertime=1`, form())).toBe(
      300,
    );
    expect(await answer(`${farm.url}/server/send_frame.php?job=abc&frame=0001&rendertime=1`, form())).toBe(
      300,
    );
    expect(await answer(`${job.validationUrl}&rendertime=1`)).toBe(300);
    const wrongField = new FormData();
    wrongField.append('image', new Blob([png(16, 12)]), 'x.png');
    expect(await answer(`${job.validationUrl}&rendertime=1`, wrongField)).toBe(300);
    expect(await client.validate(job, png(16, 12))).toBe(0);
  });

  it('validation: 306 for an oversized upload, 302 for a non-image, 308 for a wrong size', async () => {
    const job = await client.job();
    const huge = new Uint8Array(200 * 1024).fill(7);
    expect(await client.validate(job, huge)).toBe(306);
    const next = await client.job();
    expect(await client.validate(next, new TextEncoder().encode('GIF89a nope'))).toBe(302);
    expect(await client.validate(next, png(12, 16))).toBe(308);
    expect(warnings().some((line) => line.includes('wrong dimension'))).toBe(true);
  });

  it('error report without a type: stored all the same, answered 300', async () => {
    const form = new FormData();
    form.append('file', new Blob(['the log']), 'farm_1.txt');
    const response = await fetch(client.ends.error, {
      method: 'POST',
      headers: { cookie: client.cookie ?? '' },
      body: form,
    });
    expect(await response.text()).toContain('status="300"');
    expect(farm.errorReports()).toEqual([expect.objectContaining({ type: null, log: 'the log' })]);
  });

  it('heartbeat with a bad paused value, downloads of nonsense, a garbage speed-test answer', async () => {
    const heartbeat = await fetch(`${client.ends.keepAlive}?paused=maybe`, {
      headers: { cookie: client.cookie ?? '' },
    });
    expect(await heartbeat.text()).toContain('status="0"');
    const session = { headers: { cookie: client.cookie ?? '' } };
    expect((await fetch(`${client.ends.downloadArchive}?type=job&job=abc`, session)).status).toBe(404);
    expect((await fetch(`${client.ends.downloadArchive}?job=100`, session)).status).toBe(404);
    expect((await post(`${farm.url}/server/speedtest.php`, 'no xml here', 'application/xml')).status).toBe(
      400,
    );
  });

  it('survives random queries and bodies on every endpoint (fuzzed)', async () => {
    const paths = [
      '/server/config.php',
      '/server/request_job.php',
      '/server/archive.php',
      '/server/keepmealive.php',
      '/server/send_frame.php',
      '/server/error.php',
      '/server/speedtest.php',
      '/account.php',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.dictionary(
          fc.constantFrom('job', 'frame', 'type', 'rendertime', 'paused', 'login', 'version', 'mode'),
          fc.string(),
        ),
        fc.string({ maxLength: 300 }),
        fc.constantFrom(
          'application/xml',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data',
        ),
        async (path, query, body, contentType) => {
          const response = await post(`${farm.url}${path}?${new URLSearchParams(query)}`, body, contentType);
          await response.arrayBuffer();
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    const spec = buildConfigRequest(farm.url, CONFIG_PARAMS);
    const still = await client.send(spec);
    expect(parseConfigAnswer(still.text, still.contentType).status).toBe(0);
  });
});
