import { createHash } from 'node:crypto';
import {
  buildConfigRequest,
  buildJobRequest,
  buildKeepAlive,
  isProtocolError,
  JobRequestStatus,
  parseConfigAnswer,
  parseKeepAliveAnswer,
  ValidationStatus,
  validationStatus,
} from '@flock/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualFarmClock, parseFaultSpec } from '../src/index';
import { CONFIG_PARAMS, JOB_PARAMS, TestClient } from './helpers/client';
import { png, testFarm } from './helpers/farm';

let farm: Awaited<ReturnType<typeof testFarm>>;
let clock: ManualFarmClock;
let client: TestClient;

beforeEach(async () => {
  clock = new ManualFarmClock();
  farm = await testFarm({ clock });
  await farm.addProject({ frames: [1, 5] });
  client = new TestClient(farm.url);
  await client.login();
});
afterEach(() => farm.close());

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

describe('fault injection', () => {
  it('forces a job-request status for a window of farm time (maintenance)', async () => {
    farm.faults.add({ kind: 'status', endpoint: 'request-job', status: 206, forMs: 60_000 });
    expect((await client.requestJob()).status).toBe(JobRequestStatus.MAINTENANCE);
    expect((await client.requestJob()).status).toBe(JobRequestStatus.MAINTENANCE);
    clock.advance(60_000);
    expect((await client.requestJob()).status).toBe(JobRequestStatus.OK);
  });

  it('forces any job-request status a given number of times', async () => {
    for (const status of [200, 201, 203, 204, 205, 207, 208]) {
      farm.faults.add({ kind: 'status', endpoint: 'request-job', status, times: 1 });
      expect((await client.requestJob()).status).toBe(status);
    }
    expect((await client.requestJob()).status).toBe(0);
    expect(farm.faults.list()).toEqual([]);
  });

  it('answers heartbeat 400 for one job only', async () => {
    const doomed = await client.job();
    const other = await client.job();
    farm.faults.add({ kind: 'status', endpoint: 'keepmealive', status: 400, jobId: doomed.id });
    expect(await client.keepAlive(doomed)).toBe(400);
    expect(await client.keepAlive(other)).toBe(0);
  });

  it('forces a validation answer and keeps the queue in step (301 re-queues the frame)', async () => {
    const job = await client.job();
    farm.faults.add({ kind: 'status', endpoint: 'validation', status: 301, times: 1 });
    expect(await client.validate(job, png(64, 48))).toBe(ValidationStatus.BROKEN_FRAME);
    expect(farm.frames(1)[0]?.state).toBe('waiting');
    farm.faults.add({ kind: 'status', endpoint: 'validation', status: 303, times: 1 });
    const next = await client.job();
    expect(await client.validate(next, png(64, 48))).toBe(303);
    expect(await client.validate(next, png(64, 48))).toBe(0);
  });

  it('re-queues a frame on exactly the validation statuses a client gives the frame up on', async () => {
    await farm.addProject({ frames: [1, 10] });
    for (let status = 300; status <= 309; status += 1) {
      const job = await client.job();
      const row = farm.jobs().find((candidate) => String(candidate.id) === job.id);
      const frame = () =>
        farm.frames(row?.projectId ?? 0).find((candidate) => candidate.number === row?.frame);
      farm.faults.add({ kind: 'status', endpoint: 'validation', status, times: 1 });
      expect(await client.validate(job, png(64, 48))).toBe(status);
      const clientGivesUp = validationStatus(status).reaction.kind === 'final';
      expect(frame()?.state, `after ${status}`).toBe(clientGivesUp ? 'waiting' : 'rendering');
      // a client that retries gets its frame accepted
      if (!clientGivesUp) expect(await client.validate(job, png(64, 48))).toBe(0);
    }
  });

  it('answers HTTP 5xx', async () => {
    farm.faults.add({ kind: 'http-status', endpoint: 'request-job', status: 503, times: 1 });
    await expect(client.requestJob()).rejects.toSatisfy(isProtocolError);
    const spec = buildKeepAlive(client.ends, { paused: false });
    farm.faults.add({ kind: 'http-status', endpoint: 'keepmealive', status: 500, times: 1 });
    expect((await client.send(spec)).status).toBe(500);
  });

  it('answers HTML instead of XML, and XML under a wrong content type', async () => {
    farm.faults.add({ kind: 'not-xml', endpoint: 'config', times: 1 });
    const html = await new TestClient(farm.url).send(buildConfigRequest(farm.url, CONFIG_PARAMS));
    expect(html.contentType).toBe('text/html; charset=utf-8');
    expect(() => parseConfigAnswer(html.text, html.contentType)).toThrow(
      expect.objectContaining({ kind: 'wrong-content-type' }),
    );
    farm.faults.add({
      kind: 'wrong-content-type',
      endpoint: 'keepmealive',
      contentType: 'application/xml',
      times: 1,
    });
    const answer = await client.send(buildKeepAlive(client.ends, { paused: false }));
    expect(answer.contentType).toBe('application/xml');
    expect(parseKeepAliveAnswer(answer.text).status).toBe(0);
    expect(() => parseKeepAliveAnswer(answer.text, answer.contentType)).toThrow(
      expect.objectContaining({ kind: 'wrong-content-type' }),
    );
  });

  it('truncates a download and drops a connection mid-body', async () => {
    const job = await client.job();
    farm.faults.add({ kind: 'truncate', endpoint: 'download-job', times: 1 });
    await expect(client.download('job', job.id)).rejects.toThrow();
    farm.faults.add({ kind: 'drop-connection', endpoint: 'request-job', afterBytes: 50, times: 1 });
    await expect(client.requestJob()).rejects.toThrow();
    const whole = await client.download('job', job.id);
    expect(md5(whole.bytes)).toBe(job.archiveMd5);
    const cut = farm.logs.filter((line) =>
      line.includes('cut="connection closed before the answer was complete"'),
    );
    expect(cut.map((line) => line.split(' ')[4])).toEqual(['/server/archive.php', '/server/request_job.php']);
  });

  it('serves an archive whose MD5 differs from the advertised one', async () => {
    const job = await client.job();
    farm.faults.add({ kind: 'wrong-md5', endpoint: 'download-binary', times: 1 });
    const corrupt = await client.download('binary', job.id);
    expect(corrupt.status).toBe(200);
    expect(md5(corrupt.bytes)).not.toBe(job.renderer.md5);
    expect(md5((await client.download('binary', job.id)).bytes)).toBe(job.renderer.md5);
  });

  it('sends slowly (bytes/s) and delays answers, with the right content in the end', async () => {
    const job = await client.job();
    farm.faults.add({ kind: 'slow', endpoint: 'download-binary', bytesPerSecond: 10_000, times: 1 });
    const response = await fetch(`${client.ends.downloadArchive}?type=binary&job=${job.id}`, {
      headers: { cookie: client.cookie ?? '' },
    });
    const reader = response.body?.getReader();
    const chunks: Uint8Array[] = [];
    for (let read = await reader?.read(); read && !read.done; read = await reader?.read())
      chunks.push(read.value);
    expect(chunks.length).toBeGreaterThan(1);
    expect(md5(Buffer.concat(chunks))).toBe(job.renderer.md5);
    farm.faults.add({ kind: 'delay', endpoint: 'keepmealive', ms: 120, times: 1 });
    const started = performance.now();
    expect(await client.keepAlive(job)).toBe(0);
    // A lower bound on a deliberate sleep: not a speed assertion.
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('stops a slow answer when the client hangs up, and keeps serving', async () => {
    const job = await client.job();
    farm.faults.add({ kind: 'slow', endpoint: 'download-job', bytesPerSecond: 2_000, times: 1 });
    const abort = new AbortController();
    const response = await fetch(`${client.ends.downloadArchive}?type=job&job=${job.id}`, {
      headers: { cookie: client.cookie ?? '' },
      signal: abort.signal,
    });
    await response.body?.getReader().read();
    abort.abort();
    await expect
      .poll(() => farm.logs.some((line) => line.includes('/server/archive.php') && line.includes('cut=')))
      .toBe(true);
    expect(await client.keepAlive(job)).toBe(0);
  });

  it('rewrites the text of an XML answer, e.g. to send hostile values', async () => {
    const hostile = '../../../../../../tmp/important';
    farm.faults.add({
      kind: 'rewrite-answer',
      endpoint: 'request-job',
      pattern: 'archive_md5="[^"]*"',
      replacement: `archive_md5="${hostile}"`,
      times: 1,
    });
    const request = buildJobRequest(client.ends, JOB_PARAMS, []);
    const rewritten = await client.send(request);
    expect(rewritten.contentType).toBe('text/xml; charset=utf-8');
    expect(rewritten.text).toContain(`archive_md5="${hostile}"`);
    expect((await client.send(request)).text).toMatch(/archive_md5="[0-9a-f]{32}"/);
    expect(() => parseFaultSpec({ kind: 'rewrite-answer', endpoint: 'config', pattern: '(' })).toThrow(
      /pattern/,
    );
  });

  it('is driven through the admin API with the admin token', async () => {
    const auth = `Bearer ${farm.adminToken}`;
    const post = (body: unknown, authorization = auth) =>
      fetch(`${farm.url}/admin/faults`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const spec = { kind: 'status', endpoint: 'request-job', status: 207 };
    expect((await post(spec, `Basic ${Buffer.from('demo:demo').toString('base64')}`)).status).toBe(401);
    expect((await post({ kind: 'status', endpoint: 'nowhere', status: 1 })).status).toBe(400);
    const created = await post(spec);
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    expect((await client.requestJob()).status).toBe(JobRequestStatus.OVERLOADED);
    const listed = (await (
      await fetch(`${farm.url}/admin/faults`, { headers: { authorization: auth } })
    ).json()) as {
      id: number;
      hits: number;
    }[];
    expect(listed).toEqual([expect.objectContaining({ id, hits: 1 })]);
    const removed = await fetch(`${farm.url}/admin/faults/${id}`, {
      method: 'DELETE',
      headers: { authorization: auth },
    });
    expect(removed.status).toBe(200);
    expect((await client.requestJob()).status).toBe(0);
  });

  it('refuses a malformed fault with a readable message', () => {
    expect(() => parseFaultSpec('{"kind":"slow","endpoint":"request-job"}')).toThrow(/bytesPerSecond/);
    expect(() => parseFaultSpec('not json')).toThrow(/not JSON/);
  });
});
