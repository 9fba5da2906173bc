// "A session never gets back a frame it failed" is about that frame of that project only: the same
// frame number of another project is a different frame and must still reach the session.
import { JobRequestStatus } from '@flock/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningFarm } from '../src/index';
import { TestClient } from './helpers/client';
import { png, testFarm } from './helpers/farm';

let farm: RunningFarm;

beforeEach(async () => {
  farm = await testFarm();
});
afterEach(() => farm.close());

async function worker(): Promise<TestClient> {
  const client = new TestClient(farm.url);
  await client.login();
  return client;
}

describe('frames a session failed', () => {
  it('keeps frame N of project A away from the session, not frame N of project B', async () => {
    const a = await farm.addProject({ frames: [7, 7], resolution: [16, 12] });
    const b = await farm.addProject({ frames: [7, 7], resolution: [16, 12] });
    const client = await worker();
    const failed = await client.job();
    expect(farm.jobs().find((row) => String(row.id) === failed.id)?.projectId).toBe(a.id);
    expect(await client.reportError(12, failed, 'Segmentation fault')).toBe(0);

    const next = await client.job();
    expect(next.frame).toBe(failed.frame);
    expect(farm.jobs().find((row) => String(row.id) === next.id)?.projectId).toBe(b.id);
    expect(await client.validate(next, png(16, 12))).toBe(0);
    expect(farm.frames(b.id)[0]?.state).toBe('done');

    // project A's frame 7 stays away from this session, and goes to another one
    expect((await client.requestJob()).status).toBe(JobRequestStatus.NO_JOB);
    const other = await (await worker()).job();
    expect(farm.jobs().find((row) => String(row.id) === other.id)).toMatchObject({
      projectId: a.id,
      frame: 7,
    });
  });

  it('keeps every frame the session failed away from it, across projects', async () => {
    const a = await farm.addProject({ frames: [1, 2], resolution: [16, 12] });
    const b = await farm.addProject({ frames: [1, 2], resolution: [16, 12] });
    const client = await worker();
    const first = await client.job();
    expect(await client.reportError(12, first, 'Segmentation fault')).toBe(0);
    const handed: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const job = await client.job();
      const row = farm.jobs().find((candidate) => String(candidate.id) === job.id);
      handed.push(`${row?.projectId}:${row?.frame}`);
      expect(await client.validate(job, png(16, 12))).toBe(0);
    }
    expect(handed).toEqual([`${a.id}:2`, `${b.id}:1`, `${b.id}:2`]);
    expect((await client.requestJob()).status).toBe(JobRequestStatus.NO_JOB);
  });
});
