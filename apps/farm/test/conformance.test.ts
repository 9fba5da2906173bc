import { createHash } from 'node:crypto';
import {
  buildConfigRequest,
  buildJobRequest,
  buildSpeedtestAnswer,
  ConfigStatus,
  JobRequestStatus,
  KeepAliveStatus,
  parseConfigAnswer,
  parseJobRequestAnswer,
  ValidationStatus,
  XML_CONTENT_TYPE,
} from '@flock/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDITS_PER_FRAME, ManualFarmClock, type RunningFarm } from '../src/index';
import { CONFIG_PARAMS, frameNumber, JOB_PARAMS, TestClient } from './helpers/client';
import { png, testFarm } from './helpers/farm';

let farm: RunningFarm;
let client: TestClient;

beforeEach(async () => {
  farm = await testFarm();
  client = new TestClient(farm.url);
});
afterEach(() => farm.close());

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

describe('session creation (config)', () => {
  it('answers a POST login with every endpoint, max-period, speed-test targets and a public key', async () => {
    const answer = await client.send(buildConfigRequest(farm.url, CONFIG_PARAMS));
    expect(answer.contentType).toBe(XML_CONTENT_TYPE);
    expect(answer.text).toContain('path="/account.php?mode=logout&amp;worker=1"');
    const config = parseConfigAnswer(answer.text, answer.contentType);
    expect(config.status).toBe(ConfigStatus.OK);
    expect(config.publicKey).toMatch(/^[0-9a-f]{32}$/);
    expect(config.requests.map((request) => request.type).sort()).toEqual(
      ['download-archive', 'error', 'keepmealive', 'logout', 'request-job', 'speedtest-answer'].sort(),
    );
    expect(config.requests.find((request) => request.type === 'keepmealive')?.maxPeriod).toBe(1440);
    expect(config.speedtestTargets).toHaveLength(3);
    expect(client.cookie).toMatch(/^PHPSESSID=[0-9a-f]{32}$/);
  });

  it('accepts a GET login with the parameters in the query, and the public key as password', async () => {
    const post = buildConfigRequest(farm.url, CONFIG_PARAMS);
    const url = `${post.url}?${new URLSearchParams(post.form)}`;
    const answer = await client.send({ method: 'GET', url, expect: 'xml' });
    const config = parseConfigAnswer(answer.text, answer.contentType);
    expect(config.status).toBe(0);
    const again = await new TestClient(farm.url).send(
      buildConfigRequest(farm.url, { ...CONFIG_PARAMS, password: config.publicKey ?? '' }),
    );
    expect(parseConfigAnswer(again.text, again.contentType).status).toBe(0);
  });

  it('answers 102 for a wrong password, 100 without version, 104 for another missing parameter', async () => {
    const wrong = await client.send(buildConfigRequest(farm.url, { ...CONFIG_PARAMS, password: 'nope' }));
    expect(parseConfigAnswer(wrong.text, wrong.contentType).status).toBe(ConfigStatus.AUTHENTICATION_FAILED);
    const spec = buildConfigRequest(farm.url, CONFIG_PARAMS);
    const withoutVersion = { ...spec.form };
    delete withoutVersion.version;
    const noVersion = await client.send({ ...spec, form: withoutVersion });
    expect(parseConfigAnswer(noVersion.text, noVersion.contentType).status).toBe(ConfigStatus.NO_VERSION);
    const withoutHwid = { ...spec.form };
    delete withoutHwid.hwid;
    const noHwid = await client.send({ ...spec, form: withoutHwid });
    expect(parseConfigAnswer(noHwid.text, noHwid.contentType).status).toBe(ConfigStatus.MISSING_PARAMETER);
    expect(client.cookie).toBeUndefined();
  });
});

describe('speed test', () => {
  it('serves the payload at each target and answers speedtest-answer with HTTP 200', async () => {
    const answer = await client.send(buildConfigRequest(farm.url, CONFIG_PARAMS));
    const config = parseConfigAnswer(answer.text, answer.contentType);
    const endpoints = await client.login();
    for (const target of config.speedtestTargets) {
      const payload = await fetch(target);
      expect(payload.status).toBe(200);
      expect((await payload.arrayBuffer()).byteLength).toBe(256 * 1024);
    }
    const results = config.speedtestTargets.map((target, index) => ({
      target,
      speed: 1000 - index,
      ping: 3,
    }));
    const posted = await client.send(buildSpeedtestAnswer(endpoints, results));
    expect(posted.status).toBe(200);
    expect(farm.sessions().at(-1)?.speedtest).toEqual(results);
  });
});

describe('job request, downloads, heartbeat, validation, error report, logout', () => {
  it('hands out a complete job whose archives download with the advertised MD5s', async () => {
    const project = await farm.addProject({ frames: [7, 9], name: 'Shot 7' });
    await client.login();
    const raw = await client.send(buildJobRequest(client.ends, JOB_PARAMS, []));
    expect(raw.contentType).toBe(XML_CONTENT_TYPE);
    expect(raw.text).toMatch(
      /validation_url="http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fserver%2Fsend_frame\.php%3Fjob%3D100%26frame%3D0007"/,
    );
    expect(raw.text).toContain('extras=""');
    const answer = parseJobRequestAnswer(raw.text, raw.contentType);
    expect(answer.status).toBe(JobRequestStatus.OK);
    expect(answer.stats).toMatchObject({
      creditsSession: 0,
      frameRemaining: 3,
      waitingProject: 1,
      connectedMachine: 1,
    });
    const job = answer.job;
    if (!job) throw new Error('no job');
    expect(job).toMatchObject({
      id: '100',
      frame: '0007',
      useGpu: false,
      path: 'scene.blend',
      archiveMd5: project.archiveMd5,
      password: project.archivePassword,
      synchronousUpload: false,
      name: 'Shot 7 (synthetic)',
      extras: '',
    });
    expect(job.validationUrl).toBe(`${farm.url}/server/send_frame.php?job=100&frame=0007`);
    expect(job.renderer.commandline).toBe(
      '.e --factory-startup --disable-autoexec -noaudio -b .c --engine CYCLES -o .o -f .f -x 1',
    );
    expect(job.renderer.updateMethod).toBe('remainingtime');
    expect(job.script).toContain('def sheepit_set_compute_device(device_type, device_family, device_id):');
    expect(job.script).toContain('scene.render.resolution_x = 64');
    expect(job.script).toContain('scene.cycles.use_denoising = False');

    const binary = await client.download('binary', job.id);
    expect(binary.status).toBe(200);
    expect(md5(binary.bytes)).toBe(job.renderer.md5);
    const archive = await client.download('job', job.id);
    expect(archive.status).toBe(200);
    expect(md5(archive.bytes)).toBe(job.archiveMd5);
    expect((await client.download('job', '99999')).status).toBe(404);
    expect(
      (
        await client.send({
          method: 'GET',
          url: `${client.ends.downloadArchive}?type=other&job=100`,
          expect: 'binary',
        })
      ).status,
    ).toBe(404);
  });

  it('serves archives only to a live session (the cookie of a login), like the real farm', async () => {
    await farm.addProject({ frames: [1, 1] });
    await client.login();
    const job = await client.job();
    const url = `${client.ends.downloadArchive}?type=job&job=${job.id}`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toMatch(/session/);
    expect((await fetch(url, { headers: { cookie: 'PHPSESSID=forged' } })).status).toBe(403);
    expect((await fetch(url, { headers: { cookie: client.cookie ?? '' } })).status).toBe(200);
    await client.logout();
    expect((await client.download('job', job.id)).status).toBe(403);
  });

  it('uses the GPU when the client offers one and does not ask for CPU only', async () => {
    await farm.addProject({ frames: [1, 1] });
    await client.login();
    const gpu = { type: 'CUDA', model: 'RTX', ramBytes: 8e9 };
    const answer = await client.requestJob([], { computeMethod: 0, gpu });
    expect(answer.job?.useGpu).toBe(true);
  });

  it('answers 205 to clients whose OS the farm has no renderer for', async () => {
    await farm.addProject({ frames: [1, 1] });
    await client.login({ os: 'windows', osVersion: 'windows 10 build 19045' });
    expect((await client.requestJob()).status).toBe(JobRequestStatus.NO_RENDERER);
  });

  it('answers 202 to a job request without a session', async () => {
    await client.login();
    client.cookie = undefined;
    expect((await client.requestJob()).status).toBe(JobRequestStatus.SESSION_DEAD);
  });

  it('hands out at most 3 unvalidated jobs per session, then 200 with stats', async () => {
    await farm.addProject({ frames: [1, 10] });
    await client.login();
    for (let index = 0; index < 3; index += 1) expect((await client.requestJob()).status).toBe(0);
    const fourth = await client.requestJob();
    expect(fourth.status).toBe(JobRequestStatus.NO_JOB);
    expect(fourth.stats?.frameRemaining).toBe(10);
    expect(fourth.job).toBeUndefined();
  });

  it('answers 200 when no frame waits', async () => {
    await client.login();
    expect((await client.requestJob()).status).toBe(JobRequestStatus.NO_JOB);
  });

  it('validates a real frame: 0, frame done, credited, reported in stats', async () => {
    await farm.addProject({ frames: [1, 2], resolution: [32, 24] });
    await client.login();
    const job = await client.job();
    expect(await client.keepAlive(job)).toBe(KeepAliveStatus.OK);
    expect(await client.validate(job, png(32, 24))).toBe(ValidationStatus.OK);
    const frame = farm.frames(1).find((row) => row.number === frameNumber(job));
    expect(frame).toMatchObject({ state: 'done', doneBy: 'demo', renderTimeSeconds: 3 });
    expect(farm.credits('demo')).toBe(CREDITS_PER_FRAME);
    const next = await client.requestJob();
    expect(next.stats).toMatchObject({
      creditsSession: CREDITS_PER_FRAME,
      creditsTotal: CREDITS_PER_FRAME,
      frameRemaining: 1,
    });
    const page = await fetch(`${farm.url}/frames/1/${frameNumber(job)}.png`);
    expect(page.headers.get('content-type')).toBe('image/png');
  });

  it('answers 400 to a heartbeat for an unknown or cancelled job', async () => {
    const project = await farm.addProject({ frames: [1, 2] });
    await client.login();
    const job = await client.job();
    expect(await client.keepAlive()).toBe(KeepAliveStatus.OK);
    expect(await client.keepAlive({ ...job, id: '4242' })).toBe(KeepAliveStatus.STOP_JOB);
    farm.cancelProject(project.id);
    expect(await client.keepAlive(job)).toBe(KeepAliveStatus.STOP_JOB);
  });

  it('stores an error report with its log and puts the frame back in the queue', async () => {
    await farm.addProject({ frames: [1, 1] });
    await client.login();
    const job = await client.job();
    expect(await client.reportError(24, job, 'Traceback (most recent call last):\n boom')).toBe(0);
    expect(farm.errorReports()).toEqual([
      expect.objectContaining({
        type: 24,
        jobId: 100,
        frame: '0001',
        login: 'demo',
        log: expect.stringContaining('boom'),
      }),
    ]);
    expect(farm.frames(1)[0]?.state).toBe('waiting');
    const other = new TestClient(farm.url);
    await other.login();
    expect((await other.requestJob()).job).toMatchObject({ id: '101', frame: '0001' });
  });

  it('logs out: the session ends and its frames go back to the queue', async () => {
    await farm.addProject({ frames: [1, 1] });
    await client.login();
    await client.job();
    expect(await client.logout()).toBe(200);
    expect(farm.sessions()[0]?.state).toBe('logged-out');
    expect(farm.frames(1)[0]?.state).toBe('waiting');
    expect((await client.requestJob()).status).toBe(JobRequestStatus.SESSION_DEAD);
  });

  it('asks the client to delete cached archives of finished and cancelled projects, no others', async () => {
    const done = await farm.addProject({ frames: [1, 1] });
    await client.login();
    const job = await client.job();
    expect(await client.validate(job, png(64, 48))).toBe(0);
    const cancelled = await farm.addProject({ frames: [1, 1] });
    farm.cancelProject(cancelled.id);
    const active = await farm.addProject({ frames: [1, 1] });
    const cache = [
      done.archiveMd5,
      cancelled.archiveMd5,
      active.archiveMd5,
      'ffffffffffffffffffffffffffffffff',
    ];
    const answer = await client.requestJob(cache);
    expect(answer.files.map((file) => file.action)).toEqual(['delete', 'delete']);
    expect(answer.files.map((file) => file.md5).sort()).toEqual(
      [done.archiveMd5, cancelled.archiveMd5].sort(),
    );
  });
});

describe('session expiry (max-period)', () => {
  it('kills a silent session: 202 / 304 and its frames are re-queued', async () => {
    const clock = new ManualFarmClock();
    const expiring = await testFarm({ clock, maxPeriodSeconds: 60 });
    try {
      await expiring.addProject({ frames: [1, 1] });
      const worker = new TestClient(expiring.url);
      await worker.login();
      const job = await worker.job();
      clock.advance(59_000);
      expect(await worker.keepAlive(job)).toBe(0);
      clock.advance(61_000);
      expect(await worker.validate(job, png(64, 48))).toBe(ValidationStatus.SESSION_DISABLED);
      expect((await worker.requestJob()).status).toBe(JobRequestStatus.SESSION_DEAD);
      expect(expiring.sessions()[0]?.state).toBe('dead');
      expect(expiring.frames(1)[0]).toMatchObject({ state: 'waiting', jobId: null });
    } finally {
      await expiring.close();
    }
  });
});
