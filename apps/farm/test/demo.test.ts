// The demo project `npm start` renders: long enough to watch, and it never runs dry — when no
// other frame waits, its longest-done frame is rendered again, so a newcomer's agent never sits
// in the client's minutes-long "no job" wait, and a project of their own still comes first.
import { JobRequestStatus, ValidationStatus } from '@flock/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningFarm } from '../src/index';
import { frameNumber, TestClient } from './helpers/client';
import { png, testFarm } from './helpers/farm';

let farm: RunningFarm | undefined;
afterEach(() => farm?.close());

async function worker(running: RunningFarm): Promise<TestClient> {
  const client = new TestClient(running.url);
  await client.login();
  return client;
}

/** Takes the next job and delivers its frame; returns the frame number. */
async function renderOne(client: TestClient): Promise<number> {
  const job = await client.job();
  expect(await client.validate(job, png(16, 12))).toBe(ValidationStatus.OK);
  return frameNumber(job);
}

describe('the demo project', () => {
  it('has hundreds of frames and repeats', async () => {
    farm = await testFarm({ demoProject: true });
    const [demo] = farm.projects();
    const [first, last] = demo?.frames ?? [0, 0];
    expect(last - first + 1).toBeGreaterThanOrEqual(200);
    expect(demo?.repeat).toBe(true);
  });
});

describe('a repeating project', () => {
  it('hands out its longest-done frame again when nothing else waits', async () => {
    farm = await testFarm();
    const project = await farm.addProject({ frames: [1, 2], resolution: [16, 12], repeat: true });
    const client = await worker(farm);
    expect([await renderOne(client), await renderOne(client)]).toEqual([1, 2]);
    expect(farm.frames(project.id).map((frame) => frame.state)).toEqual(['done', 'done']);
    expect([await renderOne(client), await renderOne(client), await renderOne(client)]).toEqual([1, 2, 1]);
    expect(farm.credits('demo')).toBe(50);
  });

  it("lets another project's waiting frames go first", async () => {
    farm = await testFarm();
    await farm.addProject({ frames: [1, 1], resolution: [16, 12], repeat: true });
    const client = await worker(farm);
    await renderOne(client);
    const own = await farm.addProject({ frames: [7, 8], resolution: [16, 12] });
    expect([await renderOne(client), await renderOne(client)]).toEqual([7, 8]);
    expect(farm.frames(own.id).every((frame) => frame.state === 'done')).toBe(true);
    expect(await renderOne(client)).toBe(1);
  });

  it('is never retired: its archive stays in the clients’ caches', async () => {
    farm = await testFarm();
    const repeating = await farm.addProject({ frames: [1, 1], resolution: [16, 12], repeat: true });
    const once = await farm.addProject({ frames: [1, 1], resolution: [16, 12] });
    const client = await worker(farm);
    await renderOne(client);
    await renderOne(client);
    const answer = await client.requestJob([repeating.archiveMd5, once.archiveMd5]);
    expect(answer.status).toBe(JobRequestStatus.OK);
    expect(answer.files).toEqual([{ md5: once.archiveMd5, action: 'delete' }]);
  });

  it('gives no job to a session with 3 frames unvalidated, as any project', async () => {
    farm = await testFarm();
    await farm.addProject({ frames: [1, 5], resolution: [16, 12], repeat: true });
    const client = await worker(farm);
    for (let i = 0; i < 3; i++) expect((await client.requestJob()).status).toBe(JobRequestStatus.OK);
    expect((await client.requestJob()).status).toBe(JobRequestStatus.NO_JOB);
  });
});
