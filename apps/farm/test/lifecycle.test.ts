import { JobRequestStatus, ValidationStatus } from '@flock/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREDITS_PER_FRAME, ManualFarmClock, type RunningFarm } from '../src/index';
import { TestClient } from './helpers/client';
import { png, testFarm } from './helpers/farm';

let farm: RunningFarm;
let clock: ManualFarmClock;

beforeEach(async () => {
  clock = new ManualFarmClock();
  farm = await testFarm({ clock, maxPeriodSeconds: 60 });
  await farm.addProject({ frames: [1, 2], resolution: [16, 12] });
});
afterEach(() => farm.close());

async function worker(): Promise<TestClient> {
  const client = new TestClient(farm.url);
  await client.login();
  return client;
}

describe('frame lifecycle', () => {
  it('hands a frame whose session died to another session', async () => {
    const first = await worker();
    const job = await first.job();
    clock.advance(61_000);
    const second = await worker();
    const again = await second.job();
    expect(again.frame).toBe(job.frame);
    expect(again.id).not.toBe(job.id);
    expect(farm.jobs().find((row) => String(row.id) === job.id)).toMatchObject({ state: 'requeued' });
  });

  it('ends a silent session at max-period while another session keeps sending requests', async () => {
    const silent = await worker();
    const lost = await silent.job();
    clock.advance(30_000);
    const busy = await worker();
    const own = await busy.job();
    clock.advance(30_000);
    expect(await busy.keepAlive(own)).toBe(0);
    clock.advance(1_000); // the silent session is now 61 s old, the busy one 1 s
    const handedOver = await busy.job();
    expect(handedOver.frame).toBe(lost.frame);
    expect(farm.sessions().map((session) => session.state)).toEqual(['dead', 'alive']);
    expect((await silent.requestJob()).status).toBe(JobRequestStatus.SESSION_DEAD);
  });

  it('accepts the queued upload of a client that logged in again after its session died', async () => {
    const client = await worker();
    const job = await client.job();
    clock.advance(61_000);
    expect((await client.requestJob()).status).toBe(JobRequestStatus.SESSION_DEAD);
    await client.login();
    expect(await client.validate(job, png(16, 12))).toBe(ValidationStatus.OK);
    expect(farm.frames(1)[0]).toMatchObject({ state: 'done', jobId: Number(job.id) });
    expect(farm.credits('demo')).toBe(CREDITS_PER_FRAME);
  });

  it('refuses an upload for a job of another account (300)', async () => {
    const other = await testFarm({
      accounts: [
        { login: 'a', password: 'a' },
        { login: 'b', password: 'b' },
      ],
    });
    try {
      await other.addProject({ frames: [1, 1] });
      const a = new TestClient(other.url);
      await a.login({ login: 'a', password: 'a' });
      const b = new TestClient(other.url);
      await b.login({ login: 'b', password: 'b' });
      const job = await a.job();
      expect(await b.validate(job, png(64, 48))).toBe(ValidationStatus.MISSING_PARAMETER);
      expect(await a.validate(job, png(64, 48))).toBe(ValidationStatus.OK);
      expect([other.credits('a'), other.credits('b')]).toEqual([CREDITS_PER_FRAME, 0]);
    } finally {
      await other.close();
    }
  });

  it('credits a frame once, however often it is uploaded', async () => {
    const client = await worker();
    const job = await client.job();
    expect(await client.validate(job, png(16, 12))).toBe(ValidationStatus.OK);
    expect(await client.validate(job, png(16, 12))).toBe(ValidationStatus.OK);
    expect(farm.credits('demo')).toBe(CREDITS_PER_FRAME);
    expect(farm.frames(1).filter((frame) => frame.state === 'done')).toHaveLength(1);
  });

  it('accepts the late upload of a re-queued frame once and stops the newer job', async () => {
    const slow = await worker();
    const late = await slow.job();
    expect(await slow.reportError(22, late, 'killed by server')).toBe(0);
    const fast = await worker();
    const newer = await fast.job();
    expect(newer.frame).toBe(late.frame);
    expect(await slow.validate(late, png(16, 12))).toBe(ValidationStatus.OK);
    expect(await fast.keepAlive(newer)).toBe(400);
    expect(await fast.validate(newer, png(16, 12))).toBe(ValidationStatus.OK);
    expect(farm.credits('demo')).toBe(CREDITS_PER_FRAME);
    expect(farm.frames(1)[0]).toMatchObject({ state: 'done', jobId: Number(late.id) });
  });

  it('answers 0 without credit for a frame of a project cancelled under the render', async () => {
    const client = await worker();
    const job = await client.job();
    farm.cancelProject(1);
    expect(await client.validate(job, png(16, 12))).toBe(ValidationStatus.OK);
    expect(farm.credits('demo')).toBe(0);
    expect(farm.frames(1)[0]?.state).not.toBe('done');
  });

  it('does not mark a frame done for a broken upload, and re-queues it after 3 refusals', async () => {
    const client = await worker();
    const job = await client.job();
    const garbage = new TextEncoder().encode('not an image at all');
    expect(await client.validate(job, garbage)).toBe(ValidationStatus.NOT_AN_IMAGE);
    expect(farm.frames(1)[0]).toMatchObject({ state: 'rendering', failedUploads: 1 });
    const truncated = png(16, 12).subarray(0, 40);
    expect(await client.validate(job, truncated)).toBe(ValidationStatus.NOT_AN_IMAGE);
    expect(await client.validate(job, garbage)).toBe(ValidationStatus.NOT_AN_IMAGE);
    expect(farm.frames(1)[0]).toMatchObject({ state: 'waiting', jobId: null });
    expect(farm.credits('demo')).toBe(0);
    expect((await (await worker()).job()).frame).toBe(job.frame);
  });

  it('never hands a session a frame it failed, but hands it to another session', async () => {
    const client = await worker();
    const job = await client.job();
    expect(await client.reportError(12, job, 'Segmentation fault')).toBe(0);
    const next = await client.job();
    expect(next.frame).not.toBe(job.frame);
    expect(await client.validate(next, png(16, 12))).toBe(0);
    expect((await client.requestJob()).status).toBe(JobRequestStatus.NO_JOB);
    expect((await (await worker()).job()).frame).toBe(job.frame);
  });

  it("gives a frame back to the same session when the failure was not the frame's (killed by the farm)", async () => {
    const client = await worker();
    const job = await client.job();
    expect(await client.reportError(22, job, 'killed by server')).toBe(0);
    expect((await client.job()).frame).toBe(job.frame);
  });

  it('re-queues a frame refused for its size (final for the client)', async () => {
    const client = await worker();
    const job = await client.job();
    expect(await client.validate(job, png(17, 12))).toBe(ValidationStatus.WRONG_DIMENSION);
    expect(farm.frames(1)[0]?.state).toBe('waiting');
  });

  it('renders a whole project across sessions without losing or repeating a frame', async () => {
    const a = await worker();
    const b = await worker();
    const jobA = await a.job();
    const jobB = await b.job();
    expect(new Set([jobA.frame, jobB.frame]).size).toBe(2);
    expect((await a.requestJob()).status).toBe(JobRequestStatus.NO_JOB);
    expect(await a.validate(jobA, png(16, 12))).toBe(0);
    expect(await b.validate(jobB, png(16, 12))).toBe(0);
    expect(farm.frames(1).map((frame) => frame.state)).toEqual(['done', 'done']);
    expect(farm.credits('demo')).toBe(2 * CREDITS_PER_FRAME);
  });
});
